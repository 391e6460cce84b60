"""AddOrder, AcceptOrder, CancelOrder and GetOrders through api.php (rules §13), on every
backend: what an order creates, its first invoice through the engine, and what later runs
and payments do with it."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from geninvoices.models import own
from geninvoices.models.whmcs import tblclients, tblorders, tblpaymentgateways, tblpromotions
from tests import builders as b
from tests.engine.helpers import addon, domain, invoices, ledger, lines, outbox, rows, service
from tests.orders.shop import ORDER_DAY, api, counts, make_shop

D = dt.date
M = Decimal
FEB_15 = D(2026, 2, 15)


@pytest.fixture
def shop(engine):
    return make_shop(engine)


def order(shop, **extra) -> dict:
    return {"clientid": str(shop.client), "paymentmethod": "banktransfer",
            "pid[0]": str(shop.pid), "billingcycle[0]": "monthly",
            "domain[0]": "example.com", "domaintype[0]": "register", "regperiod[0]": "1",
            **extra}


def test_an_order_creates_pending_items_dated_the_order_day_and_its_first_invoice(
        engine, shop):
    reply = api(engine).json("AddOrder", **order(shop, **{"addons[0]": str(shop.addon)}))
    [o] = rows(engine, tblorders)
    [inv] = invoices(engine)
    sid, aid, did = (int(reply[k]) for k in ("serviceids", "addonids", "domainids"))
    assert reply == {"result": "success", "orderid": str(o["id"]), "serviceids": str(sid),
                     "addonids": str(aid), "domainids": str(did), "invoiceid": str(inv["id"])}
    assert o["status"] == "Pending" and o["invoiceid"] == inv["id"] and o["userid"] == shop.client
    assert 1_000_000_000 <= o["ordernum"] <= 9_999_999_999 and o["ipaddress"] == "127.0.0.1"
    assert o["amount"] == M("30.00")  # 5 + 10, 1 + 2, 12
    s, a, d = service(engine, sid), addon(engine, aid), domain(engine, did)
    assert (s["domainstatus"], s["orderid"], s["billingcycle"], s["firstpaymentamount"],
            s["amount"], s["regdate"], s["nextduedate"]) == (
        "Pending", o["id"], "Monthly", M("15.00"), M("10.00"), ORDER_DAY, ORDER_DAY)
    assert (a["status"], a["hostingid"], a["setupfee"], a["recurring"], a["regdate"]) == (
        "Pending", sid, M("1.00"), M("2.00"), ORDER_DAY)
    assert (d["status"], d["registrationperiod"], d["firstpaymentamount"],
            d["recurringamount"], d["registrationdate"], d["nextduedate"]) == (
        "Pending", 1, M("12.00"), M("14.00"), ORDER_DAY, ORDER_DAY)
    # the first period is invoiced, so the next invoice date moved on; paid: not yet
    assert (s["nextinvoicedate"], a["nextinvoicedate"], d["nextinvoicedate"]) == (
        D(2026, 2, 15), D(2026, 2, 15), D(2027, 1, 15))
    assert (inv["status"], inv["date"], inv["duedate"], inv["total"]) == (
        "Unpaid", ORDER_DAY, ORDER_DAY, M("30.00"))
    assert [(ln["type"], ln["relid"], ln["amount"], ln["description"]) for ln in lines(engine)] \
        == [("Hosting", sid, M("15.00"), "Shared Hosting - example.com (15/01/2026 - 14/02/2026)"),
            ("Addon", aid, M("3.00"), "Daily Backups (15/01/2026 - 14/02/2026)"),
            ("Domain", did, M("12.00"),
             "Domain Registration - example.com - 1 Year/s (15/01/2026 - 14/01/2027)")]
    assert sorted((r["kind"], r["relid"], r["period_start"], r["invoiceid"])
                  for r in ledger(engine)) == sorted([
        ("Hosting", sid, ORDER_DAY, inv["id"]), ("Addon", aid, ORDER_DAY, inv["id"]),
        ("Domain", did, ORDER_DAY, inv["id"])])
    assert [m["invoiceid"] for m in outbox(engine)] == [inv["id"]]


def test_accept_then_gen_invoices_bills_nothing_more_until_the_next_period(engine, shop):
    placed = api(engine).json("AddOrder", **order(shop))
    assert api(engine).json("AcceptOrder", orderid=placed["orderid"]) == {"result": "success"}
    sid, did = int(placed["serviceids"]), int(placed["domainids"])
    assert (service(engine, sid)["domainstatus"], domain(engine, did)["status"]) == (
        "Active", "Active")
    assert rows(engine, tblorders)[0]["status"] == "Active"
    assert api(engine).json("GenInvoices")["numcreated"] == "0"  # the order day: billed
    # paid with AddInvoicePayment: the due dates move one period on (rules §5.7)
    paid = api(engine).json("AddInvoicePayment", invoiceid=placed["invoiceid"],
                            transid="T1", gateway="banktransfer")
    assert paid == {"result": "success"}
    assert (service(engine, sid)["nextduedate"], domain(engine, did)["nextduedate"]) == (
        FEB_15, D(2027, 1, 15))
    later = api(engine, day=FEB_15)
    assert later.json("GenInvoices")["numcreated"] == "1"
    assert later.json("GenInvoices")["numcreated"] == "0"  # exactly once
    second = [ln for ln in lines(engine) if ln["invoiceid"] != int(placed["invoiceid"])]
    assert [(ln["type"], ln["relid"], ln["duedate"], ln["amount"]) for ln in second] == [
        ("Hosting", sid, FEB_15, M("10.00"))]  # the recurring price, no setup fee


def test_noinvoice_creates_the_items_without_an_invoice(engine, shop):
    reply = api(engine).json("AddOrder", **order(shop, noinvoice="1"))
    assert reply["invoiceid"] == "0" and invoices(engine) == [] and ledger(engine) == []
    s = service(engine, int(reply["serviceids"]))
    assert (s["nextduedate"], s["nextinvoicedate"]) == (ORDER_DAY, ORDER_DAY)
    assert rows(engine, tblorders)[0]["invoiceid"] == 0
    # the first period is left to the next run, as any due item (rules §13): the service
    # at its recurring amount; the Pending domain waits until the order is accepted
    assert api(engine).json("GenInvoices")["numcreated"] == "1"
    assert [(ln["type"], ln["amount"]) for ln in lines(engine)] == [("Hosting", M("10.00"))]


def test_noinvoiceemail_queues_no_email(engine, shop):
    api(engine).json("AddOrder", **order(shop, noinvoiceemail="true", noemail="1"))
    assert len(invoices(engine)) == 1 and outbox(engine) == []


def test_priceoverride_replaces_the_catalogue_price(engine, shop):
    reply = api(engine).json("AddOrder", **order(shop, **{"priceoverride[0]": "7.50"}))
    s = service(engine, int(reply["serviceids"]))
    assert (s["firstpaymentamount"], s["amount"]) == (M("7.50"), M("7.50"))


def test_a_recurring_percentage_promotion(engine, shop):
    with engine.begin() as conn:
        promo = b.make_promotion(conn, code="SAVE10", value="10.00", recurring=1)
    reply = api(engine).json("AddOrder", **order(shop, promocode="save10"))
    s = service(engine, int(reply["serviceids"]))
    assert (s["amount"], s["promoid"], s["firstpaymentamount"]) == (M("9.00"), promo,
                                                                      M("13.50"))
    assert [(ln["type"], ln["amount"], ln["description"]) for ln in lines(engine)][:2] == [
        ("Hosting", M("15.00"), "Shared Hosting - example.com (15/01/2026 - 14/02/2026)"),
        ("PromoHosting", M("-1.50"), "Promotional Code: SAVE10 - 10% Recurring Discount")]
    [o] = rows(engine, tblorders)
    assert (o["promocode"], o["promotype"], o["promovalue"]) == ("SAVE10", "Percentage",
                                                                 "10.00")
    assert rows(engine, tblpromotions)[0]["uses"] == 1


def test_custom_numbering_numbers_the_first_invoice(engine, shop):
    with engine.begin() as conn:
        b.set_config(conn, TaxCustomInvoiceNumbering="on",
                     TaxCustomInvoiceNumberFormat="INV-{NUMBER}", TaxNextCustomInvoiceNumber=7)
    api(engine).json("AddOrder", **order(shop))
    assert invoices(engine)[0]["invoicenum"] == "INV-7"


def test_cancel_order_cancels_items_and_the_unpaid_invoice(engine, shop):
    placed = api(engine).json("AddOrder", **order(shop))
    assert api(engine).json("CancelOrder", orderid=placed["orderid"]) == {"result": "success"}
    assert rows(engine, tblorders)[0]["status"] == "Cancelled"
    assert service(engine, int(placed["serviceids"]))["domainstatus"] == "Cancelled"
    assert domain(engine, int(placed["domainids"]))["status"] == "Cancelled"
    assert invoices(engine)[0]["status"] == "Cancelled"
    again = api(engine).json("CancelOrder", orderid=placed["orderid"])
    assert again == {"result": "error", "message": "Order ID not found or Status not Pending"}
    assert api(engine).json("AcceptOrder", orderid=placed["orderid"])["message"] == \
        "Order ID not found or Status not Pending"
    assert api(engine, day=FEB_15).json("GenInvoices")["numcreated"] == "0"


def test_get_orders_nested_answer_and_filters(engine, shop):
    first = api(engine).json("AddOrder", **order(shop))
    api(engine).json("AddOrder", **order(shop, **{"domaintype[0]": ""}))
    page = api(engine).json("GetOrders", userid=str(shop.client), limitnum="1")
    assert (page["totalresults"], page["startnumber"], page["numreturned"]) == (2, 0, 1)
    one = api(engine).json("GetOrders", id=first["orderid"])["orders"]["order"][0]
    assert (one["id"], one["status"], one["amount"], one["paymentmethodname"],
            one["paymentstatus"], one["name"], one["currencyprefix"]) == (
        int(first["orderid"]), "Pending", "27.00", "Bank Transfer", "Unpaid",
        "Ada Lovelace", "$")
    assert [(li["type"], li["product"], li["billingcycle"], li["amount"])
            for li in one["lineitems"]["lineitem"]] == [
        ("product", "Shared Hosting", "Monthly", "15.00"),
        ("domain", "Domain Register", "1 Year/s", "12.00")]
    assert api(engine).json("GetOrders", status="Active")["totalresults"] == 0
    rest = api(engine).json("GetOrders", limitstart="1")  # newest first
    assert (rest["startnumber"], rest["numreturned"]) == (1, 1)
    assert rest["orders"]["order"][0]["id"] == int(first["orderid"])
    assert api(engine).json("GetOrders", limitnum="x")["message"] == \
        "Invalid limitnum: must be a whole number"
    xml = api(engine).post("AddOrder", **{**order(shop), "responsetype": "xml"})
    assert "<orderid>" in xml.text and "<result>success</result>" in xml.text


BAD = [
    ({"clientid": "999"}, "Client ID Not Found"),
    ({"pid[0]": "999"}, "Invalid Product ID: 999"),
    ({"billingcycle[0]": "weekly"}, "Invalid Billing Cycle: weekly for product {pid}"),
    ({"billingcycle[0]": "quarterly"},
     "Invalid Billing Cycle: product {pid} is not offered quarterly in USD"),
    ({"priceoverride[0]": "-1.00"},
     "Invalid priceoverride: must be an amount with at most 2 decimals"),
    ({"priceoverride[0]": "1.005"},
     "Invalid priceoverride: must be an amount with at most 2 decimals"),
    ({"paymentmethod": "paypal"}, "Invalid Payment Method. Valid options include banktransfer"),
    ({"paymentmethod": ""}, "Invalid Payment Method. Valid options include banktransfer"),
    ({"promocode": "NOPE"}, "Promotion Code Not Found"),
    ({"regperiod[0]": "3"}, "Domain example.com cannot be registered for 3 year(s): its "
                            "extension has no such price in USD"),
    ({"addons[0]": "77"}, "Addon ID invalid"),
    ({"pid[0]": "", "domaintype[0]": ""}, "No items added to cart so order cannot proceed"),
]


@pytest.mark.parametrize("change, message", BAD)
def test_bad_input_is_refused_and_writes_nothing(engine, shop, change, message):
    before = counts(engine)
    reply = api(engine).json("AddOrder", **order(shop, **change))
    assert reply == {"result": "error", "message": message.format(pid=shop.pid)}
    assert counts(engine) == before
    with engine.connect() as conn:
        assert conn.execute(own.ledger.select()).first() is None


def test_with_no_active_gateway_the_refusal_says_how_to_activate_one(engine, shop):
    with engine.begin() as conn:
        conn.execute(tblpaymentgateways.delete())
    before = counts(engine)
    reply = api(engine).json("AddOrder", **order(shop))
    assert reply == {"result": "error", "message": (
        "Invalid Payment Method. Valid options include (none: no payment gateway is active; "
        "activate one with geninvoices gateways add MODULE --name NAME)")}
    assert counts(engine) == before


def test_a_closed_client_and_an_expired_promotion(engine, shop):
    with engine.begin() as conn:
        conn.execute(tblpromotions.insert().values(
            code="OLD", type="Percentage", value=M("5"), recurring=0,
            startdate=D(2025, 1, 1), expirationdate=D(2025, 12, 31)))
    assert api(engine).json("AddOrder", **order(shop, promocode="OLD"))["message"] == \
        "Promotion Code Expired"
    with engine.begin() as conn:
        conn.execute(tblclients.update().values(status="Closed"))
    assert api(engine).json("AddOrder", **order(shop))["message"] == \
        "Unable to add order when client status is Closed"
    assert counts(engine)["tblorders"] == 0


def test_a_credential_without_the_action_is_refused(engine, shop):
    reader = api(engine, allow=["GetOrders"])
    reply = reader.post("AddOrder", **order(shop))
    assert reply.status_code == 403
    assert json.loads(reply.text)["message"] == \
        'Invalid Permissions: API action "addorder" is not allowed'
    for name in ("AcceptOrder", "CancelOrder"):
        assert json.loads(reader.post(name, orderid="1").text)["message"].startswith(
            "Invalid Permissions")
    assert reader.json("GetOrders")["totalresults"] == 0
    assert counts(engine)["tblorders"] == 0


@pytest.mark.parametrize("change, message", [
    ({"domaintype[0]": "transfer"}, "Domain transfers are not supported by this server"),
    ({"billingcycle[0]": "onetime"}, "Invalid Billing Cycle: onetime products cannot be "
                                     "ordered through this server yet; nothing was ordered"),
    ({"qty[0]": "2"}, "qty other than 1 is not supported by this server; nothing was ordered"),
    ({"servicerenewals[0]": "3"},
     "servicerenewals is not supported by this server; nothing was ordered"),
])
def test_what_is_not_implemented_is_refused_not_ignored(engine, shop, change, message):
    assert api(engine).json("AddOrder", **order(shop, **change)) == {
        "result": "error", "message": message}
    assert counts(engine)["tblorders"] == 0


def test_addon_only_order_for_an_existing_service_and_a_two_year_domain(engine, shop):
    first = api(engine).json("AddOrder", **order(shop, noinvoice="1"))
    sid = first["serviceids"]
    reply = api(engine).json("AddOrder", clientid=str(shop.client),
                             paymentmethod="banktransfer", **{
                                 "addonids[0]": str(shop.addon), "serviceids[0]": sid,
                                 "domain[0]": "Second.COM", "domaintype[0]": "register",
                                 "regperiod[0]": "2"})
    a, d = addon(engine, int(reply["addonids"])), domain(engine, int(reply["domainids"]))
    assert (a["hostingid"], a["billingcycle"], a["firstpaymentamount"]) == (
        int(sid), "Monthly", M("3.00"))
    assert (d["domain"], d["registrationperiod"], d["firstpaymentamount"],
            d["recurringamount"], d["nextinvoicedate"]) == (
        "second.com", 2, M("22.00"), M("28.00"), D(2028, 1, 15))
    [inv] = invoices(engine)
    assert inv["total"] == M("25.00") and str(inv["id"]) == reply["invoiceid"]
    with engine.begin() as conn:
        other = b.make_client(conn, email="eve@example.com")
    stolen = api(engine).json("AddOrder", clientid=str(other), paymentmethod="banktransfer",
                              addonid=str(shop.addon), serviceid=sid)
    assert stolen["message"] == "Service ID not owned by Client ID provided"
