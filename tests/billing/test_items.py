"""decide(): every eligibility and tax judgement, as a table of hand-computed cases
(rules §5.1, §5.4, §5.8)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from geninvoices.billing import items
from geninvoices.billing.kinds import ADDON, DOMAIN, SERVICE
from geninvoices.billing.options import BillingOptions

D = dt.date
M = Decimal
TODAY = D(2026, 3, 20)
OFF, ON = BillingOptions(), BillingOptions(continuous=True)
TAXED = BillingOptions(tax_enabled=True, tax_domains=True)


def item(**kw) -> items.Item:
    base = dict(kind=SERVICE, id=1, userid=1, amount=M("10.00"), cycle="Monthly",
                regdate=D(2026, 1, 1), nextduedate=D(2026, 3, 25),
                nextinvoicedate=D(2026, 3, 25), paymentmethod="bank", status="Active",
                label="Hosting")
    if kw.get("kind") is DOMAIN:
        base["cycle"] = 1
    return items.Item(**{**base, **kw})


def later(day: dt.date) -> dict:
    return {"nextinvoicedate": day, "nextduedate": day}


@pytest.mark.parametrize("kw, options, listed, bill, warns", [
    ({}, OFF, False, True, False),
    (later(D(2026, 4, 3)), OFF, False, True, False),  # today + 14 days
    (later(D(2026, 4, 4)), OFF, False, False, False),
    (later(D(2026, 9, 1)), OFF, True, True, False),  # listed: renewal invoice early
    ({"nextinvoicedate": D(2026, 4, 25)}, OFF, False, False, False),  # unpaid before
    ({"nextinvoicedate": D(2026, 3, 26), "nextduedate": D(2026, 2, 25)}, ON, False, True, False),
    ({"nextinvoicedate": D(2026, 9, 1), "nextduedate": D(2026, 2, 25)}, ON, True, False, False),
    ({"status": "Suspended"}, OFF, False, True, False),
    ({"status": "Pending"}, OFF, False, True, False),
    ({"status": "Pending"}, ON, False, False, False),
    ({"status": "Terminated"}, OFF, False, False, False),
    ({"cycle": "Free Account"}, OFF, False, False, False),
    ({"cycle": "One Time"}, OFF, False, False, False),
    ({"cycle": " one time"}, OFF, False, False, False),  # any case, trimmed
    ({"cycle": "OneTime"}, OFF, False, False, False),  # WHMCS's short words
    ({"cycle": "FREE"}, OFF, False, False, False),
    ({"cycle": "FreeAccount"}, OFF, False, False, True),  # not a stored spelling: bad data
    ({"cycle": "Weekly"}, OFF, False, False, True),
    ({"amount": M("0.00")}, OFF, False, False, False),
    ({"amount": M("-1.00")}, OFF, False, False, True),
    ({"definition_id": 9, "definition_found": False}, OFF, False, False, True),
    ({"cancel_requested": True}, OFF, False, False, False),
    ({"nextduedate": None}, OFF, False, False, False),
    ({"nextinvoicedate": None}, OFF, False, False, False),
    # addons: their service decides too; a name of their own replaces tbladdons
    ({"kind": ADDON}, OFF, False, True, False),
    ({"kind": ADDON, "parent_status": None}, OFF, False, False, False),
    ({"kind": ADDON, "parent_status": "Terminated"}, OFF, False, False, False),
    ({"kind": ADDON, "parent_status": "Cancelled"}, OFF, False, False, False),
    ({"kind": ADDON, "cancel_requested": True}, OFF, False, False, False),
    ({"kind": ADDON, "definition_id": 4, "definition_found": False, "label": ""}, OFF,
     False, False, True),
    ({"kind": ADDON, "definition_id": 4, "definition_found": False}, OFF, False, True, False),
    # domains: Active only, never donotrenew, periods in years
    ({"kind": DOMAIN}, OFF, False, True, False),
    ({"kind": DOMAIN, "status": "Pending"}, OFF, False, False, False),
    ({"kind": DOMAIN, "status": "Suspended"}, OFF, False, False, False),
    ({"kind": DOMAIN, "donotrenew": True}, OFF, False, False, False),
    ({"kind": DOMAIN, "cycle": 0}, OFF, False, False, True),
    ({"kind": DOMAIN, "cycle": 11}, OFF, False, False, True),
])
def test_decide(kw, options, listed, bill, warns):
    decision = items.decide(item(**kw), TODAY, options, listed=listed, client_pays_tax=False)
    assert decision.bill is bill and bool(decision.warning) is warns


@pytest.mark.parametrize("kw, options, client_pays_tax, taxed", [
    ({"tax_flag": True}, TAXED, True, True),
    ({"tax_flag": False}, TAXED, True, False),
    ({"tax_flag": True}, TAXED, False, False),  # tax off or the client exempt
    ({"kind": ADDON, "tax_flag": True}, TAXED, True, True),
    ({"kind": DOMAIN}, TAXED, True, True),  # TaxDomains, not a product flag
    ({"kind": DOMAIN, "tax_flag": True}, BillingOptions(tax_enabled=True), True, False),
])
def test_tax_flag_of_the_line(kw, options, client_pays_tax, taxed):
    decision = items.decide(item(**kw), TODAY, options, client_pays_tax=client_pays_tax)
    assert decision.bill and decision.taxed is taxed


@pytest.mark.parametrize("enabled, exempt, pays", [
    (True, False, True), (True, True, False), (False, False, False), (False, True, False)])
def test_pays_tax(enabled, exempt, pays):
    assert items.pays_tax(enabled, exempt) is pays


def test_lead_days_per_cycle_and_for_domains():
    options = BillingOptions(lead_days=5, cycle_lead_days={"Annually": 40}, domain_lead_days=60)
    decide = lambda i: items.decide(i, TODAY, options, client_pays_tax=False).bill  # noqa: E731
    assert decide(item(cycle="Annually", **later(D(2026, 4, 29))))
    assert not decide(item(**later(D(2026, 3, 26))))
    assert decide(item(kind=DOMAIN, **later(D(2026, 5, 19))))
    assert not decide(item(kind=DOMAIN, **later(D(2026, 5, 20))))


def test_warnings_name_the_item():
    bad = item(kind=ADDON, id=7, userid=3, cycle="Weekly")
    decision = items.decide(bad, TODAY, OFF, client_pays_tax=False)
    assert items.warning_text(bad, decision.warning) == \
        "addon 7 (client 3) skipped: unknown billing cycle 'Weekly'"
