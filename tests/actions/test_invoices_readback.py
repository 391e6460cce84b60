"""GetInvoices, GetInvoice and AddInvoicePayment (rules §7) through api.php."""

from __future__ import annotations

import datetime as dt
import threading
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from geninvoices.db import transaction
from geninvoices.models.whmcs import tblaccounts, tblinvoices
from tests import builders as b
from tests.actions.http import Api
from tests.engine.helpers import D, invoices, lines, run, service

TODAY = dt.date.today()


@pytest.fixture
def world(engine):
    """Two clients (one in EUR), each with a few invoices from real runs."""
    with transaction(engine) as conn:
        usd = b.make_currency(conn)
        eur = b.make_currency(conn, code="EUR", prefix="€", suffix=" EUR", default=0)
        ada = b.make_client(conn, email="ada@example.com")
        bob = b.make_client(conn, firstname="Bob", lastname="Builder", companyname="Bob Ltd",
                            email="bob@example.com", currency=eur)
        pid = b.make_product(conn)
        b.make_service(conn, client=ada, product=pid, amount="10.00", regdate=D(2026, 1, 1),
                       nextduedate=D(2026, 1, 1))
        b.make_service(conn, client=ada, product=pid, amount="30.00", regdate=D(2026, 1, 2),
                       nextduedate=D(2026, 1, 2), paymentmethod="paypal")
        b.make_service(conn, client=bob, product=pid, amount="20.00", regdate=D(2026, 1, 3),
                       nextduedate=D(2026, 1, 3))
    run(engine, D(2025, 12, 25), emails=False)
    return Api(engine), ada, bob, usd, eur


def test_get_invoices_pages_filters_and_orders(world, engine):
    api, ada, bob, *_ = world
    reply = api.json("GetInvoices")
    assert (reply["result"], reply["totalresults"], reply["startnumber"],
            reply["numreturned"]) == ("success", 3, 0, 3)
    first = reply["invoices"]["invoice"][0]
    assert first["userid"] == ada and first["firstname"] == "Ada" and first["total"] == "10.00"
    assert first["taxrate"] == "0.000" and first["datepaid"] == "0000-00-00 00:00:00"
    assert (first["currencycode"], first["currencyprefix"]) == ("USD", "$")
    assert first["date"] == "2025-12-25" and isinstance(first["id"], int)
    by_total = api.json("GetInvoices", orderby="total", order="desc")["invoices"]["invoice"]
    assert [i["total"] for i in by_total] == ["30.00", "20.00", "10.00"]
    page = api.json("GetInvoices", limitstart="1", limitnum="1")
    assert (page["totalresults"], page["startnumber"], page["numreturned"]) == (3, 1, 1)
    bobs = api.json("GetInvoices", userid=str(bob))["invoices"]["invoice"]
    assert [(i["companyname"], i["currencycode"], i["currencysuffix"]) for i in bobs] == [
        ("Bob Ltd", "EUR", " EUR")]
    assert api.json("GetInvoices", status="Overdue")["totalresults"] == 3  # due Jan 2026
    assert api.json("GetInvoices", status="Paid")["totalresults"] == 0


@pytest.mark.parametrize("currency", [0, 4242])
def test_a_client_whose_currency_names_no_row_uses_the_default(world, engine, currency):
    """Rules §5.3: currency 0 or one that names no tblcurrencies row means the default."""
    api, *_ = world
    with transaction(engine) as conn:
        cid = b.make_client(conn, firstname="Cy", email="cy@example.com", currency=currency)
        b.make_service(conn, client=cid, product=b.make_product(conn), amount="5.00",
                       regdate=D(2026, 1, 4), nextduedate=D(2026, 1, 4))
    run(engine, D(2025, 12, 25), emails=False)
    [cys] = api.json("GetInvoices", userid=str(cid))["invoices"]["invoice"]
    assert (cys["currencycode"], cys["currencyprefix"], cys["currencysuffix"]) == (
        "USD", "$", " USD")
    root = ET.fromstring(api.post("GetInvoices", userid=str(cid), responsetype="xml").text)
    assert root.findtext("invoices/invoice/currencycode") == "USD"


def test_get_invoices_empty_result_in_json_and_xml(world):
    api, *_ = world
    assert api.json("GetInvoices", userid="999")["invoices"] == {"invoice": []}
    root = ET.fromstring(api.post("GetInvoices", userid="999", responsetype="xml").text)
    assert root.findtext("numreturned") == "0" and root.find("invoices") is not None
    nvp = api.post("GetInvoices", responsetype="nvp").text
    assert nvp == ("result=error;message=responsetype nvp cannot express this result; "
                   "use json or xml;").replace("; use", "%3B use")


