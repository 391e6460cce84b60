"""Billable items and recurring promotions in the run, on every backend (rules §5.9, §5.10):
each invoice action, grouping, separateinvoices, tax, credit, Continuous Invoice Generation,
limited promotions ending in the run's transaction, and bad data."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import insert, select

from geninvoices.db import transaction
from geninvoices.models import own
from geninvoices.models.whmcs import tblbillableitems
from tests import builders as b
from tests.engine.helpers import D, client, credits, invoices, ledger, lines, rows, run, service

TODAY = D(2026, 3, 20)
M = Decimal


@pytest.fixture
def world(engine):
    with transaction(engine) as conn:
        b.make_currency(conn, code="GBP", prefix="£", suffix=" GBP")
        cid = b.make_client(conn)
        pid = b.make_product(conn, name="Shared Hosting")
    return engine, cid, pid


def add(engine, builder, **kw):
    with transaction(engine) as conn:
        return builder(conn, **kw)


def billable(engine, bid):
    return rows(engine, tblbillableitems, tblbillableitems.c.id == bid)[0]


def item_lines(engine):
    return [(ln["type"], ln["relid"], ln["description"], ln["amount"], ln["duedate"])
            for ln in lines(engine)]


def test_each_invoice_action(world):
    engine, cid, _ = world
    ids = {action: add(engine, b.make_billable, client=cid, action=action,
                       description=f"Work {action}", duedate=D(2026, 3, 25))
           for action in ("noinvoice", "nextcron", "duedate")}
    later = add(engine, b.make_billable, client=cid, action="duedate", duedate=D(2026, 4, 10))
    assert run(engine, TODAY).numcreated == 1
    billed = {ln["relid"] for ln in lines(engine) if ln["type"] == "Item"}
    assert billed == {ids["nextcron"], ids["duedate"]}
    assert billable(engine, ids["nextcron"])["invoicecount"] == 1
    assert billable(engine, ids["duedate"])["invoicecount"] == 1
    assert billable(engine, ids["noinvoice"])["invoicecount"] == 0
    assert billable(engine, later)["invoicecount"] == 0  # outside today + 14 days
    assert run(engine, TODAY).numcreated == 0  # once
    assert run(engine, D(2026, 3, 27)).numcreated == 1  # 10 April is inside the window now
    assert {(r["kind"], r["relid"]) for r in ledger(engine)} == {
        ("Item", ids["nextcron"]), ("Item", ids["duedate"]), ("Item", later)}


def test_nextcron_without_a_date_bills_today(world):
    engine, cid, _ = world
    bid = add(engine, b.make_billable, client=cid, action="nextcron", duedate=None)
    run(engine, TODAY)
    [line] = lines(engine)
    assert (line["type"], line["relid"], line["duedate"]) == ("Item", bid, TODAY)
    assert billable(engine, bid)["duedate"] is None  # unset stays unset
    assert invoices(engine)[0]["duedate"] == TODAY


def test_a_recurring_item_monthly_from_the_31st_for_six_times(world):
    engine, cid, _ = world
    bid = add(engine, b.make_billable, client=cid, action="recur", amount="30.00",
              duedate=D(2028, 1, 31), recur=1, recurcycle="Months", recurfor=6)
    for month in range(1, 13):
        run(engine, D(2028, month, 20))
    dues = [ln["duedate"] for ln in lines(engine)]
    assert dues == [D(2028, 1, 31), D(2028, 2, 29), D(2028, 3, 31), D(2028, 4, 30),
                    D(2028, 5, 31), D(2028, 6, 30)]
    row = billable(engine, bid)
    assert (row["invoicecount"], row["duedate"]) == (6, D(2028, 7, 31))


def test_a_recurring_item_bills_one_period_per_run(world):
    engine, cid, _ = world
    add(engine, b.make_billable, client=cid, action="recur", duedate=D(2026, 3, 10), recur=1,
        recurcycle="Weeks")
    # periods from 10, 17, 24 and 31 March start by 3 April (today + 14 days); 7 April not
    assert [run(engine, TODAY).numcreated for _ in range(5)] == [1, 1, 1, 1, 0]
    assert [ln["duedate"] for ln in lines(engine)] == [
        D(2026, 3, 10), D(2026, 3, 17), D(2026, 3, 24), D(2026, 3, 31)]


def test_nextinvoice_rides_on_the_first_new_invoice_only(world):
    engine, cid, pid = world
    rider = add(engine, b.make_billable, client=cid, action="nextinvoice", amount="5.00")
    assert run(engine, TODAY).numcreated == 0  # it never makes an invoice by itself
    add(engine, b.make_service, client=cid, product=pid, nextduedate=D(2026, 3, 30))
    add(engine, b.make_service, client=cid, product=pid, nextduedate=D(2026, 3, 25),
        paymentmethod="paypal")
    assert run(engine, TODAY).numcreated == 2
    first = min(invoices(engine), key=lambda i: (i["duedate"], i["id"]))
    on_first = [ln for ln in lines(engine) if ln["invoiceid"] == first["id"]]
    assert ("Item", rider) in {(ln["type"], ln["relid"]) for ln in on_first}
    assert first["subtotal"] == M("15.00") and first["duedate"] == D(2026, 3, 25)
    assert billable(engine, rider)["invoicecount"] == 1


def test_a_rider_whose_period_is_in_the_ledger_stays_off_the_invoice(world):
    """A claim that the chunk's plan did not expect (here a rider's period, which no
    earlier lookup reads) makes the chunk claim first and bill what it got (rules §9)."""
    engine, cid, pid = world
    rider = add(engine, b.make_billable, client=cid, action="nextinvoice",
                duedate=D(2026, 3, 25))
    sid = add(engine, b.make_service, client=cid, product=pid, nextduedate=D(2026, 3, 25))
    with transaction(engine) as conn:
        conn.execute(insert(own.ledger).values(
            kind="Item", relid=rider, period_start=D(2026, 3, 25), invoiceid=0,
            run_token="earlier", created_at=dt.datetime(2026, 3, 1)))
    assert run(engine, TODAY).numcreated == 1
    assert [(ln["type"], ln["relid"]) for ln in lines(engine)] == [("Hosting", sid)]
    assert billable(engine, rider)["invoicecount"] == 0
    claims = {(r["kind"], r["relid"]): r for r in ledger(engine)}
    assert claims[("Item", rider)]["run_token"] == "earlier"
    assert claims[("Hosting", sid)]["invoiceid"] == invoices(engine)[0]["id"]


def test_listed_ids_leave_billable_items_but_riders_ride(world):
    engine, cid, pid = world
    cron = add(engine, b.make_billable, client=cid, action="nextcron")
    rider = add(engine, b.make_billable, client=cid, action="nextinvoice")
    sid = add(engine, b.make_service, client=cid, product=pid, nextduedate=D(2026, 3, 25))
    run(engine, TODAY, serviceids=[sid])
    assert {(ln["type"], ln["relid"]) for ln in lines(engine)} == {
        ("Hosting", sid), ("Item", rider)}
    assert billable(engine, cron)["invoicecount"] == 0


def test_grouping_separate_invoices_tax_and_credit(engine):
    with transaction(engine) as conn:
        b.make_currency(conn)
        cid = b.make_client(conn, credit="20.00", defaultgateway="banktransfer")
        sep = b.make_client(conn, separateinvoices=1, email="s@example.com",
                            defaultgateway="banktransfer")
        pid = b.make_product(conn, tax=1)
        b.make_tax(conn, rate="20.000")
        b.set_config(conn, TaxEnabled="on", TaxBillableItems="on")
        b.make_service(conn, client=cid, product=pid, nextduedate=D(2026, 3, 25))
        b.make_billable(conn, client=cid, action="duedate", duedate=D(2026, 3, 25))
        b.make_service(conn, client=sep, product=pid, nextduedate=D(2026, 3, 25))
        b.make_billable(conn, client=sep, action="duedate", duedate=D(2026, 3, 25))
    assert run(engine, TODAY).numcreated == 3
    [together] = invoices(engine, invoices_of(cid))
    assert (together["subtotal"], together["tax"], together["credit"], together["total"]) == (
        M("60.00"), M("12.00"), M("20.00"), M("52.00"))
    assert [i["subtotal"] for i in invoices(engine, invoices_of(sep))] == [
        M("10.00"), M("50.00")]
    assert client(engine, cid)["credit"] == M("0.00") and len(credits(engine)) == 1


def invoices_of(cid):
    from geninvoices.models.whmcs import tblinvoices
    return tblinvoices.c.userid == cid


def test_tax_billable_items_off_leaves_the_item_untaxed(world):
    engine, cid, _ = world
    with transaction(engine) as conn:
        b.make_tax(conn, rate="20.000")
        b.set_config(conn, TaxEnabled="on", TaxBillableItems="")
        b.make_billable(conn, client=cid, action="nextcron")
    run(engine, TODAY)
    [inv] = invoices(engine)
    assert (inv["tax"], inv["total"], lines(engine)[0]["taxed"]) == (M("0.00"), M("50.00"), 0)


def test_bad_billable_items_are_named_and_never_billed(world):
    engine, cid, _ = world
    bad = add(engine, b.make_billable, client=cid, action="recur", recur=1,
              recurcycle="Fortnights", duedate=D(2026, 3, 25))
    no_date = add(engine, b.make_billable, client=cid, action="duedate", duedate=None)
    negative = add(engine, b.make_billable, client=cid, action="nextcron", amount="-5.00")
    result = run(engine, TODAY)
    assert result.numcreated == 0 and lines(engine) == []
    text = "\n".join(result.skipped)
    for bid in (bad, no_date, negative):
        assert f"billable item {bid} (client {cid}) skipped" in text


@pytest.fixture
def promoted(world):
    engine, cid, pid = world
    with transaction(engine) as conn:
        currency = conn.execute(select(b.tblcurrencies.c.id)).scalar()
        b.make_pricing(conn, product=pid, currency=currency, monthly="10.00")
    return engine, cid, pid


@pytest.mark.parametrize("type_, value, stored, words", [
    ("Percentage", "10.00", "9.00", "10% Recurring Discount"),
    ("Fixed Amount", "2.50", "7.50", "£2.50 GBP Recurring Discount"),
    ("Price Override", "6.00", "6.00", "£6.00 GBP Price Override"),
])
def test_a_recurring_promotion_shows_the_standard_price_and_its_discount(
        promoted, type_, value, stored, words):
    engine, cid, pid = promoted
    promo = add(engine, b.make_promotion, code="HELLO", type=type_, value=value)
    sid = add(engine, b.make_service, client=cid, product=pid, amount=stored,
              nextduedate=D(2026, 3, 25), promoid=promo)
    run(engine, TODAY)
    got = [(t, r, d, a) for t, r, d, a, _ in item_lines(engine)]
    assert got[0][:2] == ("Hosting", sid) and got[0][3] == M("10.00")
    assert got[1] == ("PromoHosting", sid, f"Promotional Code: HELLO - {words}",
                      M(stored) - M("10.00"))
    assert invoices(engine)[0]["total"] == M(stored)
    assert service(engine, sid)["promoid"] == promo  # for ever: never ends
    assert [r["kind"] for r in ledger(engine)] == ["Hosting"]  # the discount holds no period


def test_a_limited_promotion_ends_after_its_renewals(promoted):
    engine, cid, pid = promoted
    promo = add(engine, b.make_promotion, recurfor=3)
    sid = add(engine, b.make_service, client=cid, product=pid, amount="9.00",
              nextduedate=D(2026, 1, 25), promoid=promo)
    with transaction(engine) as conn:  # the first invoice, made by the order
        b.make_past_invoice(conn, client=cid, lines=[("Hosting", sid, D(2025, 12, 25), "9.00")])
    totals = []
    for month in (1, 2, 3, 4, 5):
        result = run(engine, D(2026, month, 20))
        totals.append([i["total"] for i in invoices(engine)][-1])
        pay_all(engine)
        if month == 4:
            assert result.promotions_ended == [f"service {sid}"]
    assert totals == [M("9.00"), M("9.00"), M("9.00"), M("10.00"), M("10.00")]
    row = service(engine, sid)
    assert (row["amount"], row["promoid"]) == (M("10.00"), 0)
    assert [t for t, *_ in item_lines(engine)].count("PromoHosting") == 3


def pay_all(engine):
    """Mark every invoice paid the way the payment rule does, so the next period is due."""
    from geninvoices.billing.options import BillingOptions
    from geninvoices.billing.payment import mark_paid
    from geninvoices.models.whmcs import tblinvoices
    with transaction(engine) as conn:
        unpaid = list(conn.execute(select(tblinvoices.c.id).where(
            tblinvoices.c.status == "Unpaid")).scalars())
        mark_paid(conn, unpaid, __import__("datetime").datetime(2026, 1, 1), BillingOptions())


def test_a_promotion_that_no_longer_exists_bills_the_stored_amount_with_a_warning(promoted):
    engine, cid, pid = promoted
    sid = add(engine, b.make_service, client=cid, product=pid, amount="9.00",
              nextduedate=D(2026, 3, 25), promoid=4242)
    result = run(engine, TODAY)
    assert [(t, a) for t, _, _, a, _ in item_lines(engine)] == [("Hosting", M("9.00"))]
    assert any(f"service {sid}" in w and "4242 does not exist" in w for w in result.warnings)


def test_no_standard_price_bills_the_stored_amount_on_one_line(world):
    engine, cid, pid = world
    promo = add(engine, b.make_promotion)
    add(engine, b.make_service, client=cid, product=pid, amount="9.00",
        nextduedate=D(2026, 3, 25), promoid=promo)
    run(engine, TODAY)
    assert [(t, a) for t, _, _, a, _ in item_lines(engine)] == [("Hosting", M("9.00"))]


def test_tax_and_credit_see_the_discounted_total(engine):
    with transaction(engine) as conn:
        currency = b.make_currency(conn)
        cid = b.make_client(conn, credit="5.00")
        pid = b.make_product(conn, tax=1)
        b.make_pricing(conn, product=pid, currency=currency, monthly="10.00")
        b.make_tax(conn, rate="20.000")
        b.set_config(conn, TaxEnabled="on")
        promo = b.make_promotion(conn)
        b.make_service(conn, client=cid, product=pid, amount="9.00",
                       nextduedate=D(2026, 3, 25), promoid=promo)
    run(engine, TODAY)
    [inv] = invoices(engine)
    assert (inv["subtotal"], inv["tax"], inv["credit"], inv["total"]) == (
        M("9.00"), M("1.80"), M("5.00"), M("5.80"))
    assert [ln["taxed"] for ln in lines(engine)] == [1, 1]


def test_inclusive_tax_with_a_discount(engine):
    with transaction(engine) as conn:
        currency = b.make_currency(conn)
        cid = b.make_client(conn)
        pid = b.make_product(conn, tax=1)
        b.make_pricing(conn, product=pid, currency=currency, monthly="12.00")
        b.make_tax(conn, rate="20.000")
        b.set_config(conn, TaxEnabled="on", TaxType="Inclusive")
        promo = b.make_promotion(conn)
        b.make_service(conn, client=cid, product=pid, amount="10.80",
                       nextduedate=D(2026, 3, 25), promoid=promo)
    run(engine, TODAY)
    [inv] = invoices(engine)
    assert (inv["subtotal"], inv["tax"], inv["total"]) == (M("9.00"), M("1.80"), M("10.80"))


def test_continuous_generation_bills_billable_items_like_any_line(world):
    engine, cid, pid = world
    with transaction(engine) as conn:
        b.set_config(conn, ContinuousInvoiceGeneration="on")
        b.make_billable(conn, client=cid, action="recur", duedate=D(2026, 3, 25), recur=1,
                        recurcycle="Months", recurfor=2)
    assert [run(engine, d).numcreated for d in (TODAY, D(2026, 4, 20), D(2026, 5, 20))] == [
        1, 1, 0]
