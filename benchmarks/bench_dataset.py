"""The seeded data set of issue 10's benchmark, written with SQLAlchemy Core bulk inserts.

Everything is due on the run date: every item's ``nextduedate`` and ``nextinvoicedate`` is
today, nothing has been invoiced for today's period, and every item is eligible (active,
positive amount, a known cycle, a product that exists). So a whole-client run must create,
per client with items, one invoice per item when the client has ``separateinvoices`` set, and
otherwise one invoice per distinct effective payment method (the item's own, or the client's
``defaultgateway`` when empty), since all lines share the due date (rules §5.3). ``Expected``
holds those counts, computed here from the rows as they are inserted.

History: N months of paid invoices, one per client with items per month, with a line per item
(``duedate`` = that month's date, today minus k months) and the matching ledger rows, as a
database that has billed for a while holds. None of them is for today's period.
"""

from __future__ import annotations

import datetime as dt
import os
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from sqlalchemy import Engine, delete, func, insert, select

from geninvoices.models import own
from geninvoices.models.whmcs import (
    tbladdons,
    tblclients,
    tblconfiguration,
    tblcurrencies,
    tbldomains,
    tblhosting,
    tblhostingaddons,
    tblinvoiceitems,
    tblinvoices,
    tblproducts,
    tbltax,
)

BATCH = 5000
CYCLES = ["Monthly", "Quarterly", "Semi-Annually", "Annually", "Biennially", "Triennially"]
GATEWAYS = ["banktransfer", "paypal", "stripe", "mailin"]
PRICES = [Decimal(p) for p in ("2.50", "4.99", "9.95", "19.00", "49.00", "120.00")]
CREDITS = [Decimal(c) for c in ("5.00", "20.00", "100.00", "1000.00")]
VAT = Decimal("20")
SETTINGS = {"TaxEnabled": "on", "TaxDomains": "on", "TaxType": "Exclusive"}
KIND_TABLES = {"Hosting": tblhosting, "Domain": tbldomains, "Addon": tblhostingaddons}


@dataclass(frozen=True)
class Shape:
    clients: int
    items: int
    history_months: int
    seed: int
    today: dt.date


@dataclass
class Item:
    kind: str  # tblinvoiceitems.type: Hosting, Domain or Addon
    id: int
    userid: int
    amount: Decimal
    method: str  # the item's own paymentmethod, "" = the client's
    service: int = 0  # an addon's tblhosting.id


@dataclass
class Client:
    id: int
    gateway: str
    separate: bool
    items: list[Item] = field(default_factory=list)

    def invoices_due(self) -> int:
        if self.separate:
            return len(self.items)
        return len({item.method or self.gateway for item in self.items})


@dataclass(frozen=True)
class Expected:
    invoices: int
    lines: int
    date_updates: int
    history_invoices: int  # ids 1..history_invoices are the past invoices


def build(engine: Engine, shape: Shape) -> Expected:
    rng = random.Random(shape.seed)
    clients = make_clients(shape, rng)
    with engine.begin() as conn:
        write_catalogue(conn)
        insert_batches(conn, tblclients, client_rows(clients, shape, rng))
    items = make_items(shape, clients, rng)
    with engine.begin() as conn:
        for kind, table in KIND_TABLES.items():
            insert_batches(conn, table, item_rows(kind, items, shape, rng))
    history = write_history(engine, shape, clients)
    fix_sequences(engine)
    settle(engine)
    due = sum(c.invoices_due() for c in clients)
    return Expected(invoices=due, lines=len(items), date_updates=len(items),
                    history_invoices=history)


def insert_batches(conn, table, rows: Iterable[dict]) -> None:
    """executemany in batches, so neither side holds a million rows at once (every
    benchmark's data set goes in this way)."""
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            conn.execute(insert(table), batch)
            batch = []
    if batch:
        conn.execute(insert(table), batch)


