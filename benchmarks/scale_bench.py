"""Scaling out (issue 10, items 3 and 4): workers against one database, and how a single-client
GenInvoices fares while a full run is under way.

    python benchmarks/scale_bench.py [--clients 20000] [--items 100000] [--seed 10]
        [--database-url postgresql --database-url mariadb] [--custom-numbering]
        [--part speedup|latency|both]

For each ``--database-url`` (the shortcuts of ``bench_server.py``; default PostgreSQL and
MariaDB) it builds the data set of ``generate_bench.py`` (``bench_dataset.py``) in fresh
databases of that kind, then:

- speedup: two identical databases; ``geninvoices generate --workers 1 --no-emails`` on the
  first and ``--workers 2`` on the second, each timed from start to exit; prints both times,
  the speedup and the load average before and after (the machine is shared);
- latency: a third database; ``geninvoices serve --workers 2`` on it and a full ``geninvoices
  generate --no-emails`` started beside it. While that run lasts, a caller alternates
  ``GenInvoices`` with ``clientid`` of a random client (``noemails=1``: at first most clients
  still have their items due, later nothing is due) and ``GetInvoices`` with ``userid`` of
  another, over one keep-alive connection, and the script prints p50/p95/max of each; and the
  same for 40 pairs of calls made just before the full run starts (the idle baseline, which
  tells what the full run adds to them).

Both parts check that every due invoice was made exactly once (the full run's and the single
calls' ``numcreated`` add up to what the data set implies). ``--custom-numbering`` turns on
``TaxCustomInvoiceNumbering``, so that every invoice takes a number from the counter row.
The databases are dropped at the end.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import quantiles

import httpx
from bench_dataset import Shape
from bench_server import Scratch, Server
from generate_bench import check, prepare, run_date
from sqlalchemy import delete, insert

from geninvoices import access
from geninvoices.db import make_engine
from geninvoices.models.whmcs import tblconfiguration

IDLE_CALLS = 40  # of each kind, with nothing else running: what the full run adds
NUMBERING = {"TaxCustomInvoiceNumbering": "on", "TaxCustomInvoiceNumberFormat": "{NUMBER}",
             "TaxNextCustomInvoiceNumber": "1"}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=20_000)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=10)
    parser.add_argument("--database-url", action="append",
                        help="repeatable; postgresql and mariadb (default), sqlite or a URL")
    parser.add_argument("--custom-numbering", action="store_true")
    parser.add_argument("--part", choices=["speedup", "latency", "both"], default="both")
    args = parser.parse_args(argv)
    if args.clients < 1 or args.items < 1:
        parser.error("--clients and --items must be at least 1")
    return args


def build(scratch: Scratch, role: str, shape: Shape, numbering: bool):
    url = scratch.create(role)
    expected = prepare(url, shape)
    if numbering:
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(delete(tblconfiguration).where(tblconfiguration.c.setting.in_(
                NUMBERING)))
            now = dt.datetime(2026, 1, 1)
            conn.execute(insert(tblconfiguration), [
                {"setting": k, "value": v, "created_at": now, "updated_at": now}
                for k, v in NUMBERING.items()])
        engine.dispose()
    return url, expected


def load() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def generate(url: str, workers: int, shape: Shape) -> subprocess.Popen:
    # output to files, not pipes: the run's JSON (every invoice id) outgrows a pipe's buffer
    # at the default size, and nobody reads the pipe while the probes run
    out, err = (tempfile.TemporaryFile("w+") for _ in range(2))  # noqa: SIM115 - read back
    run = subprocess.Popen(
        [sys.executable, "-m", "geninvoices.cli", "generate", "--workers", str(workers),
         "--no-emails", "--json", "--date", shape.today.isoformat()],
        env={**os.environ, "GENINVOICES_DATABASE_URL": url}, stdout=out, stderr=err)
    run.outputs = (out, err)  # type: ignore[attr-defined]
    return run


def finished(run: subprocess.Popen) -> int:
    run.wait()
    out, err = (_read_back(stream) for stream in run.outputs)  # type: ignore[attr-defined]
    if run.returncode != 0:
        raise SystemExit(f"generate failed ({run.returncode}): {err[-2000:]}")
    reply = json.loads(out)
    if "workers" in reply:  # how the clients were shared out
        print("  invoices per worker: "
              + ", ".join(str(w["numcreated"]) for w in reply["workers"]), flush=True)
    return int(reply["numcreated"])


def _read_back(stream) -> str:
    with stream:
        stream.seek(0)
        return stream.read()


def speedup(scratch: Scratch, shape: Shape, numbering: bool) -> None:
    seconds = {}
    for workers in (1, 2):
        url, expected = build(scratch, f"w{workers}", shape, numbering)
        before = load()
        started = time.perf_counter()
        created = finished(generate(url, workers, shape))
        seconds[workers] = time.perf_counter() - started
        check(f"numcreated with {workers} worker(s)", created, expected.invoices)
        print(f"{scratch.label}: generate --workers {workers}: {seconds[workers]:.2f} s, "
              f"{created} invoices, load average {before} before, {load()} after", flush=True)
    print(f"{scratch.label}: speedup --workers 2 over 1: {seconds[1] / seconds[2]:.2f}x "
          f"({shape.items} items, {shape.clients} clients, custom numbering "
          f"{'on' if numbering else 'off'})", flush=True)


def latency(scratch: Scratch, shape: Shape, numbering: bool, logdir: Path) -> None:
    url, expected = build(scratch, "probe", shape, numbering)
    engine = make_engine(url)
    with engine.begin() as conn:
        ident, secret = access.create_credential(conn, allow=["GenInvoices", "GetInvoices"],
                                                 description="scale_bench")
    engine.dispose()
    server = Server(url, logdir / "serve.log", workers=2)
    try:
        server.wait_until_up()
        idle = Probes(server.endpoint, ident, secret, shape.clients, seed=2)
        idle.run_while(lambda: len(idle.times["GetInvoices userid"]) < IDLE_CALLS)
        before = load()
        full = generate(url, 1, shape)
        probes = Probes(server.endpoint, ident, secret, shape.clients)
        probes.run_while(lambda: full.poll() is None)
        created = finished(full)
    finally:
        server.stop()
    check("invoices of the full run and the single calls",
          created + probes.created + idle.created, expected.invoices)
    print(f"{scratch.label}: idle, before the full run (load average {before}):")
    for name, times in idle.times.items():
        print(f"{scratch.label}:   {name}: {len(times)} calls, {summary(times)}")
    print(f"{scratch.label}: during a full run ({created} invoices; load average {before} "
          f"before, {load()} after; custom numbering {'on' if numbering else 'off'}):")
    for name, times in probes.times.items():
        print(f"{scratch.label}:   {name}: {len(times)} calls, {summary(times)}")
    print(f"{scratch.label}:   single-client calls that billed something: "
          f"{probes.billing_calls}, invoices {probes.created}", flush=True)


def summary(times: list[float]) -> str:
    if len(times) < 2:
        return "too few calls to tell"
    cuts = quantiles(times, n=100, method="inclusive")
    return (f"p50 {cuts[49] * 1000:.1f} ms, p95 {cuts[94] * 1000:.1f} ms, "
            f"max {max(times) * 1000:.1f} ms")


class Probes:
    """Another caller: one GenInvoices for a random client, one GetInvoices, repeat."""

    def __init__(self, endpoint: str, ident: str, secret: str, clients: int, seed: int = 1):
        self.endpoint, self.clients = endpoint, clients
        self.auth = {"identifier": ident, "secret": secret, "responsetype": "json"}
        self.rng = random.Random(seed)
        self.times: dict[str, list[float]] = {"GenInvoices clientid": [],
                                              "GetInvoices userid": []}
        self.created = self.billing_calls = 0

    def run_while(self, going) -> None:
        with httpx.Client(timeout=120) as http:
            while going():
                reply = self._call(http, "GenInvoices clientid", action="GenInvoices",
                                   clientid=self._client(), noemails="1")
                made = int(reply.get("numcreated", 0))
                self.created += made
                self.billing_calls += made > 0
                self._call(http, "GetInvoices userid", action="GetInvoices",
                           userid=self._client())
                time.sleep(0.01)  # a caller, not a flood

    def _client(self) -> str:
        return str(self.rng.randint(1, self.clients))

    def _call(self, http: httpx.Client, name: str, **form) -> dict:
        started = time.perf_counter()
        reply = http.post(self.endpoint, data={**self.auth, **form})
        self.times[name].append(time.perf_counter() - started)
        body = reply.json()
        if reply.status_code != 200 or body.get("result") != "success":
            raise SystemExit(f"{name} failed: HTTP {reply.status_code} {reply.text[:300]}")
        return body


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    command = shlex.join(["python", "benchmarks/scale_bench.py", *sys.argv[1:]])
    print("command:", command, f"(cores: {os.cpu_count()})", flush=True)
    shape = Shape(args.clients, args.items, 0, args.seed, run_date())
    for url in args.database_url or ["postgresql", "mariadb"]:
        scratch = Scratch(url)
        logdir = Path(tempfile.mkdtemp(prefix="gi-scale-log-"))
        try:
            if args.part in ("speedup", "both"):
                speedup(scratch, shape, args.custom_numbering)
            if args.part in ("latency", "both"):
                latency(scratch, shape, args.custom_numbering, logdir)
        finally:
            scratch.drop_all()
    print("command:", command)


if __name__ == "__main__":
    main()
