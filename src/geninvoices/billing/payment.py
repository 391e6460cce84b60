"""The one payment rule (spec 5.7), used by AddInvoicePayment and by invoices that credit
pays in full at creation.

The invoice becomes Paid; for each of its lines whose item's ``nextduedate`` equals the line's
``duedate``, that date moves forward one cycle. A line that does not match moves nothing and
is logged, so paying an old invoice after a newer one, or paying twice, never moves a date
twice. Sequential paid numbering gives the number in the same transaction (custom numbering,
when on, wins).
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import Connection, bindparam, select, update

from ..models.whmcs import tbldomains, tblhosting, tblhostingaddons, tblinvoiceitems, tblinvoices
from . import counters, cycles
from .numbering import format_invoice_number
from .options import BillingOptions

log = logging.getLogger("geninvoices.billing")

ITEM_TABLES = {"Hosting": tblhosting, "Addon": tblhostingaddons, "Domain": tbldomains}


def mark_paid(conn: Connection, invoice_ids: list[int], paid_at: dt.datetime,
              options: BillingOptions) -> None:
    if not invoice_ids:
        return
    inv = tblinvoices
    conn.execute(update(inv).where(inv.c.id.in_(invoice_ids)).values(
        status="Paid", datepaid=paid_at, updated_at=paid_at))
    if options.sequential_paid_numbering and not options.custom_numbering:
        _number(conn, invoice_ids, paid_at.date(), options)
    _advance_due_dates(conn, invoice_ids)


def _number(conn: Connection, invoice_ids: list[int], on: dt.date,
            options: BillingOptions) -> None:
    inv = tblinvoices
    unnumbered = sorted(conn.execute(select(inv.c.id).where(
        inv.c.id.in_(invoice_ids), inv.c.invoicenum == "")).scalars())
    first = counters.allocate(conn, "SequentialInvoiceNumberValue", len(unnumbered))
    if unnumbered:
        conn.execute(update(inv).where(inv.c.id == bindparam("b_id")).values(
            invoicenum=bindparam("b_num")), [
            {"b_id": invoice_id, "b_num": format_invoice_number(
                options.sequential_number_format, first + i, on)}
            for i, invoice_id in enumerate(unnumbered)])


def _advance_due_dates(conn: Connection, invoice_ids: list[int]) -> None:
    li = tblinvoiceitems
    lines = conn.execute(select(li.c.invoiceid, li.c.type, li.c.relid, li.c.duedate).where(
        li.c.invoiceid.in_(invoice_ids), li.c.type.in_(ITEM_TABLES))
        .order_by(li.c.duedate, li.c.id)).all()
    for kind, table in ITEM_TABLES.items():
        relids = {l.relid for l in lines if l.type == kind}
        if not relids:
            continue
        items = {r.id: r for r in conn.execute(select(table).where(table.c.id.in_(relids)))}
        due = {i: r.nextduedate for i, r in items.items()}
        for line in (l for l in lines if l.type == kind):
            item = items.get(line.relid)
            if item is None or line.duedate is None or due[line.relid] != line.duedate:
                log.info("payment of invoice %s: %s %s line for %s moves no date (due date %s)",
                         line.invoiceid, kind, line.relid, line.duedate,
                         due.get(line.relid))
                continue
            try:
                due[line.relid] = cycles.advance(line.duedate, _months(kind, item),
                                                 _regdate(kind, item))
            except cycles.UnknownCycle:
                log.warning("payment of invoice %s: %s %s has an unknown cycle; date not moved",
                            line.invoiceid, kind, line.relid)
        changed = [{"b_id": i, "b_due": d} for i, d in due.items() if d != items[i].nextduedate]
        if changed:
            conn.execute(update(table).where(table.c.id == bindparam("b_id"))
                         .values(nextduedate=bindparam("b_due")), changed)


def _months(kind: str, item) -> int:
    if kind == "Domain":
        return cycles.domain_months(item.registrationperiod or 0)
    return cycles.cycle_months(item.billingcycle or "")


def _regdate(kind: str, item):
    return item.registrationdate if kind == "Domain" else item.regdate
