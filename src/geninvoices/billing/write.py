"""Writing what ``plan`` computed, in bulk: a bounded number of statements for any number of
clients, inside the caller's transaction (rules §9).

Order: claim the periods in the ledger, then bill only what was claimed: invoices, lines,
ledger invoice ids, the items' next invoice dates, credit, the payment rule for invoices
credit paid in full, then the invoices' custom numbers (under the counter's row lock, held to
the commit, so taken last), and the outbox rows of their emails, which quote the numbers.
Where invoice ids are handed out ahead, the claims go in with their invoice ids instead
(``claim_and_write``), and the rest follows in the same order.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, bindparam, case, insert, select, update

from .. import faults
from ..models import own
from ..models.whmcs import tblclients, tblcredit, tblinvoiceitems, tblinvoices
from . import bulk, mail, numbering, payment
from .items import Item
from .kinds import ALL, RECURRING
from .plan import ClientPlan, Invoice, Line
from .run import Run

NUMBER_BATCH = 500


def claim(conn: Connection, run: Run, items: list[Item]) -> set[tuple]:
    """Claim each item's period from its next invoice date in the ledger; returns the
    (kind, id, start) this run now owns."""
    rows = [{"kind": i.kind.type, "relid": i.id, "period_start": i.nextinvoicedate,
             "invoiceid": 0, "run_token": run.token, "created_at": run.now} for i in items]
    if not rows:
        return set()
    inserted = bulk.insert_ignore(conn, own.ledger, rows)
    wanted = {i.period for i in items}
    if inserted == len(wanted) == len(rows):
        # every row went in, and a period this transaction inserted is its own: nothing to
        # read back (the usual case; a period claimed before leaves its row out)
        faults.checkpoint("after_claim")
        return wanted
    lg = own.ledger
    key = (lg.c.kind, lg.c.relid, lg.c.period_start)
    # these periods only, by the ledger's unique key, and whose they are sorted out here: in
    # SQL the run's token would steer the planner to its index, every period of the run
    claimed = {(r.kind, r.relid, r.period_start) for r in conn.execute(
        select(*key, lg.c.run_token, lg.c.invoiceid).where(bulk.periods(conn, key, wanted)))
        if r.run_token == run.token and r.invoiceid == 0}
    faults.checkpoint("after_claim")
    return claimed & wanted


def record_found(conn: Connection, run: Run, items: list[Item]) -> None:
    """Periods a WHMCS invoice line already billed (rules §5.1): into the ledger, and each
    item's next invoice date past them."""
    rows = [{"kind": i.kind.type, "relid": i.id, "period_start": i.nextinvoicedate,
             "invoiceid": 0, "run_token": "found", "created_at": run.now} for i in items]
    bulk.insert_ignore(conn, own.ledger, rows)
    move_dates(conn, [(i, i.nextinvoicedate, i.next_start(i.nextinvoicedate)) for i in items])


def move_dates(conn: Connection, moves: list[tuple[Item, dt.date, dt.date]]) -> None:
    """Move each item past its billed period (its next invoice date, or a billable item's
    count and due date), only where it still stands at that period."""
    for kind in ALL:
        mine = [(i, old, new) for i, old, new in moves if i.kind is kind]
        if mine:
            kind.move_past(conn, mine)


def end_promotions(conn: Connection, lines: list[Line]) -> None:
    """A spent promotion (rules §5.10): the item now costs the standard price, and has none."""
    for kind in RECURRING:
        rows = [{"b_id": ln.item.id, "b_amount": ln.revert_to} for ln in lines
                if ln.item.kind is kind and ln.revert_to is not None]
        if rows:
            t = kind.table
            conn.execute(update(t).where(t.c.id == bindparam("b_id")).values(
                {kind.amount_column: bindparam("b_amount"), "promoid": 0}), rows)


class ClaimedElsewhere(Exception):
    """A period ``claim_and_write`` meant to bill was in the ledger already (another run's
    claim, or a duplicate): its caller rolls back to its savepoint and claims first."""


def write_plans(conn: Connection, run: Run, plans: list[ClientPlan]) -> list[Invoice]:
    """Write what ``claim`` granted: the invoices take the database's ids as they go in,
    and the claimed periods are then given them."""
    invoices = [inv for plan in plans for inv in plan.invoices]
    if invoices:
        _insert_invoices_and_lines(conn, run, invoices)
        _ledger_invoice_ids(conn, run, invoices)
        _write_rest(conn, run, plans, invoices)
    return invoices


def claim_and_write(conn: Connection, run: Run, plans: list[ClientPlan],
                    ids: list[int]) -> list[Invoice]:
    """Claim and write in one go (rules §9), where the database hands out invoice ids
    ahead (``bulk.next_ids``): the plans bill every period not billed yet, and each period
    goes into the ledger with the id of the invoice that bills it, so no second write gives
    the claims their invoices. Should a period be in the ledger already, nothing of this is
    kept: ``ClaimedElsewhere``, for the caller's savepoint."""
    invoices = [inv for plan in plans for inv in plan.invoices]
    for invoice, invoice_id in zip(invoices, ids, strict=True):
        invoice.id = invoice_id
    rows = [{"kind": ln.type, "relid": ln.item.id, "period_start": ln.start,
             "invoiceid": inv.id, "run_token": run.token, "created_at": run.now}
            for inv in invoices for ln in inv.lines if ln.bills_period]
    if bulk.insert_ignore(conn, own.ledger, rows) != len(rows):
        raise ClaimedElsewhere
    faults.checkpoint("after_claim")
    _insert_invoices_and_lines(conn, run, invoices)
    _write_rest(conn, run, plans, invoices)
    return invoices


