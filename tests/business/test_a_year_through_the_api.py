"""A hosting business run for twelve months only through the API (issue 13), on every
backend: a client added with AddClient, a product with AddProduct, a gateway activated with
`geninvoices gateways add` (WHMCS's API has none), a monthly service ordered with AddOrder and
accepted with AcceptOrder; then every month GenInvoices and every unpaid invoice paid with
AddInvoicePayment. The order's first invoice is the first month's; nothing is billed twice."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from geninvoices.config import Settings
from geninvoices.db import transaction
from tests import builders as b
from tests.actions.http import Api
from tests.test_cli import gi

ORDER_DAY = dt.date(2027, 1, 5)


def on(engine, day: dt.date) -> Api:
    return Api(engine, Settings(database_url="sqlite://", testing=True, test_today=day))


def month(n: int) -> dt.date:
    return dt.date(2027 + n // 12, n % 12 + 1, 1)


def set_up_shop(engine, database_url) -> str:
    """What WHMCS's installer and admin area do, which its API cannot: a currency, a product
    group and an active gateway. Returns the group's and the currency's ids."""
    with transaction(engine) as conn:
        currency = b.make_currency(conn)
    added = gi(database_url, "products", "groups", "add", "Hosting")
    assert added.returncode == 0, added.stderr
    assert gi(database_url, "gateways", "add", "banktransfer", "--name",
              "Bank Transfer").returncode == 0
    return added.stdout.split("group ")[1].split(":")[0], str(currency)


def test_twelve_months_of_a_monthly_service(engine, database_url):
    gid, currency = set_up_shop(engine, database_url)
    api = on(engine, ORDER_DAY)
    client = api.json("AddClient", firstname="Grace", lastname="Hopper",
                      email="grace@example.com", address1="1 Navy Way", city="Arlington",
                      state="VA", postcode="22201", country="US", phonenumber="5551234567",
                      password2="correct horse battery staple")
    assert client["result"] == "success", client
    cid = str(client["clientid"])
    product = api.json("AddProduct", name="Web Hosting", gid=gid, type="hostingaccount",
                       paytype="recurring", **{f"pricing[{currency}][monthly]": "10.00"})
    assert product["result"] == "success", product
    methods = api.json("GetPaymentMethods")
    assert "banktransfer" in str(methods), methods
    order = api.json("AddOrder", clientid=cid, paymentmethod="banktransfer",
                     **{"pid[0]": str(product["pid"]), "billingcycle[0]": "monthly",
                        "domain[0]": "grace.example.com"})
    assert order["result"] == "success", order
    accepted = api.json("AcceptOrder", orderid=str(order["orderid"]))
    assert accepted["result"] == "success", accepted
    created = []
    for n in range(12):
        day = ORDER_DAY if n == 0 else month(n)
        api = on(engine, day)
        reply = api.json("GenInvoices", noemails="1", clientid=cid)
        assert reply["result"] == "success", reply
        created.append(int(reply["numcreated"]))
        unpaid = api.json("GetInvoices", userid=cid, status="Unpaid")
        for inv in (unpaid["invoices"] or {"invoice": []})["invoice"]:
            paid = api.json("AddInvoicePayment", invoiceid=str(inv["id"]),
                            transid=f"tx-{inv['id']}", gateway="banktransfer")
            assert paid["result"] == "success", paid
    assert created == [0] + [1] * 11  # month one was the order's own invoice
    invoices = on(engine, month(12)).json("GetInvoices", userid=cid, limitnum="100")
    listed = invoices["invoices"]["invoice"]
    assert len(listed) == 12
    assert {i["status"] for i in listed} == {"Paid"}
    assert sum(Decimal(i["total"]) for i in listed) == Decimal("120.00")
    services = on(engine, month(12)).json("GetClientsProducts", clientid=cid)
    [service] = services["products"]["product"]
    assert service["status"] == "Active" and service["nextduedate"] == "2028-01-05"
    # the thirteenth month is due 2028-01-05: billed once, and only once
    assert [on(engine, month(12)).json("GenInvoices", clientid=cid)["numcreated"]
            for _ in range(2)] == ["1", "0"]
