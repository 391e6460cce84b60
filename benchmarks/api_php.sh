#!/usr/bin/env bash
# The API's hot path against the framework's own ceiling (issue 10.5), in one run, one after
# the other with the same load:
#   1. bare: benchmarks/bare_app.py (FastAPI parsing the same form, answering JSON, nothing
#      else), `uvicorn --workers 2`;
#   2. geninvoices: authenticated GetConfigurationValue, `geninvoices serve --workers 2` on a
#      fresh SQLite file (allow-list, lockout, verified-secret cache and access log all on).
# Both are loaded by Debian's wrk with a Lua script that POSTs the same form, and the script
# prints the load average, wrk's figures and geninvoices/bare.
#
#   benchmarks/api_php.sh [seconds]        (default 30; needs wrk: apt-get install wrk)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
gi=${GENINVOICES_BIN:-.venv/bin/geninvoices}
bin=$(dirname "$gi")
py=$bin/python
dir=$(mktemp -d)
export GENINVOICES_DATABASE_URL="sqlite:///$dir/bench.db"
free_port() { "$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
server=
trap 'if [ -n "$server" ]; then kill $server 2>/dev/null; wait $server 2>/dev/null; fi; rm -rf "$dir"' EXIT

"$gi" migrate >/dev/null
"$gi" config set CompanyName "Bench Hosting" >/dev/null
read -r ident secret < <("$gi" credentials create --allow GetConfigurationValue --json |
  "$py" -c 'import json, sys; d = json.load(sys.stdin); print(d["identifier"], d["secret"])')
form="action=GetConfigurationValue&setting=CompanyName&responsetype=json&identifier=$ident&secret=$secret"
cat > "$dir/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = "$form"
LUA

# cpu_ticks <pid>: user + system clock ticks of the process and its children, alive
cpu_ticks() {
  local total=0 pid
  for pid in "$1" $(pgrep -P "$1"); do
    [ -r "/proc/$pid/stat" ] || continue
    total=$(( total + $(awk '{print $14 + $15}' "/proc/$pid/stat") ))
  done
  echo "$total"
}

# load <name> <port>: check one answer, run wrk, keep its output in $dir/<name>.txt
load() {
  local url="http://127.0.0.1:$2/includes/api.php"
  for _ in $(seq 1 100); do  # until it answers at all
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$url")" != 000 ] && break
    sleep 0.1
  done
  # every worker up, not just the first: a worker that starts late gets no connections from
  # wrk, which opens all of them at the start
  for _ in $(seq 1 100); do
    [ "$(grep -c 'Application startup complete' "$dir/$1.log" || true)" -ge 2 ] && break
    sleep 0.1
  done
  echo "== $1"
  echo "check: $(curl -s "$url" --data-binary "$form")"
  local cmd="wrk -t1 -c16 -d${seconds}s --latency -s $dir/post.lua $url"
  echo "command: $cmd"
  echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  local before; before=$(cpu_ticks "$server")
  $cmd | tee "$dir/$1.txt"
  # the server's CPU (every worker's) per 1,000 requests: what the load average cannot blur
  awk -v t=$(( $(cpu_ticks "$server") - before )) -v hz="$(getconf CLK_TCK)" \
    '/requests in/ {printf "server CPU per 1,000 requests: %.0f ms\n", t / hz * 1000000 / $1}' \
    "$dir/$1.txt" | tee -a "$dir/$1.txt"
  kill "$server"; wait "$server" 2>/dev/null || true; server=
}

port=$(free_port)
"$bin/uvicorn" --workers 2 --port "$port" --no-access-log \
  --log-level info --app-dir benchmarks bare_app:app >"$dir/bare.log" 2>&1 &
server=$!
load bare "$port"

port=$(free_port)
"$gi" serve --workers 2 --port "$port" >"$dir/geninvoices.log" 2>&1 &
server=$!
load geninvoices "$port"
lines=$(grep -c 'geninvoices.access' "$dir/geninvoices.log" || true)
echo "access log lines written: $lines"

rate() { awk '/Requests\/sec/ {print $2}' "$dir/$1.txt"; }
p99() { awk '$1 == "99%" {print $2}' "$dir/$1.txt"; }
"$py" - "$(rate bare)" "$(rate geninvoices)" "$(p99 bare)" "$(p99 geninvoices)" <<'PY'
import sys
bare, gi = float(sys.argv[1]), float(sys.argv[2])
print(f"summary: bare {bare:,.0f} req/s (p99 {sys.argv[3]}), geninvoices {gi:,.0f} req/s "
      f"(p99 {sys.argv[4]}), geninvoices/bare {gi / bare:.2f}")
PY
echo "target: geninvoices at least 0.5 of bare, with p99 under 15 ms"
