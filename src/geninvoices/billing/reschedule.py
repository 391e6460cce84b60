"""An operator's new next due date, kept consistent with what was billed (rules §14.3).

The engine bills from ``nextinvoicedate`` and, with Continuous Invoice Generation off, only
while it equals ``nextduedate``; so a new due date sets both. A billed period is known by its
start: the ledger's (period start, kind, relid) and WHMCS's own invoice lines of that type,
relid and due date. From the new date, ``nextinvoicedate`` moves past the periods already
billed and ``nextduedate`` past those already paid, one cycle (as stored: the cycle they were
billed under) at a time, as billing and payment would have moved them (§5.1, §5.7). A date
strictly inside a billed period would start a period that overlaps it, which neither the
ledger nor the lines can see: it is refused.

The ledger's key and the lines' index lead with the period start (revisions 0015 and 0016),
so both are read a period at a time: stepping on from the new date, and, for a period around
it, each day from one cycle and a month before it. Neither read grows with the history an
item has, nor with the items the database holds.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable

from sqlalchemy import Connection, func, select

from ..errors import BusinessError
from ..models import own
from ..models.whmcs import tblinvoiceitems
from . import cycles, due
from .bulk import among
from .kinds import Kind


def _last_start_before(conn: Connection, kind: Kind, relid: int, day: dt.date,
                       months: int):
    """The latest period start before ``day`` that a period could last past ``day`` from, on
    the item's lines or in the ledger: the days from ``cycles.reach_back`` on, each looked up
    by the whole key."""
    days = cycles.days_between(cycles.reach_back(day, months), day)
    lg, li = own.ledger, tblinvoiceitems
    line = conn.execute(select(func.max(li.c.duedate)).where(
        among(conn, li.c.duedate, days), li.c.type == kind.type, li.c.relid == relid)).scalar()
    ledger = conn.execute(select(func.max(lg.c.period_start)).where(
        among(conn, lg.c.period_start, days), lg.c.kind == kind.type,
        lg.c.relid == relid)).scalar()
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
    # one whole key at a time, on the lines and in the ledger (rules §9)
    statuses = functools.cache(lambda day: due.line_statuses(
        conn, {(kind.type, row.id, day)}).get((kind.type, row.id, day), set()))

    def billed(day: dt.date) -> bool:
        return bool(statuses(day)) or bool(due.in_ledger(conn, {(kind.type, row.id, day)}))
    return {"nextduedate": _past(kind, new, lambda day: "Paid" in statuses(day), cycle, anchor),
            "nextinvoicedate": _past(kind, new, billed, cycle, anchor)}
