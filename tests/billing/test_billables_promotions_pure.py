"""Billable items' periods and recurring promotions' prices, as tables of hand-computed
cases (rules §5.9, §5.10)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from geninvoices.billing import items, promotions
from geninvoices.billing.kinds import BILLABLE, NEXT_CRON, NEXT_INVOICE, ON_DUE_DATE, RECUR
from geninvoices.billing.mail import Currency
from geninvoices.billing.options import BillingOptions
from tests.billing.test_items import item as service_item

D = dt.date
M = Decimal
TODAY = D(2026, 3, 20)
GBP = Currency(2, "GBP", "£", " GBP")


def billable(**kw) -> items.Item:
    due = kw.pop("duedate", D(2026, 3, 25))
    base = dict(kind=BILLABLE, id=1, userid=1, amount=M("50.00"), cycle="Months",
                regdate=kw.pop("first", due), nextduedate=due, nextinvoicedate=due,
                paymentmethod="", status="", label="Consulting", action=RECUR, every=1,
                stored_duedate=due)
    return items.Item(**{**base, **kw})


@pytest.mark.parametrize("every, cycle, first, start, expected", [
    (1, "Months", D(2028, 1, 31), D(2028, 1, 31), D(2028, 2, 29)),
    (1, "Months", D(2028, 1, 31), D(2028, 2, 29), D(2028, 3, 31)),
    (1, "Months", D(2028, 1, 31), D(2028, 3, 31), D(2028, 4, 30)),
    (1, "Years", D(2028, 2, 29), D(2028, 2, 29), D(2029, 2, 28)),
    (1, "Years", D(2028, 2, 29), D(2031, 2, 28), D(2032, 2, 29)),
    (3, "Months", D(2026, 1, 31), D(2026, 1, 31), D(2026, 4, 30)),
    (10, "Days", D(2026, 2, 25), D(2026, 2, 25), D(2026, 3, 7)),
    (2, "Weeks", D(2026, 12, 25), D(2026, 12, 25), D(2027, 1, 8)),
])
def test_recurring_periods(every, cycle, first, start, expected):
    item = billable(every=every, cycle=cycle, first=first, duedate=start)
    assert item.next_start(start) == expected


@pytest.mark.parametrize("kw, bill, warns", [
    ({"action": NEXT_CRON, "duedate": D(2027, 1, 1)}, True, False),  # any date: next run
    ({"action": NEXT_CRON, "invoicecount": 1}, False, False),
    ({"action": ON_DUE_DATE}, True, False),  # 25 March is within 14 days
    ({"action": ON_DUE_DATE, "duedate": D(2026, 4, 4)}, False, False),
    ({"action": ON_DUE_DATE, "invoicecount": 1}, False, False),
    ({"action": ON_DUE_DATE, "duedate": None}, False, True),
    ({"action": RECUR}, True, False),
    ({"action": RECUR, "recurfor": 6, "invoicecount": 5}, True, False),
    ({"action": RECUR, "recurfor": 6, "invoicecount": 6}, False, False),
    ({"action": RECUR, "recurfor": 0, "invoicecount": 99}, True, False),
    ({"action": RECUR, "cycle": "Fortnights"}, False, True),
    ({"action": RECUR, "every": 0}, False, True),
    ({"action": 0}, False, False),
    ({"action": 7}, False, False),
    ({"amount": M("-5.00")}, False, True),
    ({"action": NEXT_INVOICE}, True, False),
])
def test_decide_billable_items(kw, bill, warns):
    item = billable(**kw)
    item = item.kind.dated(item, TODAY)
    decision = items.decide(item, TODAY, BillingOptions(), client_pays_tax=False)
    assert decision.bill is bill and bool(decision.warning) is warns


def test_nextcron_without_a_date_bills_today():
    item = billable(action=NEXT_CRON, duedate=None)
    assert BILLABLE.dated(item, TODAY).nextinvoicedate == TODAY


@pytest.mark.parametrize("tax_billable_items, pays, taxed", [
    (True, True, True), (False, True, False), (True, False, False)])
def test_tax_billable_items(tax_billable_items, pays, taxed):
    options = BillingOptions(tax_enabled=True, tax_billable_items=tax_billable_items)
    decision = items.decide(billable(), TODAY, options, client_pays_tax=pays)
    assert decision.taxed is taxed


def promo(type_="Percentage", value="10.00", recurring=True, recurfor=0):
    return promotions.Promotion(1, "SAVE10", type_, recurring, M(value), recurfor)


@pytest.mark.parametrize("stored, facts, amount, discount, description, revert", [
    # in force: standard price and a discount that sums to the stored amount
    ("9.00", promotions.PromoFacts(promo(), M("10.00"), 1), "10.00", "-1.00",
     "Promotional Code: SAVE10 - 10% Recurring Discount", None),
    ("7.50", promotions.PromoFacts(promo("Fixed Amount", "2.50"), M("10.00"), 4), "10.00",
     "-2.50", "Promotional Code: SAVE10 - £2.50 GBP Recurring Discount", None),
    ("6.00", promotions.PromoFacts(promo("Price Override", "6.00"), M("10.00"), 1), "10.00",
     "-4.00", "Promotional Code: SAVE10 - £6.00 GBP Price Override", None),
    ("8.75", promotions.PromoFacts(promo(value="12.50"), M("10.00"), 1), "10.00", "-1.25",
     "Promotional Code: SAVE10 - 12.5% Recurring Discount", None),
    # limited to 3 renewals: in force with 3 earlier lines, spent with 4
    ("9.00", promotions.PromoFacts(promo(recurfor=3), M("10.00"), 3), "10.00", "-1.00",
     "Promotional Code: SAVE10 - 10% Recurring Discount", None),
    ("9.00", promotions.PromoFacts(promo(recurfor=3), M("10.00"), 4), "10.00", "0.00", "",
     M("10.00")),
    # nothing to show: not below the standard price, no standard price, not recurring
    ("10.00", promotions.PromoFacts(promo(), M("10.00"), 1), "10.00", "0.00", "", None),
    ("9.00", promotions.PromoFacts(promo(), None, 1), "9.00", "0.00", "", None),
    ("9.00", promotions.PromoFacts(promo(recurring=False), M("10.00"), 1), "9.00", "0.00", "",
     None),
    ("9.00", promotions.PromoFacts(promo("Free Setup"), M("10.00"), 1), "9.00", "0.00", "",
     None),
])
def test_promotion_prices(stored, facts, amount, discount, description, revert):
    priced = promotions.price(service_item(amount=M(stored), promoid=1), facts, GBP)
    assert (priced.amount, priced.discount, priced.description, priced.revert_to) == (
        M(amount), M(discount), description, revert)
    if priced.discount:
        assert priced.amount + priced.discount == M(stored)


def test_a_promotion_that_is_gone_or_spent_without_a_price_warns():
    gone = promotions.price(service_item(promoid=5), promotions.PromoFacts(None, None, 1), GBP)
    assert gone.amount == M("10.00") and "promotion 5 does not exist" in gone.warning
    spent = promotions.price(service_item(promoid=5, amount=M("9.00")),
                             promotions.PromoFacts(promo(recurfor=1), None, 2), GBP)
    assert spent.amount == M("9.00") and spent.revert_to is None and "spent" in spent.warning


@pytest.mark.parametrize("domain, tld", [
    ("example.com", ".com"),
    ("example.co.uk", ".co.uk"),  # all after the FIRST dot, as WHMCS stores the TLD
    (" Example.ORG ", ".org"),  # as stored, trimmed; compared in lower case
    ("xn--bcher-kva.example", ".example"),
    ("localhost", None),
    ("example.", None),
    ("", None),
])
def test_a_domains_extension(domain, tld):
    assert promotions.extension(domain) == tld


@pytest.mark.parametrize("years, column", [
    (1, "msetupfee"), (2, "qsetupfee"), (3, "ssetupfee"), (4, "asetupfee"),
    (5, "bsetupfee"), (6, "monthly"), (7, "quarterly"), (8, "semiannually"),
    (9, "annually"), (10, "biennially"),
    (0, None), (11, None), (-1, None),
])
def test_the_tblpricing_column_of_a_domain_renewal(years, column):
    assert promotions.renewal_column(years) == column
