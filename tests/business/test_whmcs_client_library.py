"""A real WHMCS client library from PyPI, unchanged, against a real `geninvoices serve`
(issue 13): `whmcspy` (its `WHMCS(url, identifier, secret)` posts form-encoded calls with
requests and pages GetOrders / GetClientsProducts by `numreturned`)."""

from __future__ import annotations

import pytest
import whmcspy

from geninvoices import access
from geninvoices.db import transaction
from tests.net import start_server, stop, wait_until_up


@pytest.fixture
def served(engine, database_url):
    from tests.business.test_a_year_through_the_api import set_up_shop
    gid, currency = set_up_shop(engine, database_url)
    with transaction(engine) as conn:
        ident, secret = access.create_credential(conn, allow=None)
    server, url = start_server(database_url, workers=1)
    try:
        wait_until_up(url)
        yield whmcspy.WHMCS(url, ident, secret), int(gid), currency
    finally:
        stop(server)


def test_whmcspy_runs_a_customer_from_signup_to_invoice(served):
    whmcs, gid, currency = served
    cid = whmcs.add_client("Ada", "Lovelace", "ada@example.com", "1 Analytical St", "London",
                           "London", "N1 1AA", "GB", "+44.2071234567", "a long password 1")
    pid = whmcs.add_product("Web Hosting", gid, type="hostingaccount", paytype="recurring",
                            **{f"pricing[{currency}][monthly]": "7.50"})
    order = whmcs.add_order(cid, products=[{"id": pid, "domain": "ada.example.com"}],
                            billingcycle=["monthly"])
    assert order["result"] == "success"
    whmcs.accept_order(order["orderid"])
    orders = list(whmcs.get_orders(userid=cid))
    assert [int(o["id"]) for o in orders] == [int(order["orderid"])]
    products = list(whmcs.get_clients_products(clientid=cid, active=True))
    assert len(products) == 1 and products[0]["domain"] == "ada.example.com"
    invoice = whmcs.get_invoice(order["invoiceid"])
    assert invoice["total"] == "7.50" and invoice["status"] == "Unpaid"
    with pytest.raises(whmcspy.Error):
        whmcs.get_invoice(999999)
