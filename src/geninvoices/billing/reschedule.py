"""An operator's new next due date, kept consistent with what was billed (rules §14.3).

The engine bills from ``nextinvoicedate``, so it moves with ``nextduedate``. A period
already billed is known by its start: the ledger's (kind, relid, period start) and WHMCS's
own invoice lines of that type, relid and due date. A new date on such a start is allowed
(the next run finds it billed and moves past it, §5.1); a date strictly inside a billed
period would start an overlapping period the ledger cannot see, and is refused.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, func, select

from ..errors import BusinessError
from ..models import own
from ..models.whmcs import tblinvoiceitems
from . import cycles
from .kinds import Kind


def last_billed_start(conn: Connection, kind: Kind, relid: int,
                      on_or_before: dt.date) -> dt.date | None:
    """The latest billed period start of this item on or before a date (both through
    their indexes: the ledger's unique key, the lines' (type, relid, duedate))."""
    lg, li = own.ledger, tblinvoiceitems
    starts = [conn.execute(select(func.max(lg.c.period_start)).where(
                  lg.c.kind == kind.type, lg.c.relid == relid,
                  lg.c.period_start <= on_or_before)).scalar(),
              conn.execute(select(func.max(li.c.duedate)).where(
                  li.c.type == kind.type, li.c.relid == relid,
                  li.c.duedate <= on_or_before)).scalar()]
    found = [s for s in starts if s is not None]
    return max(found) if found else None


def new_due_date(conn: Connection, kind: Kind, row, new: dt.date) -> dict:
    """The columns to write for a new next due date, or the error that refuses it."""
    start = last_billed_start(conn, kind, row.id, new)
    if start is not None and start < new:
        try:
            end = kind.advance(start, row._mapping[kind.cycle_column],
                               row._mapping[kind.anchor_column])
        except cycles.UnknownCycle:
            end = start  # a cycle that is not recurring: no period to fall inside
        if new < end:
            last = cycles.period_end(start, end)
            raise BusinessError(
                f"Next Due Date {new} falls inside the period {start} to {last} already "
                f"invoiced: use {start} or a date from {end} on")
    return {"nextduedate": new, "nextinvoicedate": new}
