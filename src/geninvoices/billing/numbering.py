"""Invoice number formats (spec 5.3, 5.7): {NUMBER} (not padded), {YEAR}, {MONTH}, {DAY}."""

from __future__ import annotations

import datetime as dt


def format_invoice_number(fmt: str, number: int, on: dt.date) -> str:
    fmt = fmt or "{NUMBER}"
    return (fmt.replace("{NUMBER}", str(number)).replace("{YEAR}", f"{on.year:04d}")
            .replace("{MONTH}", f"{on.month:02d}").replace("{DAY}", f"{on.day:02d}"))
