"""GetClients and GetClientsDetails over loopback HTTP on a database of 100,000 clients
(issue 13: reads under 50 ms at p95).

    python benchmarks/get_clients.py [--backend sqlite|postgresql|mariadb] [--clients 100000]

Builds a fresh database (a temporary SQLite file, or a uniquely named PostgreSQL or MariaDB
database it drops afterwards), fills it with bulk inserts (three invoices, one service and one
domain per client), starts the API on a free loopback port and times GetClients (pages at
several offsets, the status filter, a search, another ordering) and GetClientsDetails with
stats. Prints the command it ran and p50/p95 per case.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

import httpx
from get_invoices import free_port
from sqlalchemy import create_engine, insert, text

from geninvoices import access
from geninvoices.db import make_engine, transaction
from geninvoices.migrate import migrate
from geninvoices.models.whmcs import (
    tblclients,
    tblcurrencies,
    tbldomains,
    tblhosting,
    tblinvoices,
    tblproducts,
)

ADMINS = {"postgresql": os.environ.get("GENINVOICES_TEST_PG_URL",
                                       "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
          "mariadb": os.environ.get("GENINVOICES_TEST_MARIADB_URL",
                                    "mysql+pymysql://root@127.0.0.1:3306/test")}
CASES = [
    ("GetClients", "page 0", {}),
    ("GetClients", "page at 50,000", {"limitstart": "50000"}),
    ("GetClients", "last page", {"limitstart": "99975"}),
    ("GetClients", "status=Inactive", {"status": "Inactive"}),
    ("GetClients", "search=c4242 (prefix)", {"search": "c4242"}),
    ("GetClients", "search=Lastname9 (prefix)", {"search": "Lastname9"}),
    ("GetClients", "orderby=lastname DESC", {"orderby": "lastname", "sorting": "DESC"}),
    ("GetClientsDetails", "clientid + stats", {"clientid": "4242", "stats": "1"}),
    ("GetClientsDetails", "email", {"email": "c77777@example.com"}),
]


def fill(engine, clients: int) -> None:
    day, now = dt.date(2025, 1, 1), dt.datetime(2025, 1, 1)
    with transaction(engine) as conn:
        conn.execute(insert(tblcurrencies).values(code="USD", prefix="$", suffix=" USD",
                                                  default=1))
        conn.execute(insert(tblproducts).values(name="Hosting", type="hostingaccount",
                                                paytype="recurring"))
    for first in range(0, clients, 5000):
        ids = range(first + 1, min(first + 5000, clients) + 1)
        with transaction(engine) as conn:
            conn.execute(insert(tblclients), [{
                "firstname": f"First{i}", "lastname": f"Lastname{i}",
                "email": f"c{i}@example.com", "companyname": f"Company {i % 997}",
                "status": "Inactive" if i % 10 == 0 else "Active", "currency": 1,
                "datecreated": day, "uuid": str(uuid.uuid4()), "created_at": now,
                "updated_at": now} for i in ids])
            conn.execute(insert(tblinvoices), [{
                "userid": i, "date": day, "duedate": day, "status": status,
                "total": Decimal("10.00"), "subtotal": Decimal("10.00")}
                for i in ids for status in ("Paid", "Paid", "Unpaid")])
            conn.execute(insert(tblhosting), [{
                "userid": i, "packageid": 1, "domainstatus": "Active", "amount": Decimal(5),
                "billingcycle": "Monthly", "nextduedate": day, "nextinvoicedate": day}
                for i in ids])
            conn.execute(insert(tbldomains), [{
                "userid": i, "domain": f"d{i}.example", "status": "Active",
                "nextduedate": day, "nextinvoicedate": day} for i in ids])


def time_case(http, auth, action, params, repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        reply = http.post("/includes/api.php", data={"action": action, "responsetype": "json",
                                                     **auth, **params})
        samples.append((time.perf_counter() - started) * 1000)
        assert reply.status_code == 200 and '"result":"success"' in reply.text, reply.text
    return samples


def database(backend: str, workdir: Path, name: str) -> tuple[str, object]:
    if backend == "sqlite":
        return f"sqlite:///{workdir / 'bench.db'}", None
    admin = create_engine(ADMINS[backend], isolation_level="AUTOCOMMIT")
    quote = admin.dialect.identifier_preparer.quote
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {quote(name)}"))
    return ADMINS[backend].rsplit("/", 1)[0] + f"/{name}", admin


def serve(url: str) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = {**os.environ, "GENINVOICES_DATABASE_URL": url}
    server = subprocess.Popen([sys.executable, "-m", "uvicorn", "geninvoices.app:create_app",
                               "--factory", "--port", str(port), "--no-access-log",
                               "--log-level", "warning"], env=env)
    return server, port


def measure(http, auth, backend: str, repeat: int) -> None:
    print(f"{'case':58} {'p50 ms':>8} {'p95 ms':>8}")
    worst = 0.0
    for action, name, params in CASES:
        samples = time_case(http, auth, action, params, repeat)
        p95 = statistics.quantiles(samples, n=20)[18]
        worst = max(worst, p95)
        print(f"{backend:10} {action:18} {name:28} {statistics.median(samples):8.1f} "
              f"{p95:8.1f}")
    print(f"worst p95: {worst:.1f} ms (target: under 50 ms)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "mariadb"],
                        default="sqlite")
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=40)
    args = parser.parse_args()
    print("command:", " ".join([Path(sys.executable).name, *sys.argv]))
    name = f"gi_bench_{uuid.uuid4().hex[:8]}"
    url, admin = database(args.backend, Path(tempfile.mkdtemp(prefix="gi-bench-")), name)
    server = None
    try:
        engine = make_engine(url)
        migrate(engine)
        started = time.perf_counter()
        fill(engine, args.clients)
        print(f"filled {args.clients} clients in {time.perf_counter() - started:.1f} s")
        with transaction(engine) as conn:
            ident, secret = access.create_credential(
                conn, allow=["GetClients", "GetClientsDetails"])
        engine.dispose()
        server, port = serve(url)
        auth = {"identifier": ident, "secret": secret}
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            for _ in range(100):
                try:
                    http.post("/includes/api.php", data={"action": "GetClients", **auth})
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            measure(http, auth, args.backend, args.repeat)
    finally:
        if server:
            server.terminate()
            server.wait(10)
        if admin is not None:
            quote = admin.dialect.identifier_preparer.quote
            with admin.connect() as conn:
                conn.execute(text(f"DROP DATABASE IF EXISTS {quote(name)}"))


if __name__ == "__main__":
    main()
