"""Line descriptions and the six WHMCS date formats (rules §5.3)."""

from __future__ import annotations

import datetime as dt

import pytest

from geninvoices.billing.describe import (
    DATE_FORMATS,
    addon_description,
    domain_description,
    format_date,
    service_description,
)

D = dt.date


@pytest.mark.parametrize("fmt, expected", [
    ("DD/MM/YYYY", "07/03/2026"),
    ("DD.MM.YYYY", "07.03.2026"),
    ("DD-MM-YYYY", "07-03-2026"),
    ("MM/DD/YYYY", "03/07/2026"),
    ("YYYY/MM/DD", "2026/03/07"),
    ("YYYY-MM-DD", "2026-03-07"),
    ("", "07/03/2026"),           # empty: the default
    (None, "07/03/2026"),
    ("Y-m-d", "07/03/2026"),      # unknown: the default
    ("DD MM YYYY", "07/03/2026"),
])
def test_format_date(fmt, expected):
    assert format_date(D(2026, 3, 7), fmt) == expected


def test_every_format_is_covered():
    assert set(DATE_FORMATS) == {"DD/MM/YYYY", "DD.MM.YYYY", "DD-MM-YYYY", "MM/DD/YYYY",
                                 "YYYY/MM/DD", "YYYY-MM-DD"}


@pytest.mark.parametrize("name, domain, start, end, fmt, expected", [
    ("Shared Hosting", "example.com", D(2026, 1, 1), D(2026, 1, 31), "DD/MM/YYYY",
     "Shared Hosting - example.com (01/01/2026 - 31/01/2026)"),
    ("VPS", "", D(2026, 1, 1), D(2026, 1, 31), "DD/MM/YYYY",
     "VPS (01/01/2026 - 31/01/2026)"),
    ("VPS", "   ", D(2026, 1, 1), D(2026, 1, 31), "DD/MM/YYYY",
     "VPS (01/01/2026 - 31/01/2026)"),
    ("Shared Hosting", "example.com", D(2026, 2, 28), D(2026, 3, 30), "YYYY-MM-DD",
     "Shared Hosting - example.com (2026-02-28 - 2026-03-30)"),
    ("Reseller", "shop.example.org", D(2026, 12, 5), D(2027, 3, 4), "MM/DD/YYYY",
     "Reseller - shop.example.org (12/05/2026 - 03/04/2027)"),
])
def test_service_description(name, domain, start, end, fmt, expected):
    assert service_description(name, domain, start, end, fmt) == expected


@pytest.mark.parametrize("domain, years, start, end, fmt, expected", [
    ("example.com", 1, D(2026, 1, 1), D(2026, 12, 31), "DD/MM/YYYY",
     "Domain Renewal - example.com - 1 Year/s (01/01/2026 - 31/12/2026)"),
    ("example.net", 2, D(2026, 3, 7), D(2028, 3, 6), "DD.MM.YYYY",
     "Domain Renewal - example.net - 2 Year/s (07.03.2026 - 06.03.2028)"),
])
def test_domain_description(domain, years, start, end, fmt, expected):
    assert domain_description(domain, years, start, end, fmt) == expected


@pytest.mark.parametrize("name, start, end, fmt, expected", [
    ("Daily Backups", D(2026, 1, 1), D(2026, 1, 31), "DD/MM/YYYY",
     "Daily Backups (01/01/2026 - 31/01/2026)"),
    ("Dedicated IP", D(2026, 1, 31), D(2026, 2, 27), "DD-MM-YYYY",
     "Dedicated IP (31-01-2026 - 27-02-2026)"),
    ("SSL", D(2026, 6, 1), D(2027, 5, 31), "YYYY/MM/DD",
     "SSL (2026/06/01 - 2027/05/31)"),
])
def test_addon_description(name, start, end, fmt, expected):
    assert addon_description(name, start, end, fmt) == expected