@pytest.mark.parametrize("params, message", [
    ({"orderby": "nonsense"}, "Invalid orderby: must be one of"),
    ({"order": "sideways"}, "Invalid order: must be asc or desc"),
    ({"limitnum": "-1"}, "Invalid limitnum: must be a whole number"),
])
def test_get_invoices_bad_parameters(world, params, message):
    api, *_ = world
    reply = api.json("GetInvoices", **params)
    assert reply["result"] == "error" and reply["message"].startswith(message)


def test_get_invoice_items_balance_and_transactions(world, engine):
    api, ada, *_ = world
    inv = invoices(engine)[0]
    reply = api.json("GetInvoice", invoiceid=str(inv["id"]))
    assert reply["invoiceid"] == inv["id"] and reply["balance"] == "10.00"
    assert reply["transactions"] == "" and reply["ccgateway"] is False
    [item] = reply["items"]["item"]
    assert item["type"] == "Hosting" and item["amount"] == "10.00" and item["taxed"] == 0
    assert api.json("AddInvoicePayment", invoiceid=str(inv["id"]), transid="t1",
                    gateway="banktransfer", amount="4.00", fees="0.20") == {"result": "success"}
    reply = api.json("GetInvoice", invoiceid=str(inv["id"]))
    assert reply["balance"] == "6.00" and reply["status"] == "Unpaid"
    [tx] = reply["transactions"]["transaction"]
    assert (tx["amountin"], tx["fees"], tx["transid"], tx["invoiceid"]) == (
        "4.00", "0.20", "t1", inv["id"])
    assert api.json("GetInvoice", invoiceid="424242") == {
        "result": "error", "message": "Invoice ID Not Found"}


def test_full_payment_marks_paid_and_moves_the_due_date_once(world, engine):
    api, ada, *_ = world
    inv = invoices(engine)[0]
    sid = lines(engine)[0]["relid"]
    api.json("AddInvoicePayment", invoiceid=str(inv["id"]), transid="a", gateway="banktransfer",
             amount="4.00")
    assert api.json("AddInvoicePayment", invoiceid=str(inv["id"]), transid="b",
                    gateway="banktransfer", date="2026-01-01 10:30:00") == {"result": "success"}
    paid = invoices(engine)[0]
    assert paid["status"] == "Paid" and paid["datepaid"] == dt.datetime(2026, 1, 1, 10, 30)
    assert service(engine, sid)["nextduedate"] == D(2026, 2, 1)
    again = api.json("AddInvoicePayment", invoiceid=str(inv["id"]), transid="c",
                     gateway="banktransfer", amount="1.00")
    assert again == {"result": "error", "message": "Invoice is not Unpaid"}
    assert service(engine, sid)["nextduedate"] == D(2026, 2, 1)


@pytest.mark.parametrize("params, message", [
    ({"invoiceid": "424242"}, "Invoice ID Not Found"),
    ({"amount": "-1"}, "Invalid amount: must be an amount with at most 2 decimals"),
    ({"amount": "abc"}, "Invalid amount: must be an amount with at most 2 decimals"),
    ({"amount": "1.005"}, "Invalid amount: must be an amount with at most 2 decimals"),
    ({"amount": "0"}, "Invalid amount: must be more than 0"),
    ({"amount": "10.01"}, "Amount exceeds balance"),
    ({"date": "2026-13-45"}, "Invalid date: must be YYYY-MM-DD or YYYY-MM-DD HH:MM:SS"),
    ({"date": "yesterday"}, "Invalid date: must be YYYY-MM-DD or YYYY-MM-DD HH:MM:SS"),
    ({"transid": ""}, "Invalid transid: is required"),
    ({"gateway": " "}, "Invalid gateway: is required"),
    ({"fees": "-0.50"}, "Invalid fees: must be an amount with at most 2 decimals"),
])
def test_add_invoice_payment_errors_change_nothing(world, engine, params, message):
    api, *_ = world
    inv = invoices(engine)[0]
    data = {"invoiceid": str(inv["id"]), "transid": "tx", "gateway": "banktransfer", **params}
    assert api.json("AddInvoicePayment", **data) == {"result": "error", "message": message}
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(tblaccounts)).scalar() == 0
    assert invoices(engine)[0]["status"] == "Unpaid"


