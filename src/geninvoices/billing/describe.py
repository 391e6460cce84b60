"""Invoice line descriptions (rules §5.3), dates in WHMCS's configured DateFormat."""

from __future__ import annotations

import datetime as dt
import functools

DEFAULT_FORMAT = "DD/MM/YYYY"
# WHMCS's DateFormat setting -> a str.format pattern over day (d), month (m) and year (y)
DATE_FORMATS = {
    "DD/MM/YYYY": "{d:02d}/{m:02d}/{y:04d}",
    "DD.MM.YYYY": "{d:02d}.{m:02d}.{y:04d}",
    "DD-MM-YYYY": "{d:02d}-{m:02d}-{y:04d}",
    "MM/DD/YYYY": "{m:02d}/{d:02d}/{y:04d}",
    "YYYY/MM/DD": "{y:04d}/{m:02d}/{d:02d}",
    "YYYY-MM-DD": "{y:04d}-{m:02d}-{d:02d}",
}


def format_date(d: dt.date, fmt: str) -> str:
    """A date in one of WHMCS's six DateFormat values; anything else means the default."""
    pattern = DATE_FORMATS.get((fmt or "").strip(), DATE_FORMATS[DEFAULT_FORMAT])
    return pattern.format(d=d.day, m=d.month, y=d.year)


@functools.lru_cache(maxsize=4096)
def _period(start: dt.date, end: dt.date, fmt: str) -> str:
    # a run describes thousands of lines over the same few periods: each is written once
    return f"({format_date(start, fmt)} - {format_date(end, fmt)})"


def service_description(product_name: str, domain: str, start: dt.date, end: dt.date,
                        fmt: str) -> str:
    name = product_name.strip()
    if domain and domain.strip():
        name = f"{name} - {domain.strip()}"
    return f"{name} {_period(start, end, fmt)}"


def domain_description(domain: str, years: int, start: dt.date, end: dt.date, fmt: str) -> str:
    return f"Domain Renewal - {domain.strip()} - {years} Year/s {_period(start, end, fmt)}"


def addon_description(name: str, start: dt.date, end: dt.date, fmt: str) -> str:
    return f"{name.strip()} {_period(start, end, fmt)}"


def domain_registration_description(domain: str, years: int, start: dt.date, end: dt.date,
                                    fmt: str) -> str:
    """A new registration's first line (an order, rules §13); renewals say Renewal."""
    return f"Domain Registration - {domain.strip()} - {years} Year/s {_period(start, end, fmt)}"
