#!/usr/bin/env bash
# Authenticated GetConfigurationValue over loopback HTTP (issue 2's figure):
# `geninvoices serve --workers 2` on a fresh SQLite file, loaded by Debian's wrk with a Lua
# script that POSTs the form. Prints the command it ran and wrk's figures.
#
#   benchmarks/api_php.sh [seconds]        (default 30; needs wrk: apt-get install wrk)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
gi=${GENINVOICES_BIN:-.venv/bin/geninvoices}
py=$(dirname "$gi")/python
dir=$(mktemp -d)
export GENINVOICES_DATABASE_URL="sqlite:///$dir/bench.db"
port=$("$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

"$gi" migrate >/dev/null
"$gi" config set CompanyName "Bench Hosting" >/dev/null
read -r ident secret < <("$gi" credentials create --allow GetConfigurationValue --json |
  "$py" -c 'import json, sys; d = json.load(sys.stdin); print(d["identifier"], d["secret"])')
cat > "$dir/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = "action=GetConfigurationValue&setting=CompanyName&responsetype=json&identifier=$ident&secret=$secret"
LUA

"$gi" serve --workers 2 --port "$port" >"$dir/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 1 100); do  # until it answers at all
  [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/includes/api.php")" != 000 ] && break
  sleep 0.1
done
reply=$(curl -s "http://127.0.0.1:$port/includes/api.php" --data-binary @<(
  printf 'action=GetConfigurationValue&setting=CompanyName&responsetype=json&identifier=%s&secret=%s' "$ident" "$secret"))
echo "check: $reply"
cmd="wrk -t1 -c16 -d${seconds}s --latency -s $dir/post.lua http://127.0.0.1:$port/includes/api.php"
echo "command: geninvoices serve --workers 2 (SQLite); $cmd"
$cmd
echo "target: at least 1000 requests/s with p99 under 25 ms"
