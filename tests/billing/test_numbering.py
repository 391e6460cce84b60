"""Custom invoice numbers (rules §5.3): {NUMBER} unpadded, {YEAR} {MONTH} {DAY} of the date."""

from __future__ import annotations

import datetime as dt

import pytest

from geninvoices.billing.numbering import format_invoice_number


@pytest.mark.parametrize("fmt, number, on, expected", [
    ("{NUMBER}", 7, dt.date(2026, 3, 5), "7"),
    ("", 7, dt.date(2026, 3, 5), "7"),                         # empty means {NUMBER}
    ("{NUMBER}", 1000, dt.date(2026, 3, 5), "1000"),
    ("INV-{NUMBER}", 42, dt.date(2026, 3, 5), "INV-42"),
    ("{YEAR}/{NUMBER}", 5, dt.date(2026, 3, 5), "2026/5"),    # not padded
    ("{YEAR}{MONTH}{DAY}-{NUMBER}", 42, dt.date(2026, 3, 5), "20260305-42"),
    ("{DAY}.{MONTH}.{YEAR}", 1, dt.date(2027, 11, 9), "09.11.2027"),
    ("{MONTH}-{NUMBER}", 3, dt.date(2026, 12, 31), "12-3"),
    ("{NUMBER}-{NUMBER}", 3, dt.date(2026, 1, 1), "3-3"),     # every occurrence
    ("FIXED", 3, dt.date(2026, 1, 1), "FIXED"),
])
def test_format_invoice_number(fmt, number, on, expected):
    assert format_invoice_number(fmt, number, on) == expected
