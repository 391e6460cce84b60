"""Tax (rules §5.4): rule specificity and the exclusive and inclusive formulas, by hand."""

from __future__ import annotations

from decimal import Decimal

import pytest

from geninvoices.billing.tax import TaxResult, TaxRule, compute_tax, pick_rule

M = Decimal


def rule(rate: str, level: int = 1, country: str = "", state: str = "", name: str = "T"):
    return TaxRule(level, name, country, state, M(rate))


def lines(*amounts):
    """'10.00' is a taxed line; ('5.00', False) is an untaxed one."""
    return [(M(a), True) if isinstance(a, str) else (M(a[0]), a[1]) for a in amounts]


def result(subtotal, tax, tax2, rate1="0", rate2="0"):
    return TaxResult(M(subtotal), M(tax), M(tax2), M(rate1), M(rate2))


@pytest.mark.parametrize("amounts, r1, r2, compound, expected", [
    # spec fixed points
    (("10.00", "5.00"), "20", None, False, result("15.00", "3.00", "0.00", "20")),
    (("10.05",), "10", None, False, result("10.05", "1.01", "0.00", "10")),  # 1.005 half-up
    (("10.00",), "20", "5", True, result("10.00", "2.00", "0.60", "20", "5")),
    (("1.14",), "8.5", "12.5", True, result("1.14", "0.10", "0.16", "8.5", "12.5")),
    # non-compound: level 2 on S, not on S + tax
    (("10.00",), "20", "5", False, result("10.00", "2.00", "0.50", "20", "5")),
    (("1.14",), "8.5", "12.5", False, result("1.14", "0.10", "0.14", "8.5", "12.5")),
    # untaxed lines count in the subtotal only
    (("10.00", ("5.00", False)), "20", None, False, result("15.00", "2.00", "0.00", "20")),
    ((("5.00", False),), "20", "5", True, result("5.00", "0.00", "0.00", "20", "5")),
    # only a level-2 rule applies
    (("10.00",), None, "5", False, result("10.00", "0.00", "0.50", "0", "5")),
])
def test_exclusive(amounts, r1, r2, compound, expected):
    got = compute_tax(lines(*amounts), r1 and rule(r1), r2 and rule(r2, level=2),
                      inclusive=False, compound=compound)
    assert got == expected


@pytest.mark.parametrize("amounts, r1, r2, compound, expected", [
    # spec fixed points
    (("12.00",), "20", None, False, result("10.00", "2.00", "0.00", "20")),
    (("120.00",), "10", "10", False, result("100.00", "10.00", "10.00", "10", "10")),
    # compound: N = 120 / 1.21 = 99.1735..; tax = r(9.917..) = 9.92; tax2 = 120 - 99.17 - 9.92
    (("120.00",), "10", "10", True, result("99.17", "9.92", "10.91", "10", "10")),
    # one level: tax = S - r(N): N = 8.333.. -> 8.33, tax 1.67
    (("10.00",), "20", None, False, result("8.33", "1.67", "0.00", "20")),
    # two levels: tax2 takes the remainder (0.84), not r(N*r2) (0.83)
    (("10.00",), "10", "10", False, result("8.33", "0.83", "0.84", "10", "10")),
    # half-up inside: N = 10.50, tax = r(0.525) = 0.53
    (("11.55",), "5", "5", False, result("10.50", "0.53", "0.52", "5", "5")),
    # half-up on N: 2.01 / 2 = 1.005 -> 1.01, tax = 1.00
    (("2.01",), "100", None, False, result("1.01", "1.00", "0.00", "100")),
    # untaxed lines keep their gross and add to the subtotal untouched
    (("12.00", ("5.00", False)), "20", None, False, result("15.00", "2.00", "0.00", "20")),
    (("120.00", ("30.00", False)), "10", "10", False,
     result("130.00", "10.00", "10.00", "10", "10")),
])
def test_inclusive(amounts, r1, r2, compound, expected):
    got = compute_tax(lines(*amounts), r1 and rule(r1), r2 and rule(r2, level=2),
                      inclusive=True, compound=compound)
    assert got == expected
    gross = sum((M(a) if isinstance(a, str) else M(a[0]) for a in amounts), M(0))
    assert got.subtotal + got.tax + got.tax2 == gross  # total = sum of lines


@pytest.mark.parametrize("inclusive", [False, True])
def test_no_rule_means_no_tax(inclusive):
    got = compute_tax(lines("10.00", ("5.00", False)), None, None,
                      inclusive=inclusive, compound=True)
    assert got == result("15.00", "0.00", "0.00")


def test_rates_are_recorded_as_given():
    got = compute_tax(lines("100.00"), rule("8.50"), rule("12.5", level=2),
                      inclusive=False, compound=False)
    assert (str(got.taxrate), str(got.taxrate2)) == ("8.50", "12.5")


RULES = [
    rule("1", name="everyone"),
    rule("2", country="US", name="US"),
    rule("3", country="US", state="CA", name="US-CA"),
    rule("4", state="TX", name="any-TX"),
    rule("5", country="gb", name="GB"),
    rule("6", level=2, country="GB", name="GB-2"),
    rule("7", level=2, country="GB", state="London", name="GB-London-2"),
]


@pytest.mark.parametrize("level, country, state, expected", [
    (1, "US", "CA", "US-CA"),          # country and state
    (1, "us", "ca", "US-CA"),          # case-insensitive
    (1, "US", "NY", "US"),             # country
    (1, "Us", "", "US"),
    (1, "FR", "", "everyone"),         # all
    (1, "FR", "TX", "any-TX"),         # a state rule for every country matches that state
    (1, "US", "TX", "US"),             # ...but a country rule is more specific
    (1, "GB", "", "GB"),               # rule stored lower-case, client upper-case
    (1, "GB", "London", "GB"),         # level-2 rules never answer for level 1
    (2, "GB", "", "GB-2"),
    (2, "gb", "LONDON", "GB-London-2"),
    (2, "US", "CA", None),             # no level-2 rule for the US
])
def test_pick_rule(level, country, state, expected):
    found = pick_rule(RULES, level, country, state)
    assert (found.name if found else None) == expected
    found_reversed = pick_rule(list(reversed(RULES)), level, country, state)
    assert (found_reversed.name if found_reversed else None) == expected


def test_pick_rule_without_rules():
    assert pick_rule([], 1, "US", "CA") is None
    assert pick_rule([rule("5", country="DE")], 1, "US", "") is None


def test_pick_rule_first_listed_wins_a_tie():
    first, second = rule("5", country="DE", name="first"), rule("7", country="de", name="second")
    assert pick_rule([first, second], 1, "DE", "").name == "first"
