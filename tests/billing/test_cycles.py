"""Billing cycles and the month-end rule (rules §5.2)."""

from __future__ import annotations

import datetime as dt

import pytest

from geninvoices.billing.cycles import (
    CYCLE_MONTHS,
    UnknownCycle,
    advance,
    cycle_months,
    cycle_name,
    domain_months,
    period_end,
)

D = dt.date


@pytest.mark.parametrize("cycle, months", [
    ("Monthly", 1), ("Quarterly", 3), ("Semi-Annually", 6), ("Annually", 12),
    ("Biennially", 24), ("Triennially", 36)])
def test_cycle_months(cycle, months):
    assert cycle_months(cycle) == months


def test_only_six_cycles():
    assert len(CYCLE_MONTHS) == 6


@pytest.mark.parametrize("cycle", [
    "Free Account", "One Time", "", "Weekly", "monthly", "MONTHLY", "Semiannually",
    "Semi-annually", " Monthly", None])
def test_unknown_cycle(cycle):
    with pytest.raises(UnknownCycle):
        cycle_months(cycle)


def test_unknown_cycle_is_a_value_error():
    assert issubclass(UnknownCycle, ValueError)


@pytest.mark.parametrize("years, months", [(1, 12), (2, 24), (3, 36), (5, 60), (10, 120)])
def test_domain_months(years, months):
    assert domain_months(years) == months


@pytest.mark.parametrize("years", [0, -1, 11, 100])
def test_bad_registration_period(years):
    with pytest.raises(UnknownCycle):
        domain_months(years)


@pytest.mark.parametrize("date_, months, regdate, expected", [
    # an ordinary day keeps its day, whatever the cycle
    (D(2026, 1, 15), 1, D(2026, 1, 15), D(2026, 2, 15)),
    (D(2026, 1, 15), 3, D(2026, 1, 15), D(2026, 4, 15)),
    (D(2026, 11, 15), 3, None, D(2027, 2, 15)),
    (D(2026, 1, 15), 6, None, D(2026, 7, 15)),
    (D(2026, 1, 15), 12, None, D(2027, 1, 15)),
    (D(2026, 3, 1), 24, D(2026, 3, 1), D(2028, 3, 1)),
    (D(2026, 3, 1), 36, D(2026, 3, 1), D(2029, 3, 1)),
    # registered on the 31st: back to the 31st after a short month, not drifting to the 28th
    (D(2026, 1, 31), 1, D(2026, 1, 31), D(2026, 2, 28)),
    (D(2026, 2, 28), 1, D(2026, 1, 31), D(2026, 3, 31)),
    (D(2026, 3, 31), 1, D(2026, 1, 31), D(2026, 4, 30)),
    (D(2026, 4, 30), 1, D(2026, 1, 31), D(2026, 5, 31)),
    (D(2026, 11, 30), 3, D(2025, 8, 31), D(2027, 2, 28)),
    (D(2027, 2, 28), 3, D(2025, 8, 31), D(2027, 5, 31)),
    # leap years
    (D(2028, 1, 31), 1, D(2028, 1, 31), D(2028, 2, 29)),
    (D(2028, 2, 29), 1, D(2028, 1, 31), D(2028, 3, 31)),
    (D(2028, 2, 29), 12, D(2028, 2, 29), D(2029, 2, 28)),
    (D(2029, 2, 28), 12, D(2028, 2, 29), D(2030, 2, 28)),
    (D(2031, 2, 28), 12, D(2028, 2, 29), D(2032, 2, 29)),
    # registered on the 30th
    (D(2026, 1, 30), 1, D(2026, 1, 30), D(2026, 2, 28)),
    (D(2026, 2, 28), 1, D(2026, 1, 30), D(2026, 3, 30)),
    (D(2026, 4, 30), 1, D(2026, 1, 30), D(2026, 5, 30)),
    # registered on the 28th: the 28th of February stays on the 28th
    (D(2026, 2, 28), 1, D(2026, 2, 28), D(2026, 3, 28)),
    # the regdate only counts at a month end, and only when later in the month
    (D(2026, 3, 15), 1, D(2026, 1, 31), D(2026, 4, 15)),
    (D(2026, 1, 31), 1, D(2026, 1, 15), D(2026, 2, 28)),
    (D(2026, 2, 28), 1, D(2026, 1, 15), D(2026, 3, 28)),
    # no regdate: the date's own day
    (D(2026, 2, 28), 1, None, D(2026, 3, 28)),
    (D(2026, 1, 31), 1, None, D(2026, 2, 28)),
])
def test_advance(date_, months, regdate, expected):
    assert advance(date_, months, regdate) == expected


def test_monthly_walk_from_the_31st():
    regdate = D(2026, 1, 31)
    walk = [regdate]
    for _ in range(7):
        walk.append(advance(walk[-1], 1, regdate))
    assert walk == [D(2026, 1, 31), D(2026, 2, 28), D(2026, 3, 31), D(2026, 4, 30),
                    D(2026, 5, 31), D(2026, 6, 30), D(2026, 7, 31), D(2026, 8, 31)]


@pytest.mark.parametrize("start, next_start, expected", [
    (D(2026, 1, 1), D(2026, 2, 1), D(2026, 1, 31)),
    (D(2026, 1, 31), D(2026, 2, 28), D(2026, 2, 27)),
    (D(2028, 2, 1), D(2028, 3, 1), D(2028, 2, 29)),
    (D(2026, 1, 1), D(2027, 1, 1), D(2026, 12, 31)),
])
def test_period_end(start, next_start, expected):
    assert period_end(start, next_start) == expected


@pytest.mark.parametrize("written, stored", [
    ("Monthly", "Monthly"), ("monthly", "Monthly"), (" ANNUALLY ", "Annually"),
    ("semiannually", "Semi-Annually"), ("Semi-Annually", "Semi-Annually"),
    ("onetime", "One Time"), ("One Time", "One Time"), ("free", "Free Account"),
    ("freeaccount", "Free Account"), ("Weekly", None), ("", None), ("Month", None),
])
def test_a_cycle_as_callers_write_it_is_named_as_whmcs_stores_it(written, stored):
    assert cycle_name(written) == stored
