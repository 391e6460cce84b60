"""Billing cycles and the calendar (rules §5.2): the one module that computes dates.

Each date is advanced from itself by calendar months, clamped to the month's last day. The
month-end rule: when the date being advanced is the last day of its month and the
registration day is later in the month, the registration day is the anchor, so a service
registered on the 31st goes 31 Jan, 28 Feb, 31 Mar, 30 Apr instead of drifting to the 28th.
"""

from __future__ import annotations

import datetime as dt
import functools

from dateutil.relativedelta import relativedelta

CYCLE_MONTHS = {"Monthly": 1, "Quarterly": 3, "Semi-Annually": 6, "Annually": 12,
                "Biennially": 24, "Triennially": 36}
MAX_DOMAIN_YEARS = 10
# The cycles WHMCS stores for what it bills once or never (rules §5.1): valid, not recurring.
ONE_OFF_CYCLES = ("Free Account", "One Time")
# WHMCS's short words for them (AddOrder's `onetime` and `free`), in any case (rules §5.1)
ONE_OFF_SHORT = {"onetime": "One Time", "free": "Free Account"}
CYCLE_NAMES = (*CYCLE_MONTHS, *ONE_OFF_CYCLES)
# how callers of WHMCS's API may spell them: any case, without spaces or hyphens
# (AddOrder's `semiannually`, `onetime`), and WHMCS's short `free` (rules §14)
_SPELLINGS = {name.lower().replace("-", "").replace(" ", ""): name for name in CYCLE_NAMES}
_SPELLINGS.update(ONE_OFF_SHORT)


class UnknownCycle(ValueError):
    """A billing cycle or registration period that is bad data (rules §5.8)."""


def cycle_months(billingcycle: str) -> int:
    # Exactly the six names WHMCS stores; "Free Account", "One Time" and any variant
    # spelling are not recurring cycles, so the caller skips or reports the item.
    try:
        return CYCLE_MONTHS[billingcycle]
    except (KeyError, TypeError):
        raise UnknownCycle(repr(billingcycle)) from None


def cycle_name(text: str) -> str | None:
    """The stored name of the cycle a caller wrote, or None when it names none."""
    return _SPELLINGS.get(text.strip().lower().replace("-", "").replace(" ", ""))


def domain_months(registrationperiod: int) -> int:
    if not 1 <= registrationperiod <= MAX_DOMAIN_YEARS:
        raise UnknownCycle(f"{registrationperiod} years")
    return 12 * registrationperiod


def is_month_end(day: dt.date) -> bool:
    return day == dt.date.max or (day + _ONE_DAY).day == 1


_ONE_DAY = dt.timedelta(days=1)


def advance(date_: dt.date, months: int, regdate: dt.date | None) -> dt.date:
    anchor = date_.day
    if regdate is not None and is_month_end(date_) and regdate.day > date_.day:
        anchor = regdate.day
    return _months_on(date_, months, anchor)


@functools.lru_cache(maxsize=4096)
def _months_on(date_: dt.date, months: int, anchor: int) -> dt.date:
    # relativedelta clamps a day past the month's end to its last day. A run advances
    # thousands of items from the same few dates: remembered, each is computed once.
    return date_ + relativedelta(months=months, day=anchor)


def reach_back(day: dt.date, months: int) -> dt.date:
    """A date before which no period of ``months`` months starts that lasts past ``day``,
    whatever its anchor (a period is at most its months and three days longer than the date
    it starts on: one month more is kept in hand)."""
    return day - relativedelta(months=months + 1)


def days_between(first: dt.date, end: dt.date) -> list[dt.date]:
    """Every day from ``first`` up to, not including, ``end``."""
    return [first + dt.timedelta(days=n) for n in range((end - first).days)]


def period_end(start: dt.date, next_start: dt.date) -> dt.date:
    """The last day of the period that starts on start (rules §5.2)."""
    return next_start - dt.timedelta(days=1)
