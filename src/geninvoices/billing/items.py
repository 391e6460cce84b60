"""What may be billed (spec 5.1): recurring items and the one decision about each of them.

``decide()`` is a pure function of an item, today and the options; the queries that load
items are in ``due.py``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from . import cycles, describe
from .options import BillingOptions

HOSTING, DOMAIN, ADDON = "Hosting", "Domain", "Addon"  # tblinvoiceitems.type
NEVER_CYCLES = {"free account", "one time", "onetime", "free"}
SERVICE_STATUSES = ("Active", "Suspended", "Pending")


@dataclass(frozen=True)
class Item:
    kind: str
    id: int
    userid: int
    amount: Decimal
    billingcycle: str  # as stored; for domains "<n> Year/s"
    years: int  # domains only
    regdate: dt.date | None
    nextduedate: dt.date | None
    nextinvoicedate: dt.date | None
    paymentmethod: str
    status: str
    label: str  # product name, addon name or domain name
    domain: str = ""
    taxable: bool = False
    blocked: str = ""  # a reason WHMCS never bills it (cancellation request, parent gone)
    missing: str = ""  # bad data: the product or addon it points at does not exist

    @property
    def key(self) -> tuple[str, int]:
        return self.kind, self.id

    def months(self) -> int:
        if self.kind == DOMAIN:
            return cycles.domain_months(self.years)
        return cycles.cycle_months(self.billingcycle)

    def next_start(self, start: dt.date) -> dt.date:
        return cycles.advance(start, self.months(), self.regdate)

    def description(self, start: dt.date, next_start: dt.date, fmt: str) -> str:
        end = cycles.period_end(start, next_start)
        if self.kind == HOSTING:
            return describe.service_description(self.label, self.domain, start, end, fmt)
        if self.kind == DOMAIN:
            return describe.domain_description(self.label, self.years, start, end, fmt)
        return describe.addon_description(self.label, start, end, fmt)


@dataclass(frozen=True)
class Decision:
    bill: bool
    warning: str = ""  # bad data: skipped and reported (spec 5.8)


SKIP = Decision(False)


def eligible_status(item: Item, options: BillingOptions) -> bool:
    if item.kind == DOMAIN:
        return item.status == "Active"
    allowed = SERVICE_STATUSES if not options.continuous else SERVICE_STATUSES[:2]
    return item.status in allowed


def decide(item: Item, today: dt.date, options: BillingOptions, *, listed: bool = False) -> Decision:
    if not eligible_status(item, options) or item.blocked:
        return SKIP
    if item.kind != DOMAIN and item.billingcycle.strip().lower() in NEVER_CYCLES:
        return SKIP
    if item.missing:
        return Decision(False, item.missing)
    if item.amount < 0:
        return Decision(False, f"negative amount {item.amount}")
    try:
        item.months()
    except cycles.UnknownCycle:
        what = f"registration period {item.years}" if item.kind == DOMAIN else \
            f"billing cycle {item.billingcycle!r}"
        return Decision(False, f"unknown {what}")
    if item.amount == 0 or item.nextduedate is None or item.nextinvoicedate is None:
        return SKIP
    return Decision(_due(item, today, options, listed))


def _due(item: Item, today: dt.date, options: BillingOptions, listed: bool) -> bool:
    paid_up = item.nextinvoicedate == item.nextduedate
    if not options.continuous and not paid_up:
        return False  # something invoiced earlier is still unpaid
    if listed and paid_up:
        return True  # "create a renewal invoice early" for an item asked for by id
    lead = options.lead_for_domains() if item.kind == DOMAIN else \
        options.lead_for_cycle(item.billingcycle)
    return item.nextinvoicedate <= today + dt.timedelta(days=lead)


def warning_text(item: Item, problem: str) -> str:
    names = {HOSTING: "service", DOMAIN: "domain", ADDON: "addon"}
    return f"{names[item.kind]} {item.id} (client {item.userid}) skipped: {problem}"
