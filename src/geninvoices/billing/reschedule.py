"""An operator's new next due date, kept consistent with what was billed (rules §14.3).

The engine bills from ``nextinvoicedate`` and, with Continuous Invoice Generation off, only
while it equals ``nextduedate``; so a new due date sets both. A billed period is known by its
start: the ledger's (kind, relid, period start) and WHMCS's own invoice lines of that type,
relid and due date. From the new date, ``nextinvoicedate`` moves past the periods already
billed and ``nextduedate`` past those already paid, one cycle (as stored: the cycle they were
billed under) at a time, as billing and payment would have moved them (§5.1, §5.7). A date
strictly inside a billed period would start a period that overlaps it, which neither the
ledger nor the lines can see: it is refused.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, func, select

from ..errors import BusinessError
from ..models import own
from ..models.whmcs import tblinvoiceitems, tblinvoices
from . import cycles
from .kinds import Kind


def _starts(conn: Connection, kind: Kind, relid: int, since: dt.date) -> tuple[set, set]:
    """The item's billed and paid period starts from ``since`` on (through the ledger's
    unique key and the lines' (type, relid, duedate) index)."""
    lg, li, inv = own.ledger, tblinvoiceitems, tblinvoices
    billed = set(conn.execute(select(lg.c.period_start).where(
        lg.c.kind == kind.type, lg.c.relid == relid, lg.c.period_start >= since)).scalars())
    paid = set()
    for duedate, status in conn.execute(
            select(li.c.duedate, inv.c.status).join(inv, inv.c.id == li.c.invoiceid)
            .where(li.c.type == kind.type, li.c.relid == relid, li.c.duedate >= since)):
        billed.add(duedate)
        if status == "Paid":
            paid.add(duedate)
    return billed - {None}, paid - {None}


def _last_start_before(conn: Connection, kind: Kind, relid: int, day: dt.date):
    lg, li = own.ledger, tblinvoiceitems
    found = [conn.execute(select(func.max(lg.c.period_start)).where(
                 lg.c.kind == kind.type, lg.c.relid == relid,
                 lg.c.period_start < day)).scalar(),
             conn.execute(select(func.max(li.c.duedate)).where(
                 li.c.type == kind.type, li.c.relid == relid, li.c.duedate < day)).scalar()]
    found = [d for d in found if d is not None]
    return max(found) if found else None


def _past(kind: Kind, day: dt.date, starts: set, cycle, anchor) -> dt.date:
    while day in starts:
        starts = starts - {day}
        day = kind.advance(day, cycle, anchor)
    return day


def new_due_date(conn: Connection, kind: Kind, row, new: dt.date) -> dict:
    """The dates to write for a new next due date, or the error that refuses it."""
    cycle, anchor = row._mapping[kind.cycle_column], row._mapping[kind.anchor_column]
    try:
        kind.months(cycle)
    except cycles.UnknownCycle:  # not recurring (or bad data): no periods to keep apart
        return {"nextduedate": new, "nextinvoicedate": new}
    start = _last_start_before(conn, kind, row.id, new)
    if start is not None and new < (end := kind.advance(start, cycle, anchor)):
        raise BusinessError(
            f"Next Due Date {new} falls inside the period {start} to "
            f"{cycles.period_end(start, end)} already invoiced: use {start} or a date from "
            f"{end} on")
    billed, paid = _starts(conn, kind, row.id, new)
    return {"nextduedate": _past(kind, new, paid, cycle, anchor),
            "nextinvoicedate": _past(kind, new, billed, cycle, anchor)}
