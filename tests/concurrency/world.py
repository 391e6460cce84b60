"""A billing world built with bulk inserts, and a snapshot of what a run leaves, equal for two
databases when they hold the same result "up to invoice ids and the order of numbers"."""

from __future__ import annotations

import datetime as dt
import os
import random
import subprocess
import sys
from collections import Counter
from decimal import Decimal

from sqlalchemy import delete, insert, select

from geninvoices.db import transaction
from geninvoices.models import own
from geninvoices.models.whmcs import (
    tbladdons,
    tblbillableitems,
    tblclients,
    tblcredit,
    tblcurrencies,
    tbldomains,
    tblhosting,
    tblhostingaddons,
    tblinvoiceitems,
    tblinvoices,
    tblpricing,
    tblproducts,
    tblpromotions,
)
from tests.builders import make_past_invoice, set_config

TODAY = dt.date.today()  # the API bills as of the real today, so the world is built around it
NUMBER_FORMAT = "INV-{NUMBER}"
FIRST_NUMBER = 1000
PAST = "PAST-"  # the invoice number of an invoice the world holds from before


def build_world(engine, clients: int, *, seed: int = 7) -> int:
    """``clients`` clients with five due items each (services, an addon, a domain); some with
    credit, some with separate invoices; custom numbering on; billable items of every
    invoice action and services under recurring promotions (rules §5.9, §5.10), one of
    them spent. Returns the item count."""
    rng = random.Random(seed)
    cfg = {"TaxCustomInvoiceNumbering": "on", "TaxCustomInvoiceNumberFormat": NUMBER_FORMAT,
           "TaxNextCustomInvoiceNumber": str(FIRST_NUMBER), "CreateInvoiceDaysBefore": "14"}
    with transaction(engine) as conn:
        set_config(conn, **cfg)  # over the defaults a fresh database holds
        conn.execute(delete(tblcurrencies))  # the USD a fresh database holds (0009)
        conn.execute(insert(tblcurrencies).values(id=1, code="USD", prefix="$", suffix=" USD",
                                                  default=1))
        conn.execute(insert(tblproducts), [{"id": i, "name": f"Plan {i}", "tax": 0}
                                           for i in (1, 2)])
        conn.execute(insert(tbladdons).values(id=1, name="Backups"))
        conn.execute(insert(tblclients), [
            {"id": c, "firstname": f"C{c}", "lastname": "Test", "email": f"c{c}@example.com",
             "currency": 1, "status": "Active",
             "credit": Decimal(rng.choice(["0.00", "0.00", "7.50", "25.00", "500.00"])),
             "separateinvoices": int(c % 7 == 0)} for c in range(1, clients + 1)])
        services, addons, domains = [], [], []
        for c in range(1, clients + 1):
            for k in range(2):
                sid = c * 10 + k
                day = TODAY + dt.timedelta(days=rng.choice([0, 3, 5, 10]))
                services.append({
                    "id": sid, "userid": c, "packageid": 1 + k, "domain": f"s{sid}.example",
                    "amount": Decimal(rng.choice(["4.99", "9.95", "19.00"])),
                    "billingcycle": rng.choice(["Monthly", "Quarterly", "Annually"]),
                    "regdate": day, "nextduedate": day, "nextinvoicedate": day,
                    "domainstatus": "Active",
                    "paymentmethod": rng.choice(["banktransfer", "banktransfer", "paypal"])})
            addons.append({"id": c, "userid": c, "hostingid": c * 10, "addonid": 1,
                           "recurring": Decimal("2.00"), "billingcycle": "Monthly",
                           "regdate": services[-2]["regdate"],
                           "nextduedate": services[-2]["regdate"],
                           "nextinvoicedate": services[-2]["regdate"], "status": "Active",
                           "paymentmethod": "banktransfer", "tax": ""})
            day = TODAY + dt.timedelta(days=rng.choice([1, 3]))
            domains.append({"id": c, "userid": c, "domain": f"d{c}.example", "type": "Register",
                            "registrationperiod": rng.choice([1, 2]),
                            "recurringamount": Decimal("12.00"), "registrationdate": day,
                            "nextduedate": day, "nextinvoicedate": day, "status": "Active",
                            "paymentmethod": "banktransfer"})
            day = TODAY + dt.timedelta(days=2)
            services.append({"id": c * 10 + 5, "userid": c, "packageid": 2, "domain": "",
                             "amount": Decimal("1.00"), "billingcycle": "Monthly",
                             "regdate": day, "nextduedate": day, "nextinvoicedate": day,
                             "domainstatus": "Suspended", "paymentmethod": ""})
        _promote(conn, services)
        billables = _billables(clients)
        conn.execute(insert(tblhosting), services)
        conn.execute(insert(tblhostingaddons), addons)
        conn.execute(insert(tbldomains), domains)
        conn.execute(insert(tblbillableitems), billables)
    _fix_sequences(engine)
    return len(services) + len(addons) + len(domains) + len(billables)


