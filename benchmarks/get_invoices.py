"""GetInvoices over loopback HTTP on a database of 100,000 invoices (issue 5's figure).

    python benchmarks/get_invoices.py [--backend sqlite|postgresql] [--invoices 100000]

Builds a fresh database (a temporary SQLite file, or a uniquely named PostgreSQL database it
drops afterwards), fills it with bulk inserts, starts `geninvoices serve` on a free loopback
port and times GetInvoices with limitnum=100 for offsets up to 10,000, with and without the
userid and status filters. Prints the command it ran and p50/p95 per case.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

import httpx
from bench_dataset import insert_batches
from sqlalchemy import create_engine, insert, text

from geninvoices import access
from geninvoices.db import make_engine, transaction
from geninvoices.migrate import migrate
from geninvoices.models.whmcs import tblclients, tblcurrencies, tblinvoices

PG_ADMIN = os.environ.get("GENINVOICES_TEST_PG_URL",
                          "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fill(engine, invoices: int, clients: int) -> None:
    rng = random.Random(5)
    now = dt.datetime(2026, 1, 1)
    with transaction(engine) as conn:
        conn.execute(insert(tblcurrencies).values(code="USD", prefix="$", suffix=" USD",
                                                  default=1))
        conn.execute(insert(tblclients), [
            {"firstname": f"F{i}", "lastname": f"L{i}", "email": f"c{i}@example.com",
             "status": "Active"} for i in range(clients)])
    statuses = ["Paid"] * 6 + ["Unpaid"] * 3 + ["Cancelled"]

    def invoice(n: int) -> dict:
        day = dt.date(2024, 1, 1) + dt.timedelta(days=n % 900)
        return {"userid": rng.randint(1, clients), "date": day,
                "duedate": day + dt.timedelta(days=14), "status": rng.choice(statuses),
                "subtotal": Decimal("10.00"), "total": Decimal(rng.randint(100, 10000)) / 100,
                "paymentmethod": "banktransfer", "created_at": now, "updated_at": now}

    with transaction(engine) as conn:
        insert_batches(conn, tblinvoices, (invoice(n) for n in range(invoices)))


def time_case(http, auth, params, repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        reply = http.post("/includes/api.php", data={"action": "GetInvoices",
                                                     "responsetype": "json", **auth, **params})
        samples.append((time.perf_counter() - started) * 1000)
        assert reply.status_code == 200 and '"result":"success"' in reply.text, reply.text
    return samples


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=40)
    args = parser.parse_args()
    print("command:", " ".join([Path(sys.executable).name, *sys.argv]))
    workdir = Path(tempfile.mkdtemp(prefix="gi-bench-"))
    dbname = f"gi_bench_{uuid.uuid4().hex[:8]}"
    if args.backend == "sqlite":
        url = f"sqlite:///{workdir / 'bench.db'}"
    else:
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{dbname}"'))
        url = PG_ADMIN.rsplit("/", 1)[0] + f"/{dbname}"
    server = None
    try:
        engine = make_engine(url)
        migrate(engine)
        started = time.perf_counter()
        fill(engine, args.invoices, clients=max(1, args.invoices // 20))
        print(f"filled {args.invoices} invoices in {time.perf_counter() - started:.1f} s")
        with transaction(engine) as conn:
            ident, secret = access.create_credential(conn, allow=["GetInvoices"])
        engine.dispose()
        port = free_port()
        env = {**os.environ, "GENINVOICES_DATABASE_URL": url}
        server = subprocess.Popen([sys.executable, "-m", "uvicorn", "geninvoices.app:create_app",
                                   "--factory", "--port", str(port), "--no-access-log",
                                   "--log-level", "warning"], env=env)
        auth = {"identifier": ident, "secret": secret}
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            for _ in range(100):
                try:
                    http.post("/includes/api.php", data={"action": "GetInvoices", **auth})
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            print(f"{'case':52} {'p50 ms':>8} {'p95 ms':>8}")
            worst = 0.0
            for start in (0, 5000, 10000):
                for name, extra in (("no filter", {}), ("userid", {"userid": "7"}),
                                    ("status=Unpaid", {"status": "Unpaid"}),
                                    ("userid+status", {"userid": "7", "status": "Paid"}),
                                    ("status=Overdue", {"status": "Overdue"})):
                    params = {"limitnum": "100", "limitstart": str(start), **extra}
                    samples = time_case(http, auth, params, args.repeat)
                    p95 = statistics.quantiles(samples, n=20)[18]
                    worst = max(worst, p95)
                    print(f"{args.backend} limitstart={start:<6} {name:30} "
                          f"{statistics.median(samples):8.1f} {p95:8.1f}")
            print(f"worst p95: {worst:.1f} ms (target: under 50 ms)")
    finally:
        if server:
            server.terminate()
            server.wait(10)
        if args.backend == "postgresql":
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
