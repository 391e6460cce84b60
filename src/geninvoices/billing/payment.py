"""The one payment rule (rules §5.7), used by AddInvoicePayment and by invoices that credit
pays in full at creation.

The invoice becomes Paid; for each of its lines whose item's ``nextduedate`` equals the line's
``duedate``, that date moves forward one cycle. A line that does not match moves nothing and
is logged, so paying an old invoice after a newer one, or paying twice, never moves a date
twice. A later period paid first is not lost: once the earlier one is paid, the date moves
past both (each period moves it exactly once). Sequential paid numbering gives the number in
the same transaction (``numbering.number_paid``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from ..errors import BusinessError, NotFound
from ..models import own
from ..models.whmcs import tblaccounts, tblinvoiceitems, tblinvoices
from . import bulk, cycles, due, numbering
from .bulk import among
from .kinds import BY_TYPE, RECURRING, Kind
from .money import to_money
from .options import BillingOptions

log = logging.getLogger("geninvoices.billing")

def mark_paid(conn: Connection, invoice_ids: list[int], paid_at: dt.datetime,
              options: BillingOptions) -> None:
    if not invoice_ids:
        return
    inv = tblinvoices
    conn.execute(update(inv).where(among(conn, inv.c.id, invoice_ids)).values(
        status="Paid", datepaid=paid_at, updated_at=paid_at))
    _advance_due_dates(conn, invoice_ids)
    # last: the counter row stays locked from here to the commit (rules §9)
    numbering.number_paid(conn, invoice_ids, paid_at, options)


def _advance_due_dates(conn: Connection, invoice_ids: list[int]) -> None:
    """Move each item's due date past every period now paid, starting from where it stands:
    a period paid before an earlier one moves the date once the earlier one is paid too."""
    li = tblinvoiceitems
    # by invoice id alone, so the planner takes that index; the types are sorted out here
    lines = [ln for ln in conn.execute(select(li.c.type, li.c.relid).where(
        among(conn, li.c.invoiceid, invoice_ids))) if ln.type in BY_TYPE]
    for kind in RECURRING:
        relids = {ln.relid for ln in lines if ln.type == kind.type}
        if relids:
            _advance_kind(conn, kind, relids, invoice_ids)


def _advance_kind(conn: Connection, kind: Kind, relids: set[int], invoice_ids: list[int]):
    table = kind.table
    columns = (table.c.id, table.c.nextduedate, table.c[kind.cycle_column],
               table.c[kind.anchor_column])
    items = list(conn.execute(select(*columns).where(among(conn, table.c.id, relids))))
    moved = _paid_through(conn, kind, items)
    changed = []
    for item in items:
        if moved[item.id] != item.nextduedate:
            changed.append((item.id, moved[item.id]))
        else:
            log.info("payment of invoice(s) %s moves no date of %s %s (due %s)",
                     invoice_ids, kind.type, item.id, item.nextduedate)
    bulk.set_by_id(conn, table, "nextduedate", changed)


def _paid_through(conn: Connection, kind: Kind, items: list) -> dict[int, dt.date | None]:
    """Each item's due date moved past every paid period from where it stands, a period at
    a time: each step looks up only the periods the dates now stand on, by the lines' whole
    (due date, type, relid) key, so years of paid invoices are never read."""
    due = {item.id: item.nextduedate for item in items}
    stepping = [item for item in items if item.nextduedate is not None]
    while stepping:
        paid = _paid(conn, kind, {(item.id, due[item.id]) for item in stepping})
        stepping = [item for item in stepping
                    if (item.id, due[item.id]) in paid and _step(kind, item, due)]
    return due


def _step(kind: Kind, item, due: dict) -> bool:
    """Move ``due[item.id]`` one cycle on; False where it cannot move further (an unknown
    cycle leaves the item's date where it stood, with a warning)."""
    cycle, anchor = item._mapping[kind.cycle_column], item._mapping[kind.anchor_column]
    try:
        following = kind.advance(due[item.id], cycle or "", anchor)
    except cycles.UnknownCycle:
        log.warning("%s %s has an unknown billing cycle; its due date was not moved",
                    kind.type, item.id)
        due[item.id] = item.nextduedate
        return False
    moved_on, due[item.id] = following > due[item.id], following
    return moved_on


def _paid(conn: Connection, kind: Kind, periods: set[tuple[int, dt.date]]) -> set[tuple]:
    """Which of these (relid, period start) are on a line of this kind on a Paid invoice."""
    held = due.line_statuses(conn, {(kind.type, relid, start) for relid, start in periods})
    return {(relid, start) for (_, relid, start), statuses in held.items()
            if "Paid" in statuses}


def balance_of(conn: Connection, invoice_id: int, total) -> Decimal:
    """What is left to pay: the total (net of credit) less payments recorded against it."""
    a = tblaccounts
    paid = conn.execute(select(func.coalesce(func.sum(a.c.amountin), 0)
                               - func.coalesce(func.sum(a.c.amountout), 0))
                        .where(a.c.invoiceid == invoice_id)).scalar()
    return to_money(total or 0) - to_money(paid or 0)


@dataclass(frozen=True)
class Payment:
    invoice_id: int
    gateway: str
    transid: str
    amount: Decimal | None  # None: the whole balance
    fees: Decimal
    when: dt.datetime


def record_payment(conn: Connection, payment: Payment, options: BillingOptions) -> bool:
    """AddInvoicePayment's write (rules §7): lock the invoice, refuse what cannot be, record the
    transaction, and apply the payment rule when the balance reaches zero. Returns whether
    the invoice is now paid."""
    inv = _locked_invoice(conn, payment.invoice_id)
    _claim_transid(conn, payment)
    if (inv.status or "") != "Unpaid":
        raise BusinessError("Invoice is not Unpaid")
    balance = balance_of(conn, inv.id, inv.total)
    amount = balance if payment.amount is None else payment.amount
    if amount > balance:
        raise BusinessError("Amount exceeds balance")
    if amount <= 0:
        raise BusinessError("Invalid amount: must be more than 0")
    conn.execute(insert(tblaccounts).values(
        userid=inv.userid, currency=0, gateway=payment.gateway, date=payment.when,
        description="Invoice Payment", amountin=amount, fees=payment.fees, amountout=0,
        rate=1, transid=payment.transid, invoiceid=inv.id, refundid=0))
    if amount == balance:
        mark_paid(conn, [inv.id], payment.when, options)
        return True
    return False


def _locked_invoice(conn: Connection, invoice_id: int):
    query = select(tblinvoices).where(tblinvoices.c.id == invoice_id)
    if conn.dialect.name != "sqlite":  # SQLite: the writer's BEGIN IMMEDIATE holds it
        query = query.with_for_update()
    row = conn.execute(query).first()
    if row is None:
        raise NotFound("Invoice ID Not Found")
    return row


def _claim_transid(conn: Connection, payment: Payment) -> None:
    """(gateway, transid) once, ever: a unique key on its hash, across all invoices."""
    key = hashlib.sha256(f"{payment.gateway}\0{payment.transid}".encode()).hexdigest()
    try:
        with conn.begin_nested():
            conn.execute(insert(own.payment_keys).values(
                key=key, invoiceid=payment.invoice_id, created_at=payment.when))
    except IntegrityError:
        raise BusinessError("Transaction ID Already Exists") from None
