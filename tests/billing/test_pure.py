"""The pure parts of the engine, as tables of hand-computed cases (spec 5.2 to 5.4)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from geninvoices.billing import cycles, describe, items, numbering, plan, tax
from geninvoices.billing.due import Client
from geninvoices.billing.money import round_money, to_money
from geninvoices.billing.options import BillingOptions, is_on

D = dt.date
M = Decimal


@pytest.mark.parametrize("cycle, months", [
    ("Monthly", 1), ("Quarterly", 3), ("Semi-Annually", 6), ("Annually", 12),
    ("Biennially", 24), ("Triennially", 36)])
def test_cycle_months(cycle, months):
    assert cycles.cycle_months(cycle) == months


@pytest.mark.parametrize("cycle", ["Free Account", "One Time", "", "Weekly", "monthly",
                                   "Semiannually"])
def test_unknown_cycles(cycle):
    with pytest.raises(cycles.UnknownCycle):
        cycles.cycle_months(cycle)


@pytest.mark.parametrize("years, months", [(1, 12), (2, 24), (10, 120)])
def test_domain_months(years, months):
    assert cycles.domain_months(years) == months


@pytest.mark.parametrize("years", [0, -1, 11])
def test_bad_registration_periods(years):
    with pytest.raises(cycles.UnknownCycle):
        cycles.domain_months(years)


@pytest.mark.parametrize("start, months, regdate, expected", [
    # ordinary days keep their day
    (D(2026, 1, 15), 1, D(2026, 1, 15), D(2026, 2, 15)),
    (D(2026, 1, 15), 3, None, D(2026, 4, 15)),
    (D(2026, 11, 15), 3, None, D(2027, 2, 15)),
    (D(2026, 3, 1), 36, D(2026, 3, 1), D(2029, 3, 1)),
    # a month end goes back to a later registration day
    (D(2026, 1, 31), 1, D(2026, 1, 31), D(2026, 2, 28)),
    (D(2026, 2, 28), 1, D(2026, 1, 31), D(2026, 3, 31)),
    (D(2026, 3, 31), 1, D(2026, 1, 31), D(2026, 4, 30)),
    (D(2026, 4, 30), 1, D(2026, 1, 31), D(2026, 5, 31)),
    (D(2028, 1, 31), 1, D(2028, 1, 31), D(2028, 2, 29)),  # leap year
    (D(2028, 2, 29), 1, D(2028, 1, 31), D(2028, 3, 31)),
    (D(2026, 1, 30), 1, D(2026, 1, 30), D(2026, 2, 28)),
    (D(2026, 2, 28), 1, D(2026, 1, 30), D(2026, 3, 30)),
    (D(2026, 2, 28), 1, D(2026, 2, 28), D(2026, 3, 28)),  # registered on the 28th: stays
    (D(2026, 2, 28), 1, None, D(2026, 3, 28)),  # no regdate: the date's own day
    (D(2026, 8, 31), 6, D(2025, 8, 31), D(2027, 2, 28)),
    (D(2027, 2, 28), 6, D(2025, 8, 31), D(2027, 8, 31)),
    (D(2024, 2, 29), 12, D(2024, 2, 29), D(2025, 2, 28)),
    (D(2025, 2, 28), 12, D(2024, 2, 29), D(2026, 2, 28)),  # the 29th is past Feb 28's end
    (D(2026, 4, 30), 1, D(2026, 4, 15), D(2026, 5, 30)),  # regdate day earlier: own day
])
def test_advance_with_the_month_end_rule(start, months, regdate, expected):
    assert cycles.advance(start, months, regdate) == expected


def test_period_end_is_the_day_before_the_next_start():
    assert cycles.period_end(D(2026, 1, 31), D(2026, 2, 28)) == D(2026, 2, 27)


@pytest.mark.parametrize("fmt, expected", [
    ("DD/MM/YYYY", "05/03/2026"), ("DD.MM.YYYY", "05.03.2026"), ("DD-MM-YYYY", "05-03-2026"),
    ("MM/DD/YYYY", "03/05/2026"), ("YYYY/MM/DD", "2026/03/05"), ("YYYY-MM-DD", "2026-03-05"),
    ("", "05/03/2026"), ("nonsense", "05/03/2026")])
def test_date_formats(fmt, expected):
    assert describe.format_date(D(2026, 3, 5), fmt) == expected


@pytest.mark.parametrize("build, expected", [
    (lambda: describe.service_description("Shared Hosting", "example.com", D(2026, 1, 1),
                                          D(2026, 1, 31), "DD/MM/YYYY"),
     "Shared Hosting - example.com (01/01/2026 - 31/01/2026)"),
    (lambda: describe.service_description("VPS", "  ", D(2026, 1, 1), D(2026, 1, 31),
                                          "YYYY-MM-DD"),
     "VPS (2026-01-01 - 2026-01-31)"),
    (lambda: describe.domain_description("example.com", 1, D(2026, 1, 1), D(2026, 12, 31),
                                         "DD/MM/YYYY"),
     "Domain Renewal - example.com - 1 Year/s (01/01/2026 - 31/12/2026)"),
    (lambda: describe.addon_description("Daily Backups", D(2026, 1, 1), D(2026, 1, 31),
                                        "MM/DD/YYYY"),
     "Daily Backups (01/01/2026 - 01/31/2026)"),
])
def test_descriptions(build, expected):
    assert build() == expected


@pytest.mark.parametrize("value, expected", [
    ("0.125", "0.13"), ("0.005", "0.01"), ("0.004", "0.00"), ("2.675", "2.68"),
    ("-0.125", "-0.13"), ("10", "10.00")])
def test_round_half_up(value, expected):
    assert round_money(M(value)) == M(expected) and str(round_money(M(value))) == expected


def test_to_money_from_driver_values():
    assert to_money(3) == M("3.00") and to_money("9.9") == M("9.90")
    assert to_money(M("1.005")) == M("1.01")


def rule(level, rate, country="", state=""):
    return tax.TaxRule(level, "T", country, state, M(rate))


def exclusive(lines, r1=None, r2=None, compound=False):
    return tax.compute_tax(lines, r1, r2, inclusive=False, compound=compound)


def inclusive(lines, r1=None, r2=None, compound=False):
    return tax.compute_tax(lines, r1, r2, inclusive=True, compound=compound)


@pytest.mark.parametrize("result, subtotal, tax1, tax2", [
    # the spec's fixed points
    (exclusive([(M("10.00"), True), (M("5.00"), True)], rule(1, "20")), "15.00", "3.00", "0.00"),
    (exclusive([(M("10.05"), True)], rule(1, "10")), "10.05", "1.01", "0.00"),
    (exclusive([(M("10.00"), True)], rule(1, "20"), rule(2, "5"), compound=True),
     "10.00", "2.00", "0.60"),
    (exclusive([(M("1.14"), True)], rule(1, "8.5"), rule(2, "12.5"), compound=True),
     "1.14", "0.10", "0.16"),
    (inclusive([(M("12.00"), True)], rule(1, "20")), "10.00", "2.00", "0.00"),
    (inclusive([(M("120.00"), True)], rule(1, "10"), rule(2, "10")), "100.00", "10.00", "10.00"),
    # two levels, not compound: both on the taxed sum
    (exclusive([(M("10.00"), True)], rule(1, "20"), rule(2, "5")), "10.00", "2.00", "0.50"),
    # untaxed lines count in the subtotal only
    (exclusive([(M("10.00"), True), (M("7.00"), False)], rule(1, "20")), "17.00", "2.00",
     "0.00"),
    (inclusive([(M("12.00"), True), (M("5.00"), False)], rule(1, "20")), "15.00", "2.00",
     "0.00"),
    # inclusive compound: N = 126 / (1.2 * 1.05) = 100
    (inclusive([(M("126.00"), True)], rule(1, "20"), rule(2, "5"), compound=True),
     "100.00", "20.00", "6.00"),
    # no rule, or nothing taxed: no tax
    (exclusive([(M("10.00"), True)]), "10.00", "0.00", "0.00"),
    (exclusive([(M("10.00"), False)], rule(1, "20")), "10.00", "0.00", "0.00"),
    # inclusive rounding never makes a tax negative: 0.01 at 20% has net 0.01
    (inclusive([(M("0.01"), True)], rule(1, "20")), "0.01", "0.00", "0.00"),
])
def test_tax(result, subtotal, tax1, tax2):
    assert (result.subtotal, result.tax, result.tax2) == (M(subtotal), M(tax1), M(tax2))
    assert result.tax >= 0 and result.tax2 >= 0


def test_tax_rates_are_recorded():
    result = exclusive([(M("10"), True)], rule(1, "20.000"), rule(2, "5.5"))
    assert (result.taxrate, result.taxrate2) == (M("20.000"), M("5.5"))
    assert exclusive([(M("10"), True)]).taxrate == 0


RULES = [rule(1, "10"), rule(1, "20", "GB"), rule(1, "30", "us", "CA"), rule(2, "1", "", "TX"),
         rule(1, "40", "US")]


@pytest.mark.parametrize("country, state, level, expected", [
    ("GB", "", 1, "20"), ("gb", "London", 1, "20"), ("US", "CA", 1, "30"),
    ("US", "ca", 1, "30"), ("US", "NY", 1, "40"), ("FR", "", 1, "10"),
    ("US", "TX", 2, "1"), ("US", "NY", 2, None), ("FR", "", 2, None)])
def test_most_specific_rule(country, state, level, expected):
    found = tax.pick_rule(RULES, level, country, state)
    assert (found.rate if found else None) == (M(expected) if expected else None)


@pytest.mark.parametrize("fmt, number, expected", [
    ("{NUMBER}", 7, "7"), ("", 12, "12"), ("INV-{YEAR}-{NUMBER}", 1, "INV-2026-1"),
    ("{YEAR}{MONTH}{DAY}-{NUMBER}", 1000, "20260305-1000")])
def test_invoice_number_formats(fmt, number, expected):
    assert numbering.format_invoice_number(fmt, number, D(2026, 3, 5)) == expected


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