def test_a_repeated_transaction_id_never_records_twice(world, engine):
    api, *_ = world
    first, second = invoices(engine)[:2]
    ok = api.json("AddInvoicePayment", invoiceid=str(first["id"]), transid="dup",
                  gateway="paypal", amount="1.00")
    dup = api.json("AddInvoicePayment", invoiceid=str(second["id"]), transid="dup",
                   gateway="paypal", amount="1.00")
    assert ok == {"result": "success"}
    assert dup == {"result": "error", "message": "Transaction ID Already Exists"}
    assert api.json("AddInvoicePayment", invoiceid=str(second["id"]), transid="dup",
                    gateway="stripe", amount="1.00") == {"result": "success"}


def test_two_concurrent_full_payments_never_both_succeed(world, engine):
    api, *_ = world
    inv = invoices(engine)[0]
    replies = []

    def pay(transid):
        replies.append(api.json("AddInvoicePayment", invoiceid=str(inv["id"]), transid=transid,
                                gateway="banktransfer", amount="10.00"))

    threads = [threading.Thread(target=pay, args=(f"t{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r["result"] for r in replies) == ["error", "error", "error", "success"]
    with engine.connect() as conn:
        paid = conn.execute(select(func.sum(tblaccounts.c.amountin))).scalar()
    assert Decimal(paid) == Decimal("10.00")


def test_permissions_apply_per_action(world, engine):
    _, *_ = world
    reader = Api(engine, allow=["GetInvoices"])
    assert reader.json("GetInvoices")["result"] == "success"
    reply = reader.post("AddInvoicePayment", invoiceid="1", transid="x", gateway="y")
    assert reply.status_code == 403
    assert reply.json() == {"result": "error", "message":
                            'Invalid Permissions: API action "addinvoicepayment" is not allowed'}


def _monthly_client(engine):
    with transaction(engine) as conn:
        b.make_currency(conn)
        cid = b.make_client(conn)
        pid = b.make_product(conn)
        sid = b.make_service(conn, client=cid, product=pid, amount="10.00",
                             regdate=D(2026, 1, 31), nextduedate=D(2026, 1, 31))
    return cid, sid


def test_twelve_months_paying_each_invoice_with_continuous_off(engine):
    cid, sid = _monthly_client(engine)
    api = Api(engine)
    day = D(2026, 1, 20)
    for _ in range(12):
        run(engine, day, emails=False)
        for inv in invoices(engine, tblinvoices.c.status == "Unpaid"):
            assert api.json("AddInvoicePayment", invoiceid=str(inv["id"]),
                            transid=f"t{inv['id']}", gateway="banktransfer")["result"] == "success"
        day = service(engine, sid)["nextduedate"] - dt.timedelta(days=5)
    all_invoices = invoices(engine)
    assert len(all_invoices) == 12 and {i["status"] for i in all_invoices} == {"Paid"}
    assert [ln["duedate"] for ln in lines(engine)][:4] == [
        D(2026, 1, 31), D(2026, 2, 28), D(2026, 3, 31), D(2026, 4, 30)]
    assert service(engine, sid)["nextduedate"] == D(2027, 1, 31)
    assert service(engine, sid)["nextinvoicedate"] == D(2027, 1, 31)


def test_twelve_months_unpaid_with_continuous_on_then_paid_out_of_order(engine):
    cid, sid = _monthly_client(engine)
    with transaction(engine) as conn:
        b.set_config(conn, ContinuousInvoiceGeneration="on")
    api = Api(engine)
    day = D(2026, 1, 20)
    for _ in range(12):
        run(engine, day, emails=False)
        day = service(engine, sid)["nextinvoicedate"] - dt.timedelta(days=5)
    unpaid = invoices(engine)
    assert len(unpaid) == 12 and {i["status"] for i in unpaid} == {"Unpaid"}
    assert service(engine, sid)["nextduedate"] == D(2026, 1, 31)
    expected = [D(2026, 1, 31), D(2026, 3, 31), D(2026, 3, 31), D(2026, 5, 31)]
    out_of_order = (unpaid[1], unpaid[0], unpaid[3], unpaid[2])
    for inv, due in zip(out_of_order, expected, strict=True):
        api.json("AddInvoicePayment", invoiceid=str(inv["id"]), transid=f"t{inv['id']}",
                 gateway="banktransfer")
        assert service(engine, sid)["nextduedate"] == due  # each period moves it once
    api.json("AddInvoicePayment", invoiceid=str(unpaid[2]["id"]), transid="again",
             gateway="banktransfer", amount="1.00")  # a paid invoice: refused, nothing moves
    assert service(engine, sid)["nextduedate"] == D(2026, 5, 31)
