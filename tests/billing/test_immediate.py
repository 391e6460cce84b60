"""billing/immediate.py:bill_items, the engine's "bill exactly these items now" (rules §13):
one row per case, on every backend, through the engine's own planning, tax, credit, payment
and ledger code."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from geninvoices.billing.immediate import Charge, bill_items
from geninvoices.billing.kinds import DOMAIN, SERVICE
from geninvoices.billing.promotions import Priced
from geninvoices.billing.run import start_run
from geninvoices.db import transaction
from geninvoices.errors import BusinessError
from tests import builders as b
from tests.engine.helpers import config, domain, invoices, ledger, lines, service

DAY = dt.date(2026, 3, 31)
M = Decimal


def world(engine, *, credit="0.00", separate=0, tax=False, cycle="Monthly"):
    with transaction(engine) as conn:
        cid = b.make_client(conn, credit=credit, separateinvoices=separate)
        pid = b.make_product(conn, tax=1)
        sid = b.make_service(conn, client=cid, product=pid, amount="10.00", regdate=DAY,
                             status="Pending", billingcycle=cycle)
        did = b.make_domain(conn, client=cid, domain="shop.com", amount="14.00", regdate=DAY,
                            status="Pending")
        if tax:
            b.set_config(conn, TaxEnabled="on")
            b.make_tax(conn, rate="20.000")
    return cid, sid, did


def bill(engine, cid, charges, **kw):
    with transaction(engine) as conn:
        run = start_run(conn, config(DAY))
        return bill_items(conn, run, cid, charges, **kw)


def charges(sid, did):
    return [Charge(SERVICE, sid, Priced(M("15.00"))),
            Charge(DOMAIN, did, Priced(M("12.00")), registration=True)]


CASES = {
    # name: (world options, bill options, (invoices, totals, credit used, service due date))
    "pending items, one invoice": ({}, {}, (1, [M("27.00")], [M("0.00")], DAY)),
    "taxed: the product's line only": ({"tax": True}, {}, (1, [M("30.00")], [M("0.00")], DAY)),
    "credit pays it: paid, due dates move (5.7)": (
        {"credit": "30.00"}, {}, (1, [M("0.00")], [M("27.00")], dt.date(2026, 4, 30))),
    "separate invoices kept": ({"separate": 1}, {}, (2, [M("15.00"), M("12.00")],
                                                     [M("0.00")] * 2, DAY)),
    "one invoice asked for": ({"separate": 1}, {"one_invoice": True},
                              (1, [M("27.00")], [M("0.00")], DAY)),
}


@pytest.mark.parametrize("name", CASES)
def test_bill_items(engine, name):
    made, options, (count, totals, credit, due) = CASES[name]
    cid, sid, did = world(engine, **made)
    written = bill(engine, cid, charges(sid, did), **options)
    assert len(written) == count == len(invoices(engine))
    assert [inv["total"] for inv in invoices(engine)] == totals
    assert [inv["credit"] for inv in invoices(engine)] == credit
    assert service(engine, sid)["nextinvoicedate"] == dt.date(2026, 4, 30)  # month end kept
    assert domain(engine, did)["nextinvoicedate"] == dt.date(2027, 3, 31)
    assert service(engine, sid)["nextduedate"] == due
    assert {(r["kind"], r["relid"]) for r in ledger(engine)} == {("Hosting", sid),
                                                                 ("Domain", did)}
    assert [ln["description"].split(" (")[0] for ln in lines(engine)
            if ln["type"] == "Domain"] == ["Domain Registration - shop.com - 1 Year/s"]


def test_a_period_the_ledger_holds_is_not_billed_again(engine):
    cid, sid, did = world(engine)
    bill(engine, cid, charges(sid, did))
    with transaction(engine) as conn:  # as if the dates had not moved
        conn.execute(SERVICE.table.update().values(nextinvoicedate=DAY))
    assert bill(engine, cid, [Charge(SERVICE, sid, Priced(M("15.00")))]) == []
    assert len(invoices(engine)) == 1


def test_an_unknown_cycle_writes_nothing(engine):
    cid, sid, did = world(engine, cycle="Weekly")
    with pytest.raises(BusinessError, match="unknown billing cycle"):
        bill(engine, cid, charges(sid, did))
    assert invoices(engine) == [] and ledger(engine) == []
