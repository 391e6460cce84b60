"""GetClientsProducts, GetClientsDomains and GetClientsAddons over loopback HTTP on a database
of 100,000 clients (issue 13: reads under 50 ms at p95; rules §14.2).

    python benchmarks/get_clients_products.py [--backend sqlite|postgresql|mariadb]
                                              [--clients 100000]

Builds a fresh database as ``get_clients.py`` does (dropped afterwards), fills it with bulk
inserts (two services, one domain and one addon per client), starts the API on a free
loopback port and times each read by client, by id, paged and unfiltered. Prints the command
it ran and p50/p95 per case.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

import httpx
from get_clients import database, serve, time_case
from sqlalchemy import insert, text

from geninvoices import access
from geninvoices.db import make_engine, transaction
from geninvoices.migrate import migrate
from geninvoices.models.whmcs import (
    tblclients,
    tbldomains,
    tblhosting,
    tblhostingaddons,
    tblproducts,
)

ACTIONS = ["GetClientsProducts", "GetClientsDomains", "GetClientsAddons"]
CASES = [
    ("GetClientsProducts", "clientid", {"clientid": "4242"}),
    ("GetClientsProducts", "serviceid", {"serviceid": "77777"}),
    ("GetClientsProducts", "pid, page at 50,000", {"pid": "1", "limitstart": "50000"}),
    ("GetClientsProducts", "no filter, page 0", {}),
    ("GetClientsProducts", "domain (no index)", {"domain": "s4242-1.example"}),
    ("GetClientsDomains", "clientid", {"clientid": "4242"}),
    ("GetClientsDomains", "domainid", {"domainid": "77777"}),
    ("GetClientsAddons", "clientid", {"clientid": "4242"}),
    ("GetClientsAddons", "serviceid list", {"serviceid": "8483,8484,155555"}),
]


def fill(engine, clients: int) -> None:
    day = dt.date(2025, 1, 1)
    with transaction(engine) as conn:
        conn.execute(insert(tblproducts).values(name="Hosting", type="hostingaccount",
                                                paytype="recurring"))
    for first in range(0, clients, 5000):
        ids = range(first + 1, min(first + 5000, clients) + 1)
        with transaction(engine) as conn:
            conn.execute(insert(tblclients), [{
                "firstname": f"First{i}", "lastname": f"Lastname{i}",
                "email": f"c{i}@example.com", "status": "Active", "datecreated": day,
                "uuid": str(uuid.uuid4())} for i in ids])
            conn.execute(insert(tblhosting), [{
                "userid": i, "packageid": 1, "domainstatus": "Active", "amount": Decimal(5),
                "billingcycle": "Monthly", "regdate": day, "nextduedate": day,
                "nextinvoicedate": day, "domain": f"s{i}-{k}.example",
                "paymentmethod": "banktransfer"} for i in ids for k in (1, 2)])
            conn.execute(insert(tbldomains), [{
                "userid": i, "domain": f"d{i}.example", "status": "Active", "type": "Register",
                "registrationperiod": 1, "nextduedate": day, "nextinvoicedate": day}
                for i in ids])
            conn.execute(insert(tblhostingaddons), [{
                "userid": i, "hostingid": 2 * i, "name": "Backups", "status": "Active",
                "billingcycle": "Monthly", "recurring": Decimal(2), "nextduedate": day,
                "nextinvoicedate": day} for i in ids])


def measure(http, auth, backend: str, repeat: int) -> None:
    print(f"{'case':58} {'p50 ms':>8} {'p95 ms':>8}")
    worst = 0.0
    for action, name, params in CASES:
        samples = time_case(http, auth, action, params, repeat)
        p95 = statistics.quantiles(samples, n=20)[18]
        worst = max(worst, p95)
        print(f"{backend:10} {action:19} {name:27} {statistics.median(samples):8.1f} "
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
            ident, secret = access.create_credential(conn, allow=ACTIONS)
        engine.dispose()
        server, port = serve(url)
        auth = {"identifier": ident, "secret": secret}
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            for _ in range(100):
                try:
                    http.post("/includes/api.php", data={"action": ACTIONS[0], **auth})
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
