"""Money: half-up to 2 places (rules §5.4's r()), stored values as 2-place Decimals."""

from __future__ import annotations

from decimal import Decimal

import pytest

from geninvoices.billing.money import round_money, to_money


@pytest.mark.parametrize("value, expected", [
    ("0.125", "0.13"),    # banker's rounding would give 0.12
    ("0.005", "0.01"),    # banker's rounding would give 0.00
    ("1.005", "1.01"),
    ("0.145", "0.15"),
    ("2.665", "2.67"),
    ("0.0049999", "0.00"),
    ("0.994", "0.99"),
    ("0.995", "1.00"),
    ("-0.125", "-0.13"),  # half away from zero, as PHP's round()
    ("10", "10.00"),
    ("7.1", "7.10"),
])
def test_round_money_half_up(value, expected):
    assert str(round_money(Decimal(value))) == expected


@pytest.mark.parametrize("value, expected", [
    (Decimal("12.5"), "12.50"),
    (Decimal("19.99"), "19.99"),
    (Decimal("3.14159"), "3.14"),
    (Decimal("0.125"), "0.13"),
    (7, "7.00"),
    (0, "0.00"),
    ("19.999", "20.00"),
    ("5", "5.00"),
    ("0.005", "0.01"),
])
def test_to_money(value, expected):
    result = to_money(value)
    assert isinstance(result, Decimal)
    assert str(result) == expected