def _write_rest(conn: Connection, run: Run, plans: list[ClientPlan],
                invoices: list[Invoice]) -> None:
    """After the invoices and lines: dates, promotions, credit, payments, numbers, emails."""
    periods = [ln for inv in invoices for ln in inv.lines if ln.bills_period]
    move_dates(conn, [(ln.item, ln.start, ln.next_start) for ln in periods])
    end_promotions(conn, periods)
    faults.checkpoint("after_dates")
    _apply_credit(conn, run, plans)
    payment.mark_paid(conn, [i.id for i in invoices if i.paid_by_credit], run.now, run.options)
    _number_invoices(conn, run, invoices)
    if run.config.emails:
        _queue_emails(conn, run, plans)


def _number_invoices(conn: Connection, run: Run, invoices: list[Invoice]) -> None:
    """Custom numbers, allocated at the end of the chunk: the counter row stays locked from
    here to the commit, and every run that creates an invoice needs it, so a single-client run
    waits for this moment of a full run only, not for the chunk's whole write (rules §9)."""
    numbering.number_new(conn, invoices, run.options, run.now)
    numbered = [(i.id, i.invoicenum) for i in invoices if i.invoicenum]
    if conn.dialect.name != "mysql":
        # from the allocation to the commit only cheap steps: one UPDATE ... FROM unnest on
        # PostgreSQL, the driver's executemany on SQLite. The CASE statements below cost
        # SQLAlchemy tens of milliseconds to build per chunk, and single-client calls with
        # custom numbering queued for the counter row meanwhile.
        bulk.set_by_id(conn, tblinvoices, "invoicenum", numbered)
        return
    for start in range(0, len(numbered), NUMBER_BATCH):  # one statement per batch
        batch = dict(numbered[start:start + NUMBER_BATCH])
        conn.execute(update(tblinvoices).where(tblinvoices.c.id.in_(batch))
                     .values(invoicenum=case(batch, value=tblinvoices.c.id)))


def _insert_invoices_and_lines(conn: Connection, run: Run, invoices: list[Invoice]) -> None:
    """The invoices, then their lines. Ids handed out ahead (``claim_and_write``) go in as
    they are; otherwise the database gives them."""
    rows = [{"userid": i.userid, "invoicenum": i.invoicenum, "date": i.date,
             "duedate": i.duedate, "subtotal": i.tax.subtotal, "credit": i.credit,
             "tax": i.tax.tax, "tax2": i.tax.tax2, "total": i.total, "taxrate": i.tax.taxrate,
             "taxrate2": i.tax.taxrate2, "status": "Unpaid", "paymentmethod": i.paymentmethod,
             "notes": "", "created_at": run.now, "updated_at": run.now} for i in invoices]
    if invoices[0].id is not None:
        bulk.insert_rows(conn, tblinvoices, [{"id": i.id, **row}
                                             for i, row in zip(invoices, rows, strict=True)])
    else:
        for invoice, invoice_id in zip(invoices, bulk.insert_ids(conn, tblinvoices, rows),
                                       strict=True):
            invoice.id = invoice_id
    faults.checkpoint("after_invoices")
    _insert_lines(conn, invoices)
    faults.checkpoint("after_lines")


def _insert_lines(conn: Connection, invoices: list[Invoice]) -> None:
    bulk.insert_rows(conn, tblinvoiceitems, [
        {"invoiceid": inv.id, "userid": inv.userid, "type": ln.type,
         "relid": ln.item.id,
         "description": ln.description, "amount": ln.amount, "taxed": int(ln.taxed),
         "duedate": ln.start, "paymentmethod": ln.paymentmethod, "notes": ""}
        for inv in invoices for ln in inv.lines])


def _ledger_invoice_ids(conn: Connection, run: Run, invoices: list[Invoice]) -> None:
    """Each period this run claimed gets the id of the invoice that bills it: the line that
    holds the period (its item's own line) says which; one statement per chunk."""
    billed = [(ln.type, ln.item.id, ln.start, inv.id)
              for inv in invoices for ln in inv.lines if ln.bills_period]
    bulk.set_ledger_invoices(conn, run.token, billed, [i.id for i in invoices])


def _apply_credit(conn: Connection, run: Run, plans: list[ClientPlan]) -> None:
    used = [(plan, inv) for plan in plans for inv in plan.invoices if inv.credit > 0]
    if not used:
        return
    conn.execute(insert(tblcredit), [
        {"clientid": inv.userid, "date": run.today, "amount": -inv.credit, "relid": inv.id,
         "description": f"Credit Applied to Invoice #{inv.id}"} for _, inv in used])
    balances = {plan.client.id: plan.client.credit - sum(i.credit for i in plan.invoices)
                for plan, _ in used}
    bulk.set_by_id(conn, tblclients, "credit", list(balances.items()))


def _queue_emails(conn: Connection, run: Run, plans: list[ClientPlan]) -> None:
    rows = []
    for plan in plans:
        if not plan.client.email.strip():
            continue
        currency = run.currency_of(plan.client.currency)
        for inv in plan.invoices:
            rows.append({
                "invoiceid": inv.id, "recipient": plan.client.email.strip(),
                "subject": mail.SUBJECT,
                "body": mail.invoice_email(inv, plan.client, currency, run.options.date_format),
                "message_id": mail.message_id(inv.id, run.install_id, run.config.mail_from),
                "status": "queued", "attempts": 0, "next_attempt_at": run.now,
                "created_at": run.now})
    if rows:
        conn.execute(insert(own.outbox), rows)

