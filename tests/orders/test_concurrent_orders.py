"""Concurrent AddOrder calls never share an invoice number (rules §13, §5.3, §9): eight
threads call api.php at once, with custom numbering on, on every backend."""

from __future__ import annotations

import threading

from geninvoices.db import transaction
from geninvoices.models.whmcs import tblorders
from tests import builders as b
from tests.engine.helpers import invoices, rows
from tests.orders.shop import api, make_shop

CALLS = 8


def test_eight_orders_at_once_get_eight_distinct_gapless_numbers(engine):
    shop = make_shop(engine)
    with transaction(engine) as conn:
        b.set_config(conn, TaxCustomInvoiceNumbering="on",
                     TaxCustomInvoiceNumberFormat="{YEAR}-{NUMBER}", TaxNextCustomInvoiceNumber=100)
        # half the calls order for one client (they wait on its lock), half for their own
        clients = [shop.client] * 4 + [b.make_client(conn, currency=shop.currency,
                                                     email=f"c{i}@example.com")
                                       for i in range(4)]
    caller = api(engine)
    start, replies = threading.Barrier(CALLS), [None] * CALLS

    def place(i: int) -> None:
        start.wait()
        replies[i] = caller.json("AddOrder", clientid=str(clients[i]),
                                 paymentmethod="banktransfer", **{
                                     "pid[0]": str(shop.pid), "billingcycle[0]": "monthly"})

    threads = [threading.Thread(target=place, args=(i,)) for i in range(CALLS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert [r["result"] for r in replies] == ["success"] * CALLS, replies
    numbers = sorted(inv["invoicenum"] for inv in invoices(engine))
    assert numbers == [f"2026-{n}" for n in range(100, 100 + CALLS)]
    assert sorted(int(r["invoiceid"]) for r in replies) == sorted(
        inv["id"] for inv in invoices(engine))
    assert len({o["ordernum"] for o in rows(engine, tblorders)}) == CALLS
