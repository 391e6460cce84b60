"""Decisions, settings and credit, as tables of hand-computed cases (spec 5.1, 5.5)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from geninvoices.billing import items, plan
from geninvoices.billing.due import Client
from geninvoices.billing.options import BillingOptions, is_on

D = dt.date
M = Decimal


@pytest.mark.parametrize("value, on", [("on", True), ("1", True), ("yes", True), ("true", True),
                                       ("ON", True), ("", False), (None, False), ("off", False),
                                       ("0", False)])
def test_checkbox_settings(value, on):
    assert is_on(value) is on


def item(**kw):
    base = dict(kind=items.HOSTING, id=1, userid=1, amount=M("10.00"), billingcycle="Monthly",
                years=0, regdate=D(2026, 1, 1), nextduedate=D(2026, 3, 25),
                nextinvoicedate=D(2026, 3, 25), paymentmethod="bank", status="Active",
                label="Hosting")
    return items.Item(**{**base, **kw})


TODAY = D(2026, 3, 20)
OFF, ON = BillingOptions(), BillingOptions(continuous=True)


@pytest.mark.parametrize("kw, options, listed, bill, warns", [
    ({}, OFF, False, True, False),
    ({"nextinvoicedate": D(2026, 4, 3), "nextduedate": D(2026, 4, 3)}, OFF, False, True, False),
    ({"nextinvoicedate": D(2026, 4, 4), "nextduedate": D(2026, 4, 4)}, OFF, False, False, False),
    ({"nextinvoicedate": D(2026, 4, 5), "nextduedate": D(2026, 4, 5)}, OFF, False, False, False),
    ({"nextinvoicedate": D(2026, 9, 1), "nextduedate": D(2026, 9, 1)}, OFF, True, True, False),
    ({"nextinvoicedate": D(2026, 4, 25)}, OFF, False, False, False),  # unpaid before
    ({"nextinvoicedate": D(2026, 3, 26), "nextduedate": D(2026, 2, 25)}, ON, False, True, False),
    ({"nextinvoicedate": D(2026, 9, 1), "nextduedate": D(2026, 2, 25)}, ON, True, False, False),
    ({"status": "Pending"}, OFF, False, True, False),
    ({"status": "Pending"}, ON, False, False, False),
    ({"status": "Terminated"}, OFF, False, False, False),
    ({"billingcycle": "Free Account"}, OFF, False, False, False),
    ({"billingcycle": "One Time"}, OFF, False, False, False),
    ({"billingcycle": "Weekly"}, OFF, False, False, True),
    ({"amount": M("0.00")}, OFF, False, False, False),
    ({"amount": M("-1.00")}, OFF, False, False, True),
    ({"missing": "product 9 does not exist"}, OFF, False, False, True),
    ({"blocked": "cancellation requested"}, OFF, False, False, False),
    ({"nextduedate": None}, OFF, False, False, False),
    ({"kind": items.DOMAIN, "years": 0, "billingcycle": ""}, OFF, False, False, True),
    ({"kind": items.DOMAIN, "years": 1, "status": "Pending"}, OFF, False, False, False),
])
def test_decide(kw, options, listed, bill, warns):
    decision = items.decide(item(**kw), TODAY, options, listed=listed)
    assert decision.bill is bill and bool(decision.warning) is warns


def test_lead_days_per_cycle_and_for_domains():
    options = BillingOptions(lead_days=5, cycle_lead_days={"Annually": 40}, domain_lead_days=60)
    assert items.decide(item(billingcycle="Annually", nextduedate=D(2026, 4, 29),
                             nextinvoicedate=D(2026, 4, 29)), TODAY, options).bill
    assert not items.decide(item(nextduedate=D(2026, 3, 26), nextinvoicedate=D(2026, 3, 26)),
                            TODAY, options).bill
    assert items.decide(item(kind=items.DOMAIN, years=1, nextduedate=D(2026, 5, 19),
                             nextinvoicedate=D(2026, 5, 19)), TODAY, options).bill


def client(**kw):
    base = dict(id=1, firstname="A", lastname="B", companyname="", email="a@b", country="GB",
                state="", currency=1, credit=M("0.00"), taxexempt=False, separateinvoices=False,
                defaultgateway="")
    return Client(**{**base, **kw})


def test_credit_pays_in_creation_order_as_far_as_it_goes():
    lines = [plan.make_line(item(id=i, nextinvoicedate=D(2026, 3, 20 + i),
                                 nextduedate=D(2026, 3, 20 + i)), D(2026, 3, 20 + i),
                            client(), OFF) for i in (1, 2, 3)]
    made = plan.plan_client(client(credit=M("15.00")), lines, TODAY, OFF, [])
    assert [(i.credit, i.total, i.paid_by_credit) for i in made.invoices] == [
        (M("10.00"), M("0.00"), True), (M("5.00"), M("5.00"), False), (M("0"), M("10.00"), False)]
