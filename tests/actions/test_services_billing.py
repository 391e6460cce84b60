"""What GenInvoices does after the service-managing actions (rules §14.3, §14.4, §5.1):
everything through api.php, each month's run on its own date, on every backend."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from geninvoices.config import Settings
from geninvoices.db import transaction
from geninvoices.models.whmcs import tblinvoiceitems, tblinvoices
from tests import builders as b
from tests.actions.http import Api
from tests.engine.helpers import addon, invoices, ledger, lines, service

D = dt.date


def on(engine, day: dt.date) -> Api:
    return Api(engine, Settings(database_url="sqlite://", testing=True, test_today=day))


def run(api: Api, cid: int) -> int:
    reply = api.json("GenInvoices", noemails="1", clientid=str(cid))
    assert reply["result"] == "success", reply
    return int(reply["numcreated"])


def pay_all(api: Api, cid: int) -> None:
    for inv in api.json("GetInvoices", userid=str(cid), status="Unpaid")["invoices"]["invoice"]:
        paid = api.json("AddInvoicePayment", invoiceid=str(inv["id"]), transid=f"t{inv['id']}",
                        gateway="banktransfer")
        assert paid["result"] == "success", paid


@pytest.fixture
def ids(engine):
    with transaction(engine) as conn:
        cid = b.make_client(conn, defaultgateway="banktransfer")
        pid = b.make_product(conn, name="Web")
        sid = b.make_service(conn, client=cid, product=pid, amount="10.00", domain="")
    return cid, sid


def test_new_cycle_amount_and_date_are_billed_once_on_the_new_date(engine, ids):
    cid, sid = ids
    changed = Api(engine).json("UpdateClientProduct", serviceid=str(sid),
                               billingcycle="Quarterly", recurringamount="27.30",
                               nextduedate="2026-03-10")
    assert changed["result"] == "success"
    assert run(on(engine, D(2026, 2, 20)), cid) == 0  # 10 March is 18 days away: not yet
    day = on(engine, D(2026, 2, 24))  # 14 days before
    assert (run(day, cid), run(day, cid)) == (1, 0)
    [invoice] = invoices(engine)
    [line] = lines(engine)
    assert (invoice["duedate"], invoice["total"]) == (D(2026, 3, 10), Decimal("27.30"))
    assert line["description"] == "Web (10/03/2026 - 09/06/2026)"
    assert [(r["kind"], r["relid"], r["period_start"]) for r in ledger(engine)] == [
        ("Hosting", sid, D(2026, 3, 10))]
    pay_all(day, cid)
    assert (service(engine, sid)["nextduedate"], service(engine, sid)["nextinvoicedate"]) == (
        D(2026, 6, 10), D(2026, 6, 10))
    assert run(on(engine, D(2026, 5, 27)), cid) == 1
    assert invoices(engine)[-1]["duedate"] == D(2026, 6, 10)


def test_a_due_date_moved_back_never_bills_a_period_twice(engine, ids):
    cid, sid = ids
    jan = on(engine, D(2026, 1, 1))
    assert run(jan, cid) == 1
    pay_all(jan, cid)
    assert service(engine, sid)["nextduedate"] == D(2026, 2, 1)
    api = Api(engine)
    before = service(engine, sid)
    inside = api.json("UpdateClientProduct", serviceid=str(sid), nextduedate="2026-01-15")
    assert inside == {"result": "error", "message": (
        "Next Due Date 2026-01-15 falls inside the period 2026-01-01 to 2026-01-31 already "
        "invoiced: use 2026-01-01 or a date from 2026-02-01 on")}
    assert service(engine, sid) == before
    # back onto the billed, paid January: both dates land where billing and payment put them
    assert api.json("UpdateClientProduct", serviceid=str(sid),
                    nextduedate="2026-01-01")["result"] == "success"
    row = service(engine, sid)
    assert (row["nextduedate"], row["nextinvoicedate"]) == (D(2026, 2, 1), D(2026, 2, 1))
    assert run(jan, cid) == 0 and len(invoices(engine)) == 1
    assert run(on(engine, D(2026, 2, 1)), cid) == 1
    assert [ln["duedate"] for ln in lines(engine)] == [D(2026, 1, 1), D(2026, 2, 1)]


def test_a_period_whose_invoice_was_deleted_still_counts_as_billed(engine, ids):
    """The ledger alone holds a period once WHMCS deleted its invoice and lines: a new date
    inside it is still refused, and one on its start still moves past it (rules §14.3). The
    ledger is read by period start there (revision 0015), not by item."""
    cid, sid = ids
    a_year = on(engine, D(2026, 1, 1))
    assert Api(engine).json("UpdateClientProduct", serviceid=str(sid),
                            billingcycle="Annually")["result"] == "success"
    assert run(a_year, cid) == 1
    with transaction(engine) as conn:  # what WHMCS's Delete Invoice leaves
        conn.execute(tblinvoiceitems.delete())
        conn.execute(tblinvoices.delete())
    api = Api(engine)
    inside = api.json("UpdateClientProduct", serviceid=str(sid), nextduedate="2026-11-30")
    assert inside == {"result": "error", "message": (
        "Next Due Date 2026-11-30 falls inside the period 2026-01-01 to 2026-12-31 already "
        "invoiced: use 2026-01-01 or a date from 2027-01-01 on")}
    assert api.json("UpdateClientProduct", serviceid=str(sid),
                    nextduedate="2026-01-01")["result"] == "success"
    row = service(engine, sid)
    assert (row["nextduedate"], row["nextinvoicedate"]) == (D(2026, 1, 1), D(2027, 1, 1))
    assert run(a_year, cid) == 0


def test_a_due_date_moved_back_onto_an_unpaid_period_waits_for_its_payment(engine, ids):
    cid, sid = ids
    jan = on(engine, D(2026, 1, 1))
    assert run(jan, cid) == 1  # January billed, not paid
    assert Api(engine).json("UpdateClientProduct", serviceid=str(sid), nextduedate="2026-01-01",
                            recurringamount="12.00")["result"] == "success"
    row = service(engine, sid)
    assert (row["nextduedate"], row["nextinvoicedate"]) == (D(2026, 1, 1), D(2026, 2, 1))
    feb = on(engine, D(2026, 2, 1))
    assert run(feb, cid) == 0  # January still unpaid (Continuous Invoice Generation off)
    pay_all(feb, cid)
    assert run(feb, cid) == 1
    assert [ln["amount"] for ln in lines(engine)] == [Decimal("10.00"), Decimal("12.00")]


def test_a_due_date_moved_forward_skips_the_periods_in_between(engine, ids):
    cid, sid = ids
    assert Api(engine).json("UpdateClientProduct", serviceid=str(sid),
                            nextduedate="2026-04-01")["result"] == "success"
    assert run(on(engine, D(2026, 1, 1)), cid) == 0
    assert run(on(engine, D(2026, 4, 1)), cid) == 1
    assert [ln["duedate"] for ln in lines(engine)] == [D(2026, 4, 1)]


@pytest.mark.parametrize("kind", ["Immediate", "End of Billing Period"])
def test_a_cancellation_request_stops_billing_the_service_and_its_addons(engine, ids, kind):
    cid, sid = ids
    with transaction(engine) as conn:
        aid = b.make_addon(conn, client=cid, service=sid, name="Backups")
    jan = on(engine, D(2026, 1, 1))
    assert run(jan, cid) == 1
    pay_all(jan, cid)
    reply = Api(engine).json("AddCancelRequest", serviceid=str(sid), type=kind)
    assert reply["result"] == "success"
    for month in (2, 3, 4):
        assert run(on(engine, D(2026, month, 1)), cid) == 0
    assert len(invoices(engine)) == 1
    assert service(engine, sid)["nextinvoicedate"] == D(2026, 2, 1)
    assert addon(engine, aid)["nextinvoicedate"] == D(2026, 2, 1)


def test_a_domain_and_an_addon_follow_their_new_dates_and_amounts(engine, ids):
    cid, sid = ids
    with transaction(engine) as conn:
        did = b.make_domain(conn, client=cid, amount="12.00")
        aid = b.make_addon(conn, client=cid, service=sid, name="Backups")
    api = Api(engine)
    assert api.json("UpdateClientProduct", serviceid=str(sid), status="Cancelled")[
        "result"] == "success"
    assert api.json("UpdateClientDomain", domainid=str(did), regperiod="2",
                    recurringamount="22.00", nextduedate="2026-05-01")["result"] == "success"
    assert run(on(engine, D(2026, 1, 1)), cid) == 0  # the addon's service is cancelled
    assert run(on(engine, D(2026, 5, 1)), cid) == 1
    [line] = lines(engine)
    assert (line["type"], line["amount"], line["duedate"]) == ("Domain", Decimal("22.00"),
                                                               D(2026, 5, 1))
    assert "2 Year/s (01/05/2026 - 30/04/2028)" in line["description"]
    assert api.json("UpdateClientProduct", serviceid=str(sid), status="Active",
                    nextduedate="2026-05-15")["result"] == "success"
    assert api.json("UpdateClientAddon", id=str(aid), recurring="3.00",
                    nextduedate="2026-05-15")["result"] == "success"
    assert run(on(engine, D(2026, 5, 15)), cid) == 1
    assert [(ln["type"], ln["amount"]) for ln in lines(engine)][-2:] == [
        ("Hosting", Decimal("10.00")), ("Addon", Decimal("3.00"))]
