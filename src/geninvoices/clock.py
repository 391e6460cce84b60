"""The calendar, read at the edges (rules §5): the actions, the runs, the documents and the
command line ask here what day it is. ``billing`` never reads the clock; it is handed dates.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from .config import Settings


def today_in(settings: Settings) -> dt.date:
    """Today in the configured zone (rules §5), or the server's local zone when none is set."""
    if settings.testing and settings.test_today is not None:
        return settings.test_today
    if settings.timezone:
        return dt.datetime.now(ZoneInfo(settings.timezone)).date()
    return dt.date.today()


def utcnow() -> dt.datetime:
    """Now in UTC, without a zone, in whole seconds: ``created_at``, ``updated_at`` and the
    other times of a row, as WHMCS writes them."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def utcnow_exact() -> dt.datetime:
    """Now in UTC, without a zone, to the microsecond: the lockout's failed logins, which
    several may share a second and whose window is counted from them."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)
