"""The engine on every backend: what is due, how it is billed, exactly once (rules §4 and §5)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from geninvoices.db import transaction
from geninvoices.errors import NotFound
from tests import builders as b
from tests.engine.helpers import (
    D,
    addon,
    client,
    credits,
    domain,
    invoices,
    ledger,
    lines,
    outbox,
    run,
    service,
)

TODAY = D(2026, 3, 20)


@pytest.fixture
def basic(engine):
    """One client with a product; services are added by each test."""
    with transaction(engine) as conn:
        b.make_currency(conn)
        cid = b.make_client(conn)
        pid = b.make_product(conn, name="Shared Hosting")
    return engine, cid, pid


def add(engine, builder, **kw):
    with transaction(engine) as conn:
        return builder(conn, **kw)


def test_a_due_monthly_service_is_invoiced_and_its_date_advanced(basic):
    engine, cid, pid = basic
    sid = add(engine, b.make_service, client=cid, product=pid, amount="9.95",
              regdate=D(2026, 1, 1), nextduedate=D(2026, 4, 1))
    result = run(engine, TODAY)
    assert result.numcreated == 1
    [inv] = invoices(engine)
    assert inv["userid"] == cid and inv["status"] == "Unpaid"
    assert inv["date"] == TODAY and inv["duedate"] == D(2026, 4, 1)
    assert inv["subtotal"] == Decimal("9.95") and inv["total"] == Decimal("9.95")
    assert inv["paymentmethod"] == "banktransfer" and inv["invoicenum"] == ""
    [line] = lines(engine)
    assert (line["type"], line["relid"], line["invoiceid"]) == ("Hosting", sid, inv["id"])
    assert line["duedate"] == D(2026, 4, 1) and line["amount"] == Decimal("9.95")
    assert line["description"] == "Shared Hosting - example.com (01/04/2026 - 30/04/2026)"
    assert service(engine, sid)["nextinvoicedate"] == D(2026, 5, 1)
    assert service(engine, sid)["nextduedate"] == D(2026, 4, 1)  # moves on payment only
    assert [(r["kind"], r["relid"], r["period_start"], r["invoiceid"]) for r in ledger(engine)] \
        == [("Hosting", sid, D(2026, 4, 1), inv["id"])]


def test_a_second_run_bills_nothing(basic):
    engine, cid, pid = basic
    add(engine, b.make_service, client=cid, product=pid, nextduedate=D(2026, 3, 25))
    assert run(engine, TODAY).numcreated == 1
    assert run(engine, TODAY).numcreated == 0
    assert len(invoices(engine)) == 1


@pytest.mark.parametrize("days_ahead, lead, billed", [
    (14, None, True), (15, None, False), (0, "0", True), (1, "0", False), (30, "30", True),
])
def test_global_lead_days(basic, days_ahead, lead, billed):
    engine, cid, pid = basic
    if lead is not None:
        add(engine, b.set_config, CreateInvoiceDaysBefore=lead)
    add(engine, b.make_service, client=cid, product=pid,
        nextduedate=D.fromordinal(TODAY.toordinal() + days_ahead))
    assert run(engine, TODAY).numcreated == int(billed)


def test_per_cycle_and_domain_lead_days_override_the_global(basic):
    engine, cid, pid = basic
    add(engine, b.set_config, CreateInvoiceDaysBefore="5", CreateInvoiceDaysBeforeAnnually="40",
        CreateInvoiceDaysBeforeMonthly="", CreateDomainInvoiceDaysBefore="60")
    annual = add(engine, b.make_service, client=cid, product=pid, billingcycle="Annually",
                 nextduedate=D(2026, 4, 25))  # 36 days ahead
    monthly = add(engine, b.make_service, client=cid, product=pid, nextduedate=D(2026, 3, 27))
    add(engine, b.make_service, client=cid, product=pid, nextduedate=D(2026, 3, 26))  # 6 days
    dom = add(engine, b.make_domain, client=cid, nextduedate=D(2026, 5, 15))  # 56 days
    run(engine, TODAY)
    billed = {(ln["type"], ln["relid"]) for ln in lines(engine)}
    assert billed == {("Hosting", annual), ("Domain", dom)}
    assert ("Hosting", monthly) not in billed


def test_continuous_off_waits_for_payment_on_bills_one_period_per_run(basic):
    engine, cid, pid = basic
    sid = add(engine, b.make_service, client=cid, product=pid, nextduedate=D(2026, 1, 1),
              nextinvoicedate=D(2026, 2, 1))  # January invoiced, unpaid
    assert run(engine, TODAY).numcreated == 0
    add(engine, b.set_config, ContinuousInvoiceGeneration="on")
    assert run(engine, TODAY).numcreated == 1
    assert service(engine, sid)["nextinvoicedate"] == D(2026, 3, 1)
    assert run(engine, TODAY).numcreated == 1  # one period per run while behind
    assert run(engine, TODAY).numcreated == 1
    assert service(engine, sid)["nextinvoicedate"] == D(2026, 5, 1)
    assert run(engine, TODAY).numcreated == 0
    assert [ln["duedate"] for ln in lines(engine)] == [D(2026, 2, 1), D(2026, 3, 1), D(2026, 4, 1)]


@pytest.mark.parametrize("status, continuous, billed", [
    ("Active", False, True), ("Suspended", False, True), ("Pending", False, True),
    ("Pending", True, False), ("Suspended", True, True), ("Terminated", False, False),
    ("Cancelled", False, False), ("Fraud", False, False),
])
def test_service_status_eligibility(basic, status, continuous, billed):
    engine, cid, pid = basic
    if continuous:
        add(engine, b.set_config, ContinuousInvoiceGeneration="on")
    add(engine, b.make_service, client=cid, product=pid, nextduedate=D(2026, 3, 25),
        status=status)
    assert run(engine, TODAY).numcreated == int(billed)


@pytest.mark.parametrize("cycle, amount", [("Free Account", "10.00"), ("One Time", "10.00"),
                                           ("Monthly", "0.00")])
def test_free_one_time_and_zero_items_are_never_billed(basic, cycle, amount):
    engine, cid, pid = basic
    add(engine, b.make_service, client=cid, product=pid, nextduedate=D(2026, 3, 25),
        billingcycle=cycle, amount=amount)
    result = run(engine, TODAY)
    assert result.numcreated == 0 and result.skipped == []


def test_cancellation_request_blocks_the_service_and_its_addons(basic):
    engine, cid, pid = basic
    sid = add(engine, b.make_service, client=cid, product=pid, nextduedate=D(2026, 3, 25))
    add(engine, b.make_addon, client=cid, service=sid, name="Backups", nextduedate=D(2026, 3, 25))
    add(engine, b.cancel_request, service=sid)
    assert run(engine, TODAY).numcreated == 0


@pytest.mark.parametrize("parent_status", ["Cancelled", "Terminated"])
def test_addon_of_a_cancelled_or_terminated_service_is_not_billed(basic, parent_status):
    engine, cid, pid = basic
    sid = add(engine, b.make_service, client=cid, product=pid, nextduedate=D(2026, 9, 1),
              status=parent_status)
    add(engine, b.make_addon, client=cid, service=sid, name="Backups", nextduedate=D(2026, 3, 25))
    assert run(engine, TODAY).numcreated == 0


def test_addon_name_falls_back_to_the_addon_product_and_tax_text(basic):
    engine, cid, pid = basic
    add(engine, b.set_config, TaxEnabled="on")
    add(engine, b.make_tax, rate="10.000")
    sid = add(engine, b.make_service, client=cid, product=pid, nextduedate=D(2026, 9, 1))
    apid = add(engine, b.make_addon_product, name="Daily Backups")
    aid = add(engine, b.make_addon, client=cid, service=sid, addon=apid, name="",
              recurring="5.00", nextduedate=D(2026, 3, 25), tax="on")
    run(engine, TODAY)
    [line] = lines(engine)
    assert line["type"] == "Addon" and line["relid"] == aid and line["taxed"] == 1
    assert line["description"] == "Daily Backups (25/03/2026 - 24/04/2026)"
    assert invoices(engine)[0]["tax"] == Decimal("0.50")
    assert addon(engine, aid)["nextinvoicedate"] == D(2026, 4, 25)


@pytest.mark.parametrize("status, donotrenew, billed", [
    ("Active", 0, True), ("Active", 1, False), ("Expired", 0, False), ("Pending", 0, False)])
def test_domain_eligibility(basic, status, donotrenew, billed):
    engine, cid, _ = basic
    add(engine, b.make_domain, client=cid, nextduedate=D(2026, 3, 25), status=status,
        donotrenew=donotrenew)
    assert run(engine, TODAY).numcreated == int(billed)


def test_domain_renews_for_its_registration_period(basic):
    engine, cid, _ = basic
    did = add(engine, b.make_domain, client=cid, domain="example.org", years=2, amount="25.00",
              regdate=D(2024, 3, 25), nextduedate=D(2026, 3, 25))
    run(engine, TODAY)
    [line] = lines(engine)
    assert line["description"] == \
        "Domain Renewal - example.org - 2 Year/s (25/03/2026 - 24/03/2028)"
    assert domain(engine, did)["nextinvoicedate"] == D(2028, 3, 25)


def test_month_end_anchor_keeps_the_31st(basic):
    engine, cid, pid = basic
    add(engine, b.set_config, ContinuousInvoiceGeneration="on", CreateInvoiceDaysBefore="0")
    sid = add(engine, b.make_service, client=cid, product=pid, regdate=D(2026, 1, 31),
              nextduedate=D(2026, 1, 31))
    starts = []
    for today in (D(2026, 1, 31), D(2026, 2, 28), D(2026, 3, 31), D(2026, 4, 30)):
        run(engine, today)
        starts.append(service(engine, sid)["nextinvoicedate"])
    assert starts == [D(2026, 2, 28), D(2026, 3, 31), D(2026, 4, 30), D(2026, 5, 31)]


def test_a_period_whmcs_already_billed_is_recorded_and_skipped(basic):
    engine, cid, pid = basic
    sid = add(engine, b.make_service, client=cid, product=pid, nextduedate=D(2026, 3, 25))
    from sqlalchemy import insert

    from geninvoices.models.whmcs import tblinvoiceitems, tblinvoices
    with transaction(engine) as conn:
        old = conn.execute(insert(tblinvoices).values(
            userid=cid, date=D(2026, 3, 10), duedate=D(2026, 3, 25), status="Unpaid",
            subtotal=Decimal("10"), total=Decimal("10"))).inserted_primary_key[0]
        conn.execute(insert(tblinvoiceitems).values(
            invoiceid=old, userid=cid, type="Hosting", relid=sid, description="from WHMCS",
            amount=Decimal("10"), duedate=D(2026, 3, 25)))
    assert run(engine, TODAY).numcreated == 0
    assert service(engine, sid)["nextinvoicedate"] == D(2026, 4, 25)
    assert [(r["kind"], r["relid"], r["period_start"], r["invoiceid"]) for r in ledger(engine)] \
        == [("Hosting", sid, D(2026, 3, 25), 0)]


def test_grouping_by_due_date_and_gateway_and_separate_invoices(basic):
    engine, cid, pid = basic
    add(engine, b.make_service, client=cid, product=pid, nextduedate=D(2026, 3, 25))
    add(engine, b.make_domain, client=cid, nextduedate=D(2026, 3, 25))
    add(engine, b.make_service, client=cid, product=pid, nextduedate=D(2026, 3, 25),
        paymentmethod="paypal")
    add(engine, b.make_service, client=cid, product=pid, nextduedate=D(2026, 3, 26))
    sep = add(engine, b.make_client, email="sep@example.com", separateinvoices=1)
    add(engine, b.make_service, client=sep, product=pid, nextduedate=D(2026, 3, 25))
    add(engine, b.make_domain, client=sep, nextduedate=D(2026, 3, 25))
    assert run(engine, TODAY).numcreated == 5
    count = {}
    for line in lines(engine):
        count[line["invoiceid"]] = count.get(line["invoiceid"], 0) + 1
    shapes = sorted((i["userid"], i["duedate"], i["paymentmethod"], count[i["id"]])
                    for i in invoices(engine))
    assert shapes == sorted([(cid, D(2026, 3, 25), "banktransfer", 2),
                             (cid, D(2026, 3, 25), "paypal", 1),
                             (cid, D(2026, 3, 26), "banktransfer", 1),
                             (sep, D(2026, 3, 25), "banktransfer", 1),
                             (sep, D(2026, 3, 25), "banktransfer", 1)])


def test_payment_method_falls_back_to_client_then_default(basic):
    engine, cid, pid = basic
    other = add(engine, b.make_client, email="o@example.com", defaultgateway="stripe")
    add(engine, b.make_service, client=other, product=pid, nextduedate=D(2026, 3, 25),
        paymentmethod="")
    add(engine, b.make_service, client=cid, product=pid, nextduedate=D(2026, 3, 25),
        paymentmethod="")
    run(engine, TODAY, default_gateway="mailin")
    assert {(i["userid"], i["paymentmethod"]) for i in invoices(engine)} == {
        (other, "stripe"), (cid, "mailin")}


@pytest.mark.parametrize("fmt, expected", [
    ("DD/MM/YYYY", "(25/03/2026 - 24/04/2026)"), ("DD.MM.YYYY", "(25.03.2026 - 24.04.2026)"),
    ("DD-MM-YYYY", "(25-03-2026 - 24-04-2026)"), ("MM/DD/YYYY", "(03/25/2026 - 04/24/2026)"),
    ("YYYY/MM/DD", "(2026/03/25 - 2026/04/24)"), ("YYYY-MM-DD", "(2026-03-25 - 2026-04-24)")])
def test_descriptions_follow_the_date_format(basic, fmt, expected):
    engine, cid, pid = basic
    add(engine, b.set_config, DateFormat=fmt)
    add(engine, b.make_service, client=cid, product=pid, nextduedate=D(2026, 3, 25), domain="")
    run(engine, TODAY)
    assert lines(engine)[0]["description"] == f"Shared Hosting {expected}"


def test_exclusive_tax_with_compound_level_two(basic):
    engine, cid, _ = basic
    taxed = add(engine, b.make_product, name="Taxed", tax=1)
    add(engine, b.set_config, TaxEnabled="on", TaxL2Compound="on", TaxDomains="")
    add(engine, b.make_tax, level=1, rate="20.000", country="GB")
    add(engine, b.make_tax, level=1, rate="99.000", country="")  # less specific: not used
    add(engine, b.make_tax, level=2, rate="5.000", country="")
    add(engine, b.make_service, client=cid, product=taxed, amount="10.00",
        nextduedate=D(2026, 3, 25))
    add(engine, b.make_domain, client=cid, amount="7.00", nextduedate=D(2026, 3, 25))
    run(engine, TODAY)
    [inv] = invoices(engine)
    assert (inv["subtotal"], inv["tax"], inv["tax2"], inv["total"]) == (
        Decimal("17.00"), Decimal("2.00"), Decimal("0.60"), Decimal("19.60"))
    assert (inv["taxrate"], inv["taxrate2"]) == (Decimal("20.000"), Decimal("5.000"))
    assert sorted(ln["taxed"] for ln in lines(engine)) == [0, 1]


def test_inclusive_tax_and_tax_exempt_clients(basic):
    engine, cid, _ = basic
    taxed = add(engine, b.make_product, name="Taxed", tax=1)
    add(engine, b.set_config, TaxEnabled="on", TaxType="Inclusive")
    add(engine, b.make_tax, level=1, rate="20.000")
    exempt = add(engine, b.make_client, email="x@example.com", taxexempt=1)
    add(engine, b.make_service, client=cid, product=taxed, amount="12.00",
        nextduedate=D(2026, 3, 25))
    add(engine, b.make_service, client=exempt, product=taxed, amount="12.00",
        nextduedate=D(2026, 3, 25))
    run(engine, TODAY)
    by_client = {i["userid"]: i for i in invoices(engine)}
    assert (by_client[cid]["subtotal"], by_client[cid]["tax"], by_client[cid]["total"]) == (
        Decimal("10.00"), Decimal("2.00"), Decimal("12.00"))
    assert (by_client[exempt]["subtotal"], by_client[exempt]["tax"]) == (
        Decimal("12.00"), Decimal("0.00"))


def test_credit_pays_part_then_all_and_full_payment_moves_the_due_date(basic):
    engine, _, pid = basic
    cid = add(engine, b.make_client, email="c@example.com", credit="15.00")
    first = add(engine, b.make_service, client=cid, product=pid, amount="10.00",
                nextduedate=D(2026, 3, 25))
    second = add(engine, b.make_service, client=cid, product=pid, amount="10.00",
                 nextduedate=D(2026, 3, 26))
    run(engine, TODAY)
    a, c = invoices(engine)
    assert (a["credit"], a["total"], a["status"]) == (Decimal("10.00"), Decimal("0.00"), "Paid")
    assert (c["credit"], c["total"], c["status"]) == (Decimal("5.00"), Decimal("5.00"), "Unpaid")
    assert client(engine, cid)["credit"] == Decimal("0.00")
    assert [(r["amount"], r["relid"], r["description"]) for r in credits(engine)] == [
        (Decimal("-10.00"), a["id"], f"Credit Applied to Invoice #{a['id']}"),
        (Decimal("-5.00"), c["id"], f"Credit Applied to Invoice #{c['id']}")]
    assert service(engine, first)["nextduedate"] == D(2026, 4, 25)  # paid: moved
    assert service(engine, second)["nextduedate"] == D(2026, 3, 26)  # unpaid: not moved


def test_no_auto_apply_credit(basic):
    engine, _, pid = basic
    add(engine, b.set_config, NoAutoApplyCredit="on")
    cid = add(engine, b.make_client, email="c@example.com", credit="15.00")
    add(engine, b.make_service, client=cid, product=pid, nextduedate=D(2026, 3, 25))
    run(engine, TODAY)
    assert invoices(engine)[0]["credit"] == Decimal("0.00")
    assert client(engine, cid)["credit"] == Decimal("15.00")


def test_custom_numbering_without_gaps_and_sequential_paid_numbering(basic):
    engine, cid, pid = basic
    add(engine, b.set_config, TaxCustomInvoiceNumbering="on",
        TaxCustomInvoiceNumberFormat="INV-{YEAR}{MONTH}-{NUMBER}", TaxNextCustomInvoiceNumber="7")
    for day in (25, 26, 27):
        add(engine, b.make_service, client=cid, product=pid, nextduedate=D(2026, 3, day))
    run(engine, TODAY)
    assert [i["invoicenum"] for i in invoices(engine)] == [
        "INV-202603-7", "INV-202603-8", "INV-202603-9"]
    from geninvoices.models.whmcs import tblconfiguration
    from tests.engine.helpers import rows
    [counter] = rows(engine, tblconfiguration,
                     tblconfiguration.c.setting == "TaxNextCustomInvoiceNumber")
    assert counter["value"] == "10"


def test_sequential_paid_numbering_for_an_invoice_paid_by_credit(basic):
    engine, _, pid = basic
    add(engine, b.set_config, SequentialInvoiceNumbering="on",
        SequentialInvoiceNumberFormat="PAID-{NUMBER}", SequentialInvoiceNumberValue="100")
    cid = add(engine, b.make_client, email="c@example.com", credit="50.00")
    add(engine, b.make_service, client=cid, product=pid, nextduedate=D(2026, 3, 25))
    poor = add(engine, b.make_client, email="p@example.com")
    add(engine, b.make_service, client=poor, product=pid, nextduedate=D(2026, 3, 25))
    run(engine, TODAY)
    by_client = {i["userid"]: i for i in invoices(engine)}
    assert by_client[cid]["invoicenum"] == "PAID-100" and by_client[cid]["status"] == "Paid"
    assert by_client[poor]["invoicenum"] == ""


def test_bad_data_is_skipped_with_a_warning_and_the_rest_billed(basic):
    engine, cid, pid = basic
    bad_cycle = add(engine, b.make_service, client=cid, product=pid, billingcycle="Weekly",
                    nextduedate=D(2026, 3, 25))
    no_product = add(engine, b.make_service, client=cid, product=9999, nextduedate=D(2026, 3, 25))
    negative = add(engine, b.make_service, client=cid, product=pid, amount="-5.00",
                   nextduedate=D(2026, 3, 25))
    bad_period = add(engine, b.make_domain, client=cid, years=0, nextduedate=D(2026, 3, 25))
    good = add(engine, b.make_service, client=cid, product=pid, nextduedate=D(2026, 3, 25))
    result = run(engine, TODAY)
    assert result.numcreated == 1
    assert [ln["relid"] for ln in lines(engine)] == [good]
    text = "\n".join(result.skipped)
    for sid in (bad_cycle, no_product, negative):
        assert f"service {sid} (client {cid}) skipped" in text
    assert f"domain {bad_period} (client {cid}) skipped" in text


def test_zero_dates_are_never_billed(basic):
    engine, cid, pid = basic
    sid = add(engine, b.make_service, client=cid, product=pid, nextduedate=D(2026, 3, 25))
    from sqlalchemy import update

    from geninvoices.models.whmcs import tblhosting
    with transaction(engine) as conn:
        conn.execute(update(tblhosting).where(tblhosting.c.id == sid).values(nextduedate=None))
    assert run(engine, TODAY).numcreated == 0


def test_listed_items_are_invoiced_early_and_nothing_else(basic):
    engine, cid, pid = basic
    early = add(engine, b.make_service, client=cid, product=pid, nextduedate=D(2026, 8, 1))
    add(engine, b.make_service, client=cid, product=pid, nextduedate=D(2026, 3, 25))
    dom = add(engine, b.make_domain, client=cid, nextduedate=D(2026, 12, 1))
    unpaid = add(engine, b.make_service, client=cid, product=pid, nextduedate=D(2026, 3, 1),
                 nextinvoicedate=D(2026, 4, 1))
    result = run(engine, TODAY, clientid=cid, serviceids=[early, unpaid, 424242], domainids=[dom])
    assert result.numcreated == 2 and result.latest_for(cid) == max(result.invoice_ids)
    assert {(ln["type"], ln["relid"]) for ln in lines(engine)} == {("Hosting", early),
                                                                ("Domain", dom)}


def test_clientid_limits_the_run_and_unknown_client_is_not_found(basic):
    engine, cid, pid = basic
    other = add(engine, b.make_client, email="o@example.com")
    add(engine, b.make_service, client=cid, product=pid, nextduedate=D(2026, 3, 25))
    add(engine, b.make_service, client=other, product=pid, nextduedate=D(2026, 3, 25))
    result = run(engine, TODAY, clientid=other)
    assert result.numcreated == 1 and {i["userid"] for i in invoices(engine)} == {other}
    assert result.latest_for(other) == invoices(engine)[0]["id"]
    with pytest.raises(NotFound, match="Client ID Not Found"):
        run(engine, TODAY, clientid=987654)


def test_outbox_row_with_the_invoice_and_none_without_emails(basic):
    engine, cid, pid = basic
    add(engine, b.make_service, client=cid, product=pid, amount="9.95", nextduedate=D(2026, 3, 25))
    no_mail = add(engine, b.make_client, email="n@example.com")
    add(engine, b.make_service, client=no_mail, product=pid, nextduedate=D(2026, 3, 25))
    run(engine, TODAY, clientid=no_mail, emails=False)
    assert outbox(engine) == []
    run(engine, TODAY)
    [row] = outbox(engine)
    inv = invoices(engine)[-1]
    assert row["invoiceid"] == inv["id"] and row["recipient"] == "ada@example.com"
    assert row["subject"] == "Customer Invoice" and row["status"] == "queued"
    assert "$9.95 USD" in row["body"] and f"Invoice #{inv['id']}" in row["body"]
    assert row["message_id"].startswith(f"<invoice-{inv['id']}.")


def test_chunks_bill_every_client(basic):
    engine, _, pid = basic
    clients = [add(engine, b.make_client, email=f"c{i}@example.com") for i in range(7)]
    for c in clients:
        add(engine, b.make_service, client=c, product=pid, nextduedate=D(2026, 3, 25))
    assert run(engine, TODAY, chunk_size=3).numcreated == 7
    assert run(engine, TODAY, chunk_size=3).numcreated == 0


def test_a_listed_id_of_another_client_is_said_not_billed(basic):
    engine, cid, pid = basic
    with transaction(engine) as conn:
        other = b.make_client(conn, email="o@example.com")
        theirs = b.make_service(conn, client=other, product=pid, nextduedate=D(2026, 3, 25))
        mine = b.make_service(conn, client=cid, product=pid, nextduedate=D(2026, 3, 25))
    result = run(engine, TODAY, clientid=cid, serviceids=[mine, theirs, 999999])
    assert result.numcreated == 1 and result.skipped == []
    assert result.warnings == [
        f"service {theirs} not billed: not a client {cid}'s service, or its status is never "
        "billed",
        f"service 999999 not billed: not a client {cid}'s service, or its status is never "
        "billed"]
    assert run(engine, TODAY, serviceids=[theirs]).warnings == []  # found: billed