def write_catalogue(conn) -> None:
    now = dt.datetime(2026, 1, 1)
    conn.execute(delete(tblcurrencies))  # the USD a fresh database holds (0009)
    conn.execute(insert(tblcurrencies).values(id=1, code="USD", prefix="$", suffix=" USD",
                                              format=1, rate=Decimal("1"), default=1))
    conn.execute(insert(tbltax).values(id=1, level=1, name="VAT", country="", state="",
                                       taxrate=VAT))
    conn.execute(insert(tblproducts), [
        {"id": i, "name": f"Hosting Plan {i}", "tax": 1, "paytype": "recurring",
         "type": "hostingaccount"} for i in range(1, 5)])
    conn.execute(insert(tbladdons), [
        {"id": i, "name": f"Addon {i}", "tax": 1, "billingcycle": "Monthly"}
        for i in range(1, 4)])
    conn.execute(delete(tblconfiguration).where(tblconfiguration.c.setting.in_(SETTINGS)))
    conn.execute(insert(tblconfiguration), [
        {"setting": k, "value": v, "created_at": now, "updated_at": now}
        for k, v in SETTINGS.items()])


def make_clients(shape: Shape, rng: random.Random) -> list[Client]:
    return [Client(id=c, gateway=rng.choice(GATEWAYS), separate=rng.random() < 0.05)
            for c in range(1, shape.clients + 1)]


def client_rows(clients: list[Client], shape: Shape, rng: random.Random) -> Iterator[dict]:
    for c in clients:
        credit = rng.choice(CREDITS) if rng.random() < 0.10 else Decimal("0.00")
        yield {"id": c.id, "firstname": f"First{c.id}", "lastname": f"Last{c.id}",
               "email": f"client{c.id}@example.com", "country": "GB", "state": "",
               "currency": 1, "credit": credit, "taxexempt": 0,
               "separateinvoices": int(c.separate), "defaultgateway": c.gateway,
               "status": "Active", "datecreated": shape.today - relativedelta(years=3)}


def make_items(shape: Shape, clients: list[Client], rng: random.Random) -> list[Item]:
    """60% services (the first ones spread over every client), 20% domains, 20% addons on
    a random service. 90% carry their own payment method, one of four at random, the rest
    use the client's: about 2.9 invoices per client, near the issue's 61,350 for 20,000."""
    services = round(shape.items * 0.6)
    domains = round(shape.items * 0.2)
    addons = shape.items - services - domains
    method = lambda: rng.choice(GATEWAYS) if rng.random() < 0.9 else ""  # noqa: E731
    items = []
    for i in range(1, services + 1):
        owner = i if i <= len(clients) else rng.randint(1, len(clients))
        items.append(Item("Hosting", i, owner, rng.choice(PRICES), method()))
    for i in range(1, domains + 1):
        items.append(Item("Domain", i, rng.randint(1, len(clients)), rng.choice(PRICES),
                          method()))
    for i in range(1, addons + 1):
        if services:  # an addon belongs to its service's client
            service = items[rng.randrange(services)]
            items.append(Item("Addon", i, service.userid, rng.choice(PRICES), method(),
                              service=service.id))
    for item in items:
        clients[item.userid - 1].items.append(item)
    return items


def item_rows(kind: str, items: list[Item], shape: Shape, rng: random.Random) -> Iterator[dict]:
    today, regdate = shape.today, shape.today - relativedelta(years=3)
    dates = {"nextduedate": today, "nextinvoicedate": today}
    for item in (i for i in items if i.kind == kind):
        common = {"id": item.id, "userid": item.userid, "paymentmethod": item.method, **dates}
        if kind == "Hosting":
            yield {**common, "packageid": rng.randint(1, 4), "domain": f"s{item.id}.example",
                   "amount": item.amount, "billingcycle": rng.choice(CYCLES),
                   "regdate": regdate, "domainstatus": "Active"}
        elif kind == "Domain":
            yield {**common, "domain": f"d{item.id}.example", "type": "Register",
                   "registrationperiod": rng.randint(1, 3), "recurringamount": item.amount,
                   "registrationdate": regdate, "status": "Active", "donotrenew": 0}
        else:
            yield {**common, "hostingid": item.service, "addonid": rng.randint(1, 3),
                   "name": "", "recurring": item.amount, "billingcycle": rng.choice(CYCLES),
                   "tax": "on", "regdate": regdate, "status": "Active"}


