"""What may be billed (rules §5.1): an item as loaded, and the one decision about it.

An ``Item`` holds facts only, read by ``due``; ``decide()`` makes every eligibility and tax
judgement, by the rules of the item's kind (``kinds``). It is a pure function of the item,
today and the options.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from . import cycles
from .kinds import Kind
from .options import BillingOptions


@dataclass(slots=True)
class Item:
    """Read-only by convention: ``dataclasses.replace`` makes a changed copy. (Not frozen:
    a frozen dataclass's constructor costs four times as much, and a run makes one per
    item it reads.)"""

    kind: Kind
    id: int
    userid: int
    amount: Decimal  # the recurring amount as stored
    cycle: str | int  # billingcycle as stored; a domain's registrationperiod in years
    regdate: dt.date | None  # anchors month ends (rules §5.2)
    nextduedate: dt.date | None
    nextinvoicedate: dt.date | None
    paymentmethod: str
    status: str
    label: str  # product name, addon name or domain name
    domain: str = ""
    tax_flag: bool = False  # the product's or addon's own tax setting
    definition_id: int = 0  # the tblproducts / tbladdons row it points at
    definition_found: bool = True
    cancel_requested: bool = False  # a service's own, or an addon's parent's
    parent_status: str | None = ""  # addons: their service's status; None when it is gone
    donotrenew: bool = False
    # billable items (rules §5.9): cycle is their recurcycle, regdate their first due date
    action: int = 0  # invoiceaction
    every: int = 0  # recur: how many recurcycles one period lasts
    recurfor: int = 0
    invoicecount: int = 0
    stored_duedate: dt.date | None = None  # their duedate as stored (unset stays unset)
    # recurring promotions (rules §5.10): services and domains
    promoid: int = 0

    @property
    def period(self) -> tuple[str, int, dt.date | None]:
        """(kind, id, start) of the period it would bill next: the ledger's key."""
        return (self.kind.type, self.id, self.nextinvoicedate)

    def next_start(self, start: dt.date) -> dt.date:
        return self.kind.next_start(self, start)

    def description(self, start: dt.date, next_start: dt.date, fmt: str) -> str:
        end = cycles.period_end(start, next_start)
        return self.kind.describe(self, start, end, fmt)


@dataclass(frozen=True)
class Decision:
    bill: bool
    taxed: bool = False  # tblinvoiceitems.taxed of its line
    warning: str = ""  # bad data: skipped and reported (rules §5.8)


SKIP = Decision(False)


def pays_tax(tax_enabled: bool, taxexempt: bool) -> bool:
    """Whether a client's invoices are taxed at all (rules §5.4)."""
    return tax_enabled and not taxexempt


def decide(item: Item, today: dt.date, options: BillingOptions, *, client_pays_tax: bool,
           listed: bool = False) -> Decision:
    kind = item.kind
    if not kind.eligible_status(item.status, options.continuous) or kind.never_billed(item):
        return SKIP
    if problem := kind.missing(item) or _negative(item) or kind.check_cycle(item):
        return Decision(False, warning=problem)
    if item.amount == 0 or item.nextduedate is None or item.nextinvoicedate is None:
        return SKIP
    if not kind.is_due(item, today, options, listed):
        return SKIP
    return Decision(True, taxed=client_pays_tax and kind.taxed(item, options))


def _negative(item: Item) -> str:
    return f"negative amount {item.amount}" if item.amount < 0 else ""


def warning_text(item: Item, problem: str) -> str:
    return f"{item.kind.noun} {item.id} (client {item.userid}) skipped: {problem}"