def _promote(conn, services: list[dict]) -> None:
    """Every sixth client's first service is under a recurring promotion: 10% for ever, or
    one renewal (spent at once: its first invoice is taken as already made)."""
    conn.execute(insert(tblpromotions), [
        {"id": 1, "code": "TENOFF", "type": "Percentage", "recurring": 1,
         "value": Decimal("10.00"), "recurfor": 0, "startdate": dt.date(2025, 1, 1)},
        {"id": 2, "code": "ONCE", "type": "Fixed Amount", "recurring": 1,
         "value": Decimal("1.00"), "recurfor": 1, "startdate": dt.date(2025, 1, 1)}])
    conn.execute(insert(tblpricing), [
        {"type": "product", "relid": p, "currency": 1, "monthly": Decimal("20.00"),
         "quarterly": Decimal("60.00"), "annually": Decimal("240.00")} for p in (1, 2)])
    for row in services:
        if row["userid"] % 6 == 0 and row["id"] % 10 == 0:
            row["promoid"] = 1 + (row["userid"] % 12 == 0)
            if row["promoid"] == 2:  # its first invoice and one renewal are behind it
                _past_invoice(conn, row)


def _past_invoice(conn, service: dict) -> None:
    """A paid invoice made before geninvoices (numbered ``PAST-``), with two of the
    service's periods."""
    make_past_invoice(conn, client=service["userid"], invoicenum=f"{PAST}{service['id']}",
                      lines=[("Hosting", service["id"], dt.date(2020, month, 1),
                              service["amount"]) for month in (1, 2)])


def _billables(clients: int) -> list[dict]:
    """nextcron for every third client, a monthly item for three periods for every fourth
    (monthly, so that a second run the same day finds its next period outside the window and
    any number of runs bill what one run bills), a rider for every fifth, and an item never
    to invoice for every seventh."""
    rows, due = [], TODAY + dt.timedelta(days=4)
    for c in range(1, clients + 1):
        for action, every, applies in ((1, 0, c % 3 == 0), (4, 1, c % 4 == 0),
                                       (2, 0, c % 5 == 0), (0, 0, c % 7 == 0)):
            if applies:
                rows.append({"userid": c, "description": f"Work {action} for {c}",
                             "amount": Decimal("15.00"), "invoiceaction": action,
                             "recur": every, "recurcycle": "Months" if every else "",
                             "recurfor": 3 if every else 0, "duedate": due,
                             "invoicecount": 0, "hours": Decimal("1.0")})
    return rows


def _fix_sequences(engine) -> None:
    """Explicit ids on PostgreSQL leave its sequences behind: move them past the ids."""
    if engine.dialect.name != "postgresql":
        return
    with transaction(engine) as conn:
        for table in (tblcurrencies, tblproducts, tbladdons, tblclients, tblhosting,
                      tblhostingaddons, tbldomains, tblpromotions):
            conn.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                f"(SELECT MAX(id) FROM {table.name}))")


def snapshot(engine) -> dict:
    """Everything a run writes, with invoice ids replaced by what the invoice is."""
    with engine.connect() as conn:
        invoices = {r.id: r for r in conn.execute(select(tblinvoices))}
        lines = conn.execute(select(tblinvoiceitems).order_by(tblinvoiceitems.c.id)).all()
        by_invoice: dict[int, list] = {}
        for ln in lines:
            by_invoice.setdefault(ln.invoiceid, []).append(
                (ln.type, ln.relid, ln.description, str(ln.amount), ln.taxed, ln.duedate,
                 ln.paymentmethod))
        key = {i: (r.userid, r.duedate, tuple(sorted(by_invoice.get(i, []))))
               for i, r in invoices.items()}
        state = {
            "invoices": Counter((key[i], r.date, str(r.subtotal), str(r.credit), str(r.tax),
                                 str(r.total), r.status, r.paymentmethod)
                                for i, r in invoices.items()),
            "numbers": sorted(r.invoicenum for r in invoices.values()
                              if not r.invoicenum.startswith(PAST)),
            "services": sorted(conn.execute(select(tblhosting.c.id, tblhosting.c.nextduedate,
                                                   tblhosting.c.nextinvoicedate)).all()),
            "addons": sorted(conn.execute(select(tblhostingaddons.c.id,
                                                 tblhostingaddons.c.nextduedate,
                                                 tblhostingaddons.c.nextinvoicedate)).all()),
            "domains": sorted(conn.execute(select(tbldomains.c.id, tbldomains.c.nextduedate,
                                                  tbldomains.c.nextinvoicedate)).all()),
            "promotions": sorted(conn.execute(select(tblhosting.c.id, tblhosting.c.amount,
                                                     tblhosting.c.promoid)).all()),
            "billable_items": sorted(conn.execute(select(
                tblbillableitems.c.description, tblbillableitems.c.invoicecount,
                tblbillableitems.c.duedate)).all()),
            "credit": sorted((r.id, str(r.credit)) for r in conn.execute(
                select(tblclients.c.id, tblclients.c.credit))),
            "credit_rows": Counter((r.clientid, str(r.amount), key.get(r.relid)) for r in
                                   conn.execute(select(tblcredit))),
            "ledger": Counter((r.kind, r.relid, r.period_start, key.get(r.invoiceid)) for r in
                              conn.execute(select(own.ledger))),
            "outbox": Counter(key.get(r.invoiceid) for r in conn.execute(select(own.outbox))),
        }
    return state


def numbers_are_gapless(state: dict) -> bool:
    expected = [NUMBER_FORMAT.replace("{NUMBER}", str(FIRST_NUMBER + i))
                for i in range(len(state["numbers"]))]
    return sorted(state["numbers"]) == sorted(expected)


def without_numbers(state: dict) -> dict:
    return {k: v for k, v in state.items() if k != "numbers"}


def cli(url: str, *args: str, env: dict | None = None, **kw) -> subprocess.Popen:
    full_env = {**os.environ, "GENINVOICES_DATABASE_URL": url, **(env or {})}
    return subprocess.Popen([sys.executable, "-m", "geninvoices.cli", *args], env=full_env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)
