"""billing/bulk.py writes exactly what Core's generic executemany writes, on every backend
(unnest arrays on PostgreSQL, the driver's executemany on SQLite, Core on MariaDB)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import delete, insert, select

from geninvoices.billing import bulk
from geninvoices.db import transaction
from geninvoices.models import own
from geninvoices.models.whmcs import tblhosting, tblinvoiceitems, tblinvoices
from tests import builders as b

D = dt.date
NOW = dt.datetime(2026, 3, 20, 9, 0, 0)


def _invoice_rows(n: int) -> list[dict]:
    return [{"userid": 7 + i % 3, "invoicenum": "" if i % 2 else f"INV-{i}",
             "date": D(2026, 3, 20), "duedate": None if i == 3 else D(2026, 4, 1 + i),
             "subtotal": Decimal("10.05") * i, "credit": Decimal("0.00"),
             "tax": Decimal("2.01"), "tax2": Decimal("0.00"), "total": Decimal("12.06") + i,
             "taxrate": Decimal("20.000"), "taxrate2": Decimal("0.125"), "status": "Unpaid",
             "paymentmethod": "banktransfer" if i % 2 else "paypal",
             "notes": f"row {i} – é 'quoted' \"and\" {{braces}} \\ back", "created_at": NOW,
             "updated_at": NOW} for i in range(n)]


def _line_rows(invoice_ids: list[int]) -> list[dict]:
    return [{"invoiceid": inv, "userid": 7, "type": "Hosting" if i % 2 else "PromoHosting",
             "relid": 100 + i, "description": f"Line {i}\n(03/20/2026 - 04/19/2026)",
             "amount": Decimal("-1.50") if i % 2 == 0 else Decimal("9.99"), "taxed": i % 2,
             "duedate": D(2026, 3, 20), "paymentmethod": "", "notes": ""}
            for i, inv in enumerate(invoice_ids)]


def _read(conn, table) -> list[dict]:
    return [{k: v for k, v in row.items() if k != "id"}
            for row in conn.execute(select(table).order_by(table.c.id)).mappings()]


def test_inserts_write_what_core_writes_and_ids_follow_the_rows(engine):
    rows = _invoice_rows(7)
    with transaction(engine) as conn:
        conn.execute(insert(tblinvoices), rows)
        conn.execute(insert(tblinvoiceitems), _line_rows(list(range(1, 8))))
        by_core = _read(conn, tblinvoices), _read(conn, tblinvoiceitems)
        conn.execute(delete(tblinvoices))
        conn.execute(delete(tblinvoiceitems))
    with transaction(engine) as conn:
        ids = bulk.insert_ids(conn, tblinvoices, rows)
        bulk.insert_rows(conn, tblinvoiceitems, _line_rows(list(range(1, 8))))
        by_bulk = _read(conn, tblinvoices), _read(conn, tblinvoiceitems)
        stored = {r.id: r.notes for r in conn.execute(
            select(tblinvoices.c.id, tblinvoices.c.notes))}
    assert by_bulk == by_core
    assert ids == sorted(ids) and len(set(ids)) == 7
    assert [stored[i] for i in ids] == [r["notes"] for r in rows]


def test_insert_ignore_leaves_existing_periods_alone(engine):
    def period(relid, start, token):
        return {"kind": "Hosting", "relid": relid, "period_start": start, "invoiceid": 0,
                "run_token": token, "created_at": NOW}
    with transaction(engine) as conn:
        bulk.insert_ignore(conn, own.ledger, [period(1, D(2026, 3, 1), "first")])
        bulk.insert_ignore(conn, own.ledger, [period(1, D(2026, 3, 1), "second"),
                                              period(1, D(2026, 4, 1), "second"),
                                              period(2, D(2026, 3, 1), "second")])
        held = {(r.relid, r.period_start, r.run_token) for r in conn.execute(
            select(own.ledger.c.relid, own.ledger.c.period_start, own.ledger.c.run_token))}
    assert held == {(1, D(2026, 3, 1), "first"), (1, D(2026, 4, 1), "second"),
                    (2, D(2026, 3, 1), "second")}


def _services(conn, *next_due_dates) -> list[int]:
    """One client's services, one per next due date."""
    b.make_currency(conn)
    cid = b.make_client(conn)
    pid = b.make_product(conn)
    return [b.make_service(conn, client=cid, product=pid, nextduedate=due)
            for due in next_due_dates]


def test_move_dates_moves_only_items_still_at_their_period(engine):
    with transaction(engine) as conn:
        moved, elsewhere, untouched = _services(conn, D(2026, 3, 1), D(2026, 2, 1),
                                                D(2026, 3, 1))
        bulk.move_dates(conn, tblhosting, [(moved, D(2026, 3, 1), D(2026, 4, 1)),
                                           (elsewhere, D(2026, 3, 1), D(2026, 4, 1))])
        dates = {r.id: r.nextinvoicedate for r in conn.execute(
            select(tblhosting.c.id, tblhosting.c.nextinvoicedate))}
    assert dates == {moved: D(2026, 4, 1), elsewhere: D(2026, 2, 1),
                     untouched: D(2026, 3, 1)}


def test_among_selects_what_in_selects(engine):
    with transaction(engine) as conn:
        bulk.insert_rows(conn, tblinvoiceitems, _line_rows([5, 6, 7, 8]))
        li = tblinvoiceitems
        query = select(li.c.relid).order_by(li.c.relid)
        picked = list(conn.execute(query.where(
            bulk.among(conn, li.c.invoiceid, [6, 8, 99]),
            bulk.among(conn, li.c.duedate, {D(2026, 3, 20)}),
            bulk.among(conn, li.c.type, ("Hosting", "PromoHosting")))).scalars())
        listed = list(conn.execute(query.where(li.c.invoiceid.in_([6, 8, 99]))).scalars())
    assert picked == listed == [101, 103]


def test_set_by_id_sets_each_row_its_own_value(engine):
    with transaction(engine) as conn:
        first, second, other = _services(conn, D(2026, 3, 1), D(2026, 3, 1), D(2026, 3, 1))
        bulk.set_by_id(conn, tblhosting, "nextduedate", [(first, D(2026, 4, 1)),
                                                         (second, D(2027, 3, 1))])
        bulk.set_by_id(conn, tblhosting, "amount", [(other, Decimal("12.34"))])
        got = {r.id: (r.nextduedate, r.amount) for r in conn.execute(
            select(tblhosting.c.id, tblhosting.c.nextduedate, tblhosting.c.amount))}
    assert got == {first: (D(2026, 4, 1), Decimal("10.00")),
                   second: (D(2027, 3, 1), Decimal("10.00")),
                   other: (D(2026, 3, 1), Decimal("12.34"))}
