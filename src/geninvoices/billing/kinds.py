"""The kinds of item a run bills, and every rule that differs between them (rules §5.1 to §5.3).

One frozen record per kind says its table and columns, which statuses may be billed, how
long its cycle is and from which date month ends are anchored, whether its line is taxed,
what blocks it, and how its line reads. Every step reads these records: the queries narrow
by them (``due``), ``items.decide`` judges by them, the payment rule advances dates through
them and lines are described by them. A WHMCS rule that differs per kind is changed here,
with its row in ``tests/billing/test_kinds.py``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Table

from ..models.whmcs import tbldomains, tblhosting, tblhostingaddons
from . import cycles, describe
from .options import BillingOptions

if TYPE_CHECKING:
    from .items import Item

# Cycles WHMCS never invoices again after the first order (rules §5.1)
NEVER_CYCLES = frozenset({"free account", "one time", "onetime", "free"})
# The service statuses under which an addon is never billed (rules §5.1)
PARENT_GONE = frozenset({"Cancelled", "Terminated"})


@dataclass(frozen=True)
class Kind:
    type: str  # tblinvoiceitems.type, and the ledger's kind
    noun: str  # how warnings name it
    order: int  # on one invoice: services, then addons, then domains
    table: Table
    status_column: str
    cycle_column: str
    anchor_column: str  # the registration date that anchors month ends (rules §5.2)
    statuses: tuple[str, ...]  # statuses that may be billed

    def eligible_status(self, status: str, continuous: bool) -> bool:
        # Pending is billed only while Continuous Invoice Generation is off (rules §5.1)
        return status in self.statuses and not (continuous and status == "Pending")

    def months(self, cycle: str | int) -> int:
        return cycles.cycle_months(cycle)

    def advance(self, start: dt.date, cycle: str | int, anchor: dt.date | None) -> dt.date:
        """The start of the period after the one that starts on ``start``."""
        return cycles.advance(start, self.months(cycle), anchor)

    def never_billed(self, item: Item) -> str:
        """Why WHMCS never bills this item (not bad data): '' when it may."""
        if item.cancel_requested:
            return "cancellation requested"
        if str(item.cycle).strip().lower() in NEVER_CYCLES:
            return f"billing cycle {item.cycle}"
        return ""

    def missing(self, item: Item) -> str:
        """Bad data (rules §5.8): what it points at does not exist."""
        return ""

    def bad_cycle(self, item: Item) -> str:
        return f"unknown billing cycle {item.cycle!r}"

    def lead_days(self, item: Item, options: BillingOptions) -> int:
        return options.lead_for_cycle(str(item.cycle))

    def taxed(self, item: Item, options: BillingOptions) -> bool:
        return item.tax_flag


class ServiceKind(Kind):
    def missing(self, item: Item) -> str:
        return "" if item.definition_found else f"product {item.definition_id} does not exist"

    def describe(self, item: Item, start: dt.date, end: dt.date, fmt: str) -> str:
        return describe.service_description(item.label, item.domain, start, end, fmt)


class AddonKind(Kind):
    def never_billed(self, item: Item) -> str:
        if item.parent_status is None or item.parent_status in PARENT_GONE \
                or item.cancel_requested:
            return "its service is cancelled, terminated or has a cancellation request"
        return super().never_billed(item)

    def missing(self, item: Item) -> str:
        # an addon with a name of its own needs no tbladdons row (rules §5.3)
        if item.definition_id and not item.definition_found and not item.label:
            return f"addon {item.definition_id} does not exist"
        return ""

    def describe(self, item: Item, start: dt.date, end: dt.date, fmt: str) -> str:
        return describe.addon_description(item.label, start, end, fmt)


class DomainKind(Kind):
    def eligible_status(self, status: str, continuous: bool) -> bool:
        return status in self.statuses

    def months(self, cycle: str | int) -> int:
        return cycles.domain_months(int(cycle or 0))

    def never_billed(self, item: Item) -> str:
        return "do not renew" if item.donotrenew else ""

    def bad_cycle(self, item: Item) -> str:
        return f"unknown registration period {item.cycle}"

    def lead_days(self, item: Item, options: BillingOptions) -> int:
        return options.lead_for_domains()

    def taxed(self, item: Item, options: BillingOptions) -> bool:
        return options.tax_domains  # domains follow TaxDomains, not a product flag

    def describe(self, item: Item, start: dt.date, end: dt.date, fmt: str) -> str:
        return describe.domain_description(item.label, int(item.cycle), start, end, fmt)


SERVICE_STATUSES = ("Active", "Suspended", "Pending")

SERVICE = ServiceKind("Hosting", "service", 0, tblhosting, "domainstatus", "billingcycle",
                      "regdate", SERVICE_STATUSES)
ADDON = AddonKind("Addon", "addon", 1, tblhostingaddons, "status", "billingcycle", "regdate",
                  SERVICE_STATUSES)
DOMAIN = DomainKind("Domain", "domain", 2, tbldomains, "status", "registrationperiod",
                    "registrationdate", ("Active",))

# the kinds whose periods have a due date that payment moves (rules §5.7)
RECURRING = (SERVICE, ADDON, DOMAIN)
BY_TYPE = {kind.type: kind for kind in RECURRING}
