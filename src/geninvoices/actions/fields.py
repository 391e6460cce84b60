"""Value types of the read-back actions, as WHMCS's documentation examples show them
(rules §3): integers for ids and counts, money as strings with two decimals, tax rates with
three, dates ``YYYY-MM-DD`` and unset datetimes ``0000-00-00 00:00:00`` on every database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

ZERO_DATE = "0000-00-00"
ZERO_DATETIME = "0000-00-00 00:00:00"


def money(value) -> str:
    return f"{Decimal(value or 0):.2f}"


def rate(value) -> str:
    return f"{Decimal(value or 0):.3f}"


def date(value: dt.date | None) -> str:
    return value.isoformat() if value else ZERO_DATE


def datetime(value: dt.datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else ZERO_DATETIME


def integer(value) -> int:
    return int(value or 0)
