"""The reads of issue 13 on 100,000 clients: GetClients, GetClientsDetails,
GetClientsProducts, GetClientsDomains, GetClientsAddons and GetOrders (rules §11, §13, §14.2).

    python benchmarks/reads_bench.py [--database-url sqlite|postgresql|mariadb|URL]...
                                     [--clients 100000] [--repeat 40]

For each database: a fresh, uniquely named database (dropped afterwards), filled with bulk
inserts (per client one service, one order, one domain, one addon on its first service and
three invoices, two paid and one unpaid; one more service for every fifth client; one
currency, one product) and analysed as a live database would be (``analyze``), a real
`geninvoices serve` on a free loopback port, and each case called `--repeat` times over
HTTP with a kept-alive connection. Prints the command, p50 and p95 per case and the worst
p95 per database. Target: p95 under 50 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import httpx
from bench_dataset import insert_batches, settle
from bench_server import Scratch, Server
from sqlalchemy import delete, insert

from geninvoices import access
from geninvoices.db import make_engine, transaction
from geninvoices.migrate import migrate
from geninvoices.models.whmcs import (
    tblclients,
    tblcurrencies,
    tbldomains,
    tblhosting,
    tblhostingaddons,
    tblinvoices,
    tblorders,
    tblproducts,
)

ACTIONS = ["GetClients", "GetClientsDetails", "GetClientsProducts", "GetClientsDomains",
           "GetClientsAddons", "GetOrders"]

STATUSES = ["Active"] * 8 + ["Inactive", "Closed"]
ORDER_STATUSES = ["Active"] * 7 + ["Pending", "Pending", "Cancelled"]


def fill(engine, clients: int) -> None:
    rng = random.Random(13)
    now = dt.datetime(2026, 1, 1)
    day = dt.date(2026, 1, 1)
    with transaction(engine) as conn:
        conn.execute(delete(tblcurrencies))  # the USD a fresh database holds (0009)
        conn.execute(insert(tblcurrencies).values(id=1, code="USD", prefix="$", suffix=" USD",
                                                  default=1))
        conn.execute(insert(tblproducts).values(name="Shared Hosting", type="hostingaccount",
                                                paytype="recurring", gid=1))
    services = [c for c in range(1, clients + 1)] + list(range(5, clients + 1, 5))
    with transaction(engine) as conn:
        insert_batches(conn, tblclients, (
            {"firstname": f"First{i}", "lastname": f"Last{i}", "email": f"client{i}@example.com",
             "companyname": f"Company {i}", "status": rng.choice(STATUSES), "currency": 1,
             "datecreated": day, "created_at": now, "updated_at": now}
            for i in range(1, clients + 1)))
        insert_batches(conn, tblhosting, (
            {"userid": c, "packageid": 1, "orderid": c, "regdate": day,
             "domain": f"c{c}.example", "paymentmethod": "banktransfer",
             "firstpaymentamount": Decimal("9.95"), "amount": Decimal("9.95"),
             "billingcycle": "Monthly", "nextduedate": day, "nextinvoicedate": day,
             "domainstatus": "Active"} for c in services))
        insert_batches(conn, tblorders, (
            {"ordernum": rng.randint(10**9, 10**10 - 1), "userid": c, "date": now,
             "amount": Decimal("9.95"), "paymentmethod": "banktransfer",
             "status": rng.choice(ORDER_STATUSES), "ipaddress": "127.0.0.1"}
            for c in range(1, clients + 1)))
        _fill_more(conn, clients, day)


def _fill_more(conn, clients: int, day: dt.date) -> None:
    """What GetClientsDetails' stats, GetClientsDomains and GetClientsAddons read. Client
    ``c``'s first service has id ``c`` (the services above go in in that order)."""
    insert_batches(conn, tbldomains, (
        {"userid": c, "domain": f"d{c}.example", "status": "Active", "type": "Register",
         "registrationperiod": 1, "nextduedate": day, "nextinvoicedate": day}
        for c in range(1, clients + 1)))
    insert_batches(conn, tblhostingaddons, (
        {"userid": c, "hostingid": c, "name": "Backups", "status": "Active",
         "billingcycle": "Monthly", "recurring": Decimal(2), "nextduedate": day,
         "nextinvoicedate": day} for c in range(1, clients + 1)))
    insert_batches(conn, tblinvoices, (
        {"userid": c, "date": day, "duedate": day, "status": status,
         "total": Decimal("10.00"), "subtotal": Decimal("10.00")}
        for c in range(1, clients + 1) for status in ("Paid", "Paid", "Unpaid")))


