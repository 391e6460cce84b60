"""Invoice line descriptions (spec 5.3), dates in WHMCS's configured DateFormat."""

from __future__ import annotations

import datetime as dt

DEFAULT_FORMAT = "DD/MM/YYYY"
DATE_FORMATS = ("DD/MM/YYYY", "DD.MM.YYYY", "DD-MM-YYYY", "MM/DD/YYYY", "YYYY/MM/DD",
                "YYYY-MM-DD")


def format_date(day: dt.date, fmt: str) -> str:
    """A date in one of WHMCS's six DateFormat values; anything else means the default."""
    fmt = (fmt or "").strip().upper()
    if fmt not in DATE_FORMATS:
        fmt = DEFAULT_FORMAT
    return (fmt.replace("YYYY", f"{day.year:04d}").replace("MM", f"{day.month:02d}")
            .replace("DD", f"{day.day:02d}"))


def _period(start: dt.date, end: dt.date, fmt: str) -> str:
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
