"""Invoice lines are never read by item alone (rules §5.7, §5.10, §14.3; revision 0016):
their billing index leads with the due date, so that a run's new lines go in at its newest
end, and every read of them goes through that whole key or through the client's invoices.
A read that scanned the lines would cost more with every month of history; these tests look
at the plan each backend makes for the statements the code sends."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from geninvoices.billing import reschedule
from geninvoices.billing.kinds import SERVICE
from geninvoices.billing.options import BillingOptions
from geninvoices.billing.payment import mark_paid
from geninvoices.db import transaction
from geninvoices.models.whmcs import tblhosting, tblinvoices
from tests import builders as b
from tests.engine.helpers import D, invoices, run, service
from tests.plans import explained, statements

LINES = "tblinvoiceitems"
BY_DATE = "gi_invoiceitems_duedate_type_relid"
BY_INVOICE = "gi_invoiceitems_invoiceid"


@pytest.fixture
def promoted(engine):
    """A client with a monthly service under a promotion for three renewals: its first
    invoice made before (paid), then billed by two runs, the second invoice unpaid."""
    with transaction(engine) as conn:
        currency = b.make_currency(conn, code="GBP", prefix="£", suffix=" GBP", default=0)
        cid = b.make_client(conn, currency=currency)
        pid = b.make_product(conn)
        b.make_pricing(conn, product=pid, currency=currency, monthly="10.00")
        promo = b.make_promotion(conn, recurfor=3)
        sid = b.make_service(conn, client=cid, product=pid, amount="9.00",
                             nextduedate=D(2026, 1, 25), promoid=promo)
        b.make_past_invoice(conn, client=cid, lines=[("Hosting", sid, D(2025, 12, 25), "9.00")])
    run(engine, D(2026, 1, 20))
    with transaction(engine) as conn:
        mark_paid(conn, [invoices(engine)[-1]["id"]], D(2026, 1, 21), BillingOptions())
    return cid, sid


def never_scanned(engine, statement: str, parameters) -> None:
    plan = explained(engine, statement, parameters)
    dialect = engine.dialect.name
    if dialect == "sqlite":  # each search names the columns it pins to one value
        rows = [r for r in plan.splitlines() if LINES in r or "tblinvoices" in r]
        assert rows and not [r for r in rows if r.startswith("SCAN")], plan
        assert all(f"{BY_DATE} (duedate=? AND type=? AND relid=?)" in r
                   or f"{BY_INVOICE} (invoiceid=?)" in r
                   for r in rows if LINES in r), plan
    elif dialect == "postgresql":  # the date pinned, never a range of dates
        assert f"Seq Scan on {LINES}" not in plan and "Seq Scan on tblinvoices" not in plan, plan
        assert BY_DATE in plan and "(duedate = " in plan or BY_INVOICE in plan, plan
        assert "duedate >" not in plan and "duedate <" not in plan, plan
    else:  # a handful of rows: what counts is that MariaDB can use the index
        rows = [r for r in plan.splitlines() if r.startswith(LINES)]
        assert rows and all(BY_DATE in r or BY_INVOICE in r for r in rows), plan
        invoices_read = [r for r in plan.splitlines() if r.startswith("tblinvoices ")]
        assert all("PRIMARY" in r or "gi_invoices_userid_status" in r
                   for r in invoices_read), plan


def reads(sent) -> list:
    return [(s, p) for s, p in sent if s.lstrip().upper().startswith("SELECT")]


def test_a_run_reads_lines_by_the_whole_key_and_counts_through_the_invoices(engine, promoted):
    cid, sid = promoted
    with statements(engine, LINES) as sent:
        result = run(engine, D(2026, 2, 20))
    assert result.numcreated == 1 and service(engine, sid)["promoid"]  # still in force
    counted = [s for s, _ in reads(sent) if "count(" in s.lower()]
    assert counted and reads(sent)  # the promotion's count and the "already billed" lookup
    for statement, parameters in reads(sent):
        never_scanned(engine, statement, parameters)


def test_a_payment_reads_the_periods_its_dates_stand_on(engine, promoted):
    """The February period is billed, the March one already paid on an invoice of its own:
    paying February steps over both, a period at a time."""
    cid, sid = promoted
    run(engine, D(2026, 2, 20))
    unpaid = [i["id"] for i in invoices(engine) if i["status"] == "Unpaid"]
    with transaction(engine) as conn:
        b.make_past_invoice(conn, client=cid, lines=[("Hosting", sid, D(2026, 3, 25), "9.00")])
    with statements(engine, LINES) as sent, transaction(engine) as conn:
        mark_paid(conn, unpaid, D(2026, 2, 21), BillingOptions())
    assert service(engine, sid)["nextduedate"] == D(2026, 4, 25)
    # its lines by invoice id, then February, March and April (not paid): one period a step
    assert len(reads(sent)) == 4
    assert reads(sent)
    for statement, parameters in reads(sent):
        never_scanned(engine, statement, parameters)


@pytest.mark.parametrize("new", [D(2026, 2, 25), D(2026, 2, 10)])
def test_rescheduling_reads_lines_a_day_at_a_time(engine, promoted, new):
    _, sid = promoted
    with statements(engine, LINES) as sent, engine.connect() as conn:
        row = conn.execute(select(tblhosting).where(tblhosting.c.id == sid)).one()
        if new == D(2026, 2, 10):  # inside the period from 25 January
            with pytest.raises(reschedule.BusinessError, match="2026-01-25 to 2026-02-24"):
                reschedule.new_due_date(conn, SERVICE, row, new)
        else:
            dates = reschedule.new_due_date(conn, SERVICE, row, new)
            assert dates == {"nextduedate": new, "nextinvoicedate": new}
    assert reads(sent)
    for statement, parameters in reads(sent):
        never_scanned(engine, statement, parameters)


def test_a_promotion_counts_only_the_lines_on_its_clients_invoices(engine, promoted):
    """A line of the item on another client's invoice (the service moved from them) is not
    one of its renewals under this client (rules §5.10): the count is the client's."""
    cid, sid = promoted
    with transaction(engine) as conn:
        other = b.make_client(conn, email="grace@example.com")
        for month in (10, 11):
            b.make_past_invoice(conn, client=other,
                                lines=[("Hosting", sid, D(2025, month, 25), "9.00")])
    for month in (2, 3, 4):
        result = run(engine, D(2026, month, 20))
        with transaction(engine) as conn:
            unpaid = conn.execute(select(tblinvoices.c.id).where(
                tblinvoices.c.status == "Unpaid")).scalars().all()
            mark_paid(conn, list(unpaid), D(2026, month, 21), BillingOptions())
        assert result.promotions_ended == ([f"service {sid}"] if month == 4 else [])