def cases(clients: int) -> list[tuple[str, dict]]:
    middle, late = clients // 2, clients - 7
    return [
        ("GetClients first page", {"action": "GetClients", "limitnum": "25"}),
        ("GetClients page at the middle", {"action": "GetClients", "limitnum": "25",
                                           "limitstart": str(middle)}),
        ("GetClients last page", {"action": "GetClients", "limitnum": "25",
                                  "limitstart": str(max(clients - 25, 0))}),
        ("GetClients search email", {"action": "GetClients",
                                     "search": f"client{late}@example.com"}),
        ("GetClients search name prefix", {"action": "GetClients", "search": f"Last{late}"}),
        ("GetClients search broad prefix", {"action": "GetClients", "search": "Last9"}),
        ("GetClients status=Closed", {"action": "GetClients", "status": "Closed",
                                      "limitnum": "25", "limitstart": "1000"}),
        ("GetClients orderby=lastname DESC", {"action": "GetClients", "orderby": "lastname",
                                              "sorting": "DESC"}),
        ("GetClientsDetails clientid + stats", {"action": "GetClientsDetails",
                                                "clientid": str(late), "stats": "1"}),
        ("GetClientsDetails email", {"action": "GetClientsDetails",
                                     "email": f"client{middle}@example.com"}),
        ("GetClientsProducts clientid", {"action": "GetClientsProducts",
                                         "clientid": str(late)}),
        ("GetClientsProducts serviceid", {"action": "GetClientsProducts",
                                          "serviceid": str(middle)}),
        ("GetClientsProducts first page", {"action": "GetClientsProducts",
                                           "limitnum": "25"}),
        ("GetClientsProducts pid, page at the middle", {
            "action": "GetClientsProducts", "pid": "1", "limitstart": str(middle)}),
        ("GetClientsProducts domain", {"action": "GetClientsProducts",
                                                  "domain": f"c{late}.example"}),
        ("GetClientsDomains clientid", {"action": "GetClientsDomains", "clientid": str(late)}),
        ("GetClientsDomains domainid", {"action": "GetClientsDomains",
                                        "domainid": str(middle)}),
        ("GetClientsAddons clientid", {"action": "GetClientsAddons", "clientid": str(late)}),
        ("GetClientsAddons serviceid list", {"action": "GetClientsAddons",
                                             "serviceid": f"{middle - 1},{middle},{late}"}),
        ("GetOrders userid", {"action": "GetOrders", "userid": str(late)}),
        ("GetOrders id", {"action": "GetOrders", "id": str(middle)}),
        ("GetOrders status=Pending", {"action": "GetOrders", "status": "Pending",
                                      "limitnum": "25"}),
        ("GetOrders first page", {"action": "GetOrders", "limitnum": "25"}),
    ]


def time_case(http, auth, params, repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        reply = http.post("/includes/api.php", data={"responsetype": "json", **auth, **params})
        samples.append((time.perf_counter() - started) * 1000)
        assert reply.status_code == 200 and '"result":"success"' in reply.text, reply.text[:300]
    return samples


def run(url_arg: str, clients: int, repeat: int) -> float:
    scratch = Scratch(url_arg)
    server = None
    try:
        url = scratch.create("reads")
        engine = make_engine(url)
        migrate(engine)
        started = time.perf_counter()
        fill(engine, clients)
        settle(engine)
        print(f"{scratch.label}: filled {clients:,} clients in "
              f"{time.perf_counter() - started:.1f} s")
        with transaction(engine) as conn:
            ident, secret = access.create_credential(conn, allow=ACTIONS)
        engine.dispose()
        server = Server(url, Path(tempfile.mkdtemp(prefix="gi-reads-")) / "serve.log")
        server.wait_until_up()
        auth = {"identifier": ident, "secret": secret}
        worst = 0.0
        with httpx.Client(base_url=server.base, timeout=30) as http:
            time_case(http, auth, {"action": "GetOrders", "limitnum": "1"}, 5)  # warm up
            for name, params in cases(clients):
                samples = time_case(http, auth, params, repeat)
                p95 = statistics.quantiles(samples, n=20)[18]
                worst = max(worst, p95)
                print(f"{scratch.label:10} {name:44} p50 {statistics.median(samples):6.1f} ms"
                      f"  p95 {p95:6.1f} ms")
        print(f"{scratch.label}: worst p95 {worst:.1f} ms (target: under 50 ms), "
              f"load average {os.getloadavg()[0]:.1f}")
        return worst
    finally:
        if server:
            server.stop()
        scratch.drop_all()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", action="append", default=None)
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=40)
    args = parser.parse_args()
    print("command:", " ".join([Path(sys.executable).name, *sys.argv]))
    for url in args.database_url or ["sqlite"]:
        run(url, args.clients, args.repeat)


if __name__ == "__main__":
    main()