def write_history(engine: Engine, shape: Shape, clients: list[Client]) -> int:
    """One paid invoice per client (with items) per past month, a line and a ledger row per
    item; one transaction per month. Returns how many invoices were written."""
    billed = [c for c in clients if c.items]
    for k in range(1, shape.history_months + 1):
        month = shape.today - relativedelta(months=k)
        first_id = (k - 1) * len(billed) + 1
        invoice_of = {c.id: first_id + n for n, c in enumerate(billed)}
        with engine.begin() as conn:
            insert_batches(conn, tblinvoices, past_invoices(billed, invoice_of, month))
            insert_batches(conn, tblinvoiceitems, past_lines(billed, invoice_of, month))
            insert_batches(conn, own.ledger, past_ledger(billed, invoice_of, month, k))
    return shape.history_months * len(billed)


def past_invoices(billed: list[Client], invoice_of: dict, month: dt.date) -> Iterator[dict]:
    paid = dt.datetime.combine(month, dt.time(9))
    for c in billed:
        subtotal = sum((i.amount for i in c.items), Decimal("0.00"))
        tax = (subtotal * VAT / 100).quantize(Decimal("0.01"))
        yield {"id": invoice_of[c.id], "userid": c.id, "invoicenum": "", "date": month,
               "duedate": month, "datepaid": paid, "subtotal": subtotal,
               "credit": Decimal("0.00"), "tax": tax, "tax2": Decimal("0.00"),
               "total": subtotal + tax, "taxrate": VAT, "taxrate2": Decimal("0"),
               "status": "Paid", "paymentmethod": c.gateway, "notes": "",
               "created_at": paid, "updated_at": paid}


def past_lines(billed: list[Client], invoice_of: dict, month: dt.date) -> Iterator[dict]:
    for c in billed:
        for i in c.items:
            yield {"invoiceid": invoice_of[c.id], "userid": c.id, "type": i.kind,
                   "relid": i.id, "description": f"{i.kind} {i.id} ({month:%d/%m/%Y})",
                   "amount": i.amount, "taxed": 1, "duedate": month,
                   "paymentmethod": i.method or c.gateway, "notes": ""}


def past_ledger(billed: list[Client], invoice_of: dict, month: dt.date,
                k: int) -> Iterator[dict]:
    at = dt.datetime.combine(month, dt.time(9))
    for c in billed:
        for i in c.items:
            yield {"kind": i.kind, "relid": i.id, "period_start": month,
                   "invoiceid": invoice_of[c.id], "run_token": f"history-{k}", "created_at": at}


def fix_sequences(engine: Engine) -> None:
    """Explicit ids leave PostgreSQL's sequences behind: move them past the ids, or the run's
    first invoice would collide with a past one."""
    if engine.dialect.name != "postgresql":
        return
    with engine.begin() as conn:
        for table in (tblcurrencies, tbltax, tblproducts, tbladdons, tblclients, tblhosting,
                      tbldomains, tblhostingaddons, tblinvoices):
            top = conn.execute(select(func.max(table.c.id))).scalar()
            if top:
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), {top})")


def settle(engine: Engine) -> None:
    """Leave the database as months of history would, not as a bulk load of seconds does:
    the planner's statistics up to date, the pages vacuumed and checkpointed, nothing left
    for the kernel to write. PostgreSQL's autovacuum and InnoDB's automatic recalculation
    do this on their own, but not within seconds of a load: PostgreSQL then took 500,000
    invoice lines for 20,000 and read every Hosting line to find a chunk's (86 ms against
    4 ms), and the run shared the machine with autovacuum and a checkpoint of the load.
    SQLite keeps no statistics unless asked (``ANALYZE``), and neither geninvoices nor WHMCS
    asks: its write-ahead log is only folded into the file."""
    name = engine.dialect.name
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if name == "postgresql":
            conn.exec_driver_sql("VACUUM ANALYZE")
            conn.exec_driver_sql("CHECKPOINT")
        elif name == "mysql":
            tables = conn.exec_driver_sql("SELECT table_name FROM information_schema.tables "
                                          "WHERE table_schema = DATABASE()").scalars()
            conn.exec_driver_sql(f"ANALYZE TABLE {', '.join(tables)}")
        elif name == "sqlite":
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    os.sync()
