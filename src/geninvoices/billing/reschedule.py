"""An operator's new next due date, kept consistent with what was billed (rules §14.3).

The engine bills from ``nextinvoicedate`` and, with Continuous Invoice Generation off, only
while it equals ``nextduedate``; so a new due date sets both. A billed period is known by its
start: the ledger's (period start, kind, relid) and WHMCS's own invoice lines of that type,
relid and due date. From the new date, ``nextinvoicedate`` moves past the periods already
billed and ``nextduedate`` past those already paid, one cycle (as stored: the cycle they were
billed under) at a time, as billing and payment would have moved them (§5.1, §5.7). A date
strictly inside a billed period would start a period that overlaps it, which neither the
ledger nor the lines can see: it is refused.

The ledger's key leads with the period start (revision 0015), so it is read a period at a
time, or within one cycle before the new date; the lines by their (type, relid, duedate)
index. Neither read grows with the history an item has.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import Connection, func, select

from ..errors import BusinessError
from ..models import own
from ..models.whmcs import tblinvoiceitems, tblinvoices
from . import cycles, due
from .kinds import Kind


def _line_starts(conn: Connection, kind: Kind, relid: int, since: dt.date) -> tuple[set, set]:
    """The item's period starts on WHMCS's invoice lines from ``since`` on: billed, and paid
    (the line's invoice is Paid)."""
    li, inv = tblinvoiceitems, tblinvoices
    billed, paid = set(), set()
    for duedate, status in conn.execute(
            select(li.c.duedate, inv.c.status).join(inv, inv.c.id == li.c.invoiceid)
            .where(li.c.type == kind.type, li.c.relid == relid, li.c.duedate >= since)):
        billed.add(duedate)
        if status == "Paid":
            paid.add(duedate)
    return billed - {None}, paid - {None}


def _last_start_before(conn: Connection, kind: Kind, relid: int, day: dt.date,
                       months: int):
    """The latest period start before ``day`` that a period could last past ``day`` from:
    the lines' latest, or a later one of the ledger's, read from ``cycles.reach_back``."""
    lg, li = own.ledger, tblinvoiceitems
    line = conn.execute(select(func.max(li.c.duedate)).where(
        li.c.type == kind.type, li.c.relid == relid, li.c.duedate < day)).scalar()
    since = max(d for d in (line, cycles.reach_back(day, months)) if d is not None)
    ledger = conn.execute(select(func.max(lg.c.period_start)).where(
        lg.c.period_start >= since, lg.c.period_start < day,
        lg.c.kind == kind.type, lg.c.relid == relid)).scalar()
    found = [d for d in (line, ledger) if d is not None]
    return max(found) if found else None


def _past(kind: Kind, day: dt.date, started: Callable[[dt.date], bool], cycle,
          anchor) -> dt.date:
    """The first period start from ``day`` on, a cycle at a time, that ``started`` says was
    not."""
    while started(day) and (following := kind.advance(day, cycle, anchor)) > day:
        day = following
    return day


def new_due_date(conn: Connection, kind: Kind, row, new: dt.date) -> dict:
    """The dates to write for a new next due date, or the error that refuses it."""
    cycle, anchor = row._mapping[kind.cycle_column], row._mapping[kind.anchor_column]
    try:
        months = kind.months(cycle)
    except cycles.UnknownCycle:  # not recurring (or bad data): no periods to keep apart
        return {"nextduedate": new, "nextinvoicedate": new}
    start = _last_start_before(conn, kind, row.id, new, months)
    if start is not None and new < (end := kind.advance(start, cycle, anchor)):
        raise BusinessError(
            f"Next Due Date {new} falls inside the period {start} to "
            f"{cycles.period_end(start, end)} already invoiced: use {start} or a date from "
            f"{end} on")
    billed, paid = _line_starts(conn, kind, row.id, new)
    def in_ledger(day: dt.date) -> bool:  # one whole key at a time (rules §9)
        return bool(due.in_ledger(conn, {(kind.type, row.id, day)}))
    return {"nextduedate": _past(kind, new, paid.__contains__, cycle, anchor),
            "nextinvoicedate": _past(kind, new, lambda d: d in billed or in_ledger(d), cycle,
                                     anchor)}
