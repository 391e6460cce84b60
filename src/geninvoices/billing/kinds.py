"""The kinds of item a run bills, and every rule that differs between them (rules §5.1 to §5.3).

One frozen record per kind says its table and columns, which statuses may be billed, how
long its cycle is and from which date month ends are anchored, whether its line is taxed,
what blocks it, and how its line reads. Every step reads these records: the queries narrow
by them (``due``), ``items.decide`` judges by them, the payment rule advances dates through
them and lines are described by them. A WHMCS rule that differs per kind is changed here,
with its row in ``tests/billing/test_kinds.py``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Table, and_, bindparam, false, or_, update
from sqlalchemy.sql import ColumnElement

from ..models.whmcs import tblbillableitems, tbldomains, tblhosting, tblhostingaddons
from . import bulk, cycles, describe
from .options import BillingOptions

if TYPE_CHECKING:
    from .items import Item

# Cycles WHMCS never invoices again after the first order (rules §5.1): the one-off cycles
# as stored or in their short words, in any case (lower-cased here)
NEVER_CYCLES = frozenset({name.lower() for name in cycles.ONE_OFF_CYCLES}
                         | set(cycles.ONE_OFF_SHORT))
# The service statuses under which an addon is never billed (rules §5.1)
PARENT_GONE = frozenset({"Cancelled", "Terminated"})
EARLIEST = dt.date(1000, 1, 1)  # below it: NULL or WHMCS's zero date, i.e. unset


def in_window(column, limit: dt.date) -> ColumnElement:
    return and_(column >= EARLIEST, column <= limit)


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
    promo_type: str = ""  # tblinvoiceitems.type of its promotion's discount line (§5.10)
    amount_column: str = ""  # the recurring amount a spent promotion resets (§5.10)

    def narrow(self, ids: tuple[int, ...] | None, limit: dt.date) -> ColumnElement:
        """The SQL that only narrows what is loaded: the listed ids (None: not listing) or
        the date window, and the statuses this kind may ever bill. ``items.decide`` judges."""
        t = self.table
        chosen = t.c.id.in_(ids) if ids is not None else in_window(t.c.nextinvoicedate, limit)
        return and_(t.c[self.status_column].in_(self.statuses), chosen)

    def eligible_status(self, status: str, continuous: bool) -> bool:
        # Pending is billed only while Continuous Invoice Generation is off (rules §5.1)
        return status in self.statuses and not (continuous and status == "Pending")

    def check_cycle(self, item: Item) -> str:
        """Bad data in the cycle (rules §5.8): '' when it can be billed."""
        try:
            self.months(item.cycle)
        except cycles.UnknownCycle:
            return self.bad_cycle(item)
        return ""

    def is_due(self, item: Item, today: dt.date, options: BillingOptions,
               listed: bool) -> bool:
        paid_up = item.nextinvoicedate == item.nextduedate
        if not options.continuous and not paid_up:
            return False  # something invoiced earlier is still unpaid
        if listed and paid_up:
            return True  # "create a renewal invoice early" for an item asked for by id (§4)
        lead = self.lead_days(item, options)
        return item.nextinvoicedate <= today + dt.timedelta(days=lead)

    def next_start(self, item: Item, start: dt.date) -> dt.date:
        return self.advance(start, item.cycle, item.regdate)

    def dated(self, item: Item, today: dt.date) -> Item:
        """The item with the period start it is billed from when it stores none."""
        return item

    def move_past(self, conn: Connection, moves: list[tuple[Item, dt.date, dt.date]]):
        """Move each item's next invoice date from its billed period's start to the next,
        only where it still stands there: one statement for all of them (``bulk``)."""
        bulk.move_dates(conn, self.table, [(item.id, old, new) for item, old, new in moves])

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


class BillableKind(Kind):
    """WHMCS's billable items (rules §5.9): one-off or recurring charges with an invoice
    action instead of a status, counted by ``invoicecount`` instead of dated periods."""

    def narrow(self, ids: tuple[int, ...] | None, limit: dt.date) -> ColumnElement:
        if ids is not None:
            return false()  # they have no id array in GenInvoices: a listing leaves them
        b = self.table
        # an unset due date is loaded too, to be reported as bad data (rules §5.8)
        due = or_(in_window(b.c.duedate, limit), b.c.duedate.is_(None),
                  b.c.duedate < EARLIEST)
        return or_(and_(b.c.invoiceaction == NEXT_CRON, b.c.invoicecount == 0),
                   and_(b.c.invoiceaction == ON_DUE_DATE, b.c.invoicecount == 0, due),
                   and_(b.c.invoiceaction == RECUR, due,
                        or_(b.c.recurfor == 0, b.c.invoicecount < b.c.recurfor)))

    def eligible_status(self, status: str, continuous: bool) -> bool:
        return True

    def dated(self, item: Item, today: dt.date) -> Item:
        # without a due date, a nextcron item bills today; a nextinvoice item takes the due
        # date of the invoice it joins, known only once that is planned (today until then)
        if item.stored_duedate is None and item.action in (NEXT_CRON, NEXT_INVOICE):
            return dataclasses.replace(item, nextinvoicedate=today, nextduedate=today)
        return item

    def never_billed(self, item: Item) -> str:
        if item.action not in BILLED_ACTIONS:
            return "not invoiced by a run"
        if item.action in (NEXT_CRON, ON_DUE_DATE, NEXT_INVOICE) and item.invoicecount > 0:
            return "already invoiced"
        if item.action == RECUR and 0 < item.recurfor <= item.invoicecount:
            return f"recurred {item.invoicecount} of {item.recurfor} times"
        return ""

    def check_cycle(self, item: Item) -> str:
        if item.action in (ON_DUE_DATE, RECUR) and item.stored_duedate is None:
            return "no due date"
        if item.action != RECUR:
            return ""
        if item.cycle not in RECUR_CYCLES or item.every <= 0:
            return f"unknown recurrence every {item.every} {item.cycle!r}"
        return ""

    def is_due(self, item: Item, today: dt.date, options: BillingOptions,
               listed: bool) -> bool:
        if item.action in (NEXT_CRON, NEXT_INVOICE):
            return True  # the next run that bills the client takes it
        return item.nextinvoicedate <= today + dt.timedelta(days=options.lead_days)

    def next_start(self, item: Item, start: dt.date) -> dt.date:
        if item.action != RECUR:
            return start
        unit = RECUR_CYCLES[item.cycle]
        if unit == "days":
            return start + dt.timedelta(days=item.every)
        if unit == "weeks":
            return start + dt.timedelta(weeks=item.every)
        months = item.every * (12 if unit == "years" else 1)
        return cycles.advance(start, months, item.regdate)

    def taxed(self, item: Item, options: BillingOptions) -> bool:
        return options.tax_billable_items

    def describe(self, item: Item, start: dt.date, end: dt.date, fmt: str) -> str:
        return item.label  # as stored

    def move_past(self, conn: Connection, moves: list[tuple[Item, dt.date, dt.date]]):
        # a one-off item keeps its stored due date (unset stays unset); a recurring one moves
        b = self.table
        conn.execute(update(b).where(b.c.id == bindparam("b_id"),
                                     b.c.invoicecount == bindparam("b_count"))
                     .values(invoicecount=bindparam("b_count") + 1, duedate=bindparam("b_new")),
                     [{"b_id": item.id, "b_count": item.invoicecount,
                       "b_new": next_start if item.action == RECUR else item.stored_duedate}
                      for item, _, next_start in moves])


SERVICE_STATUSES = ("Active", "Suspended", "Pending")
# tblbillableitems.invoiceaction (rules §5.9): AddBillableItem's words, stored as numbers
NO_INVOICE, NEXT_CRON, NEXT_INVOICE, ON_DUE_DATE, RECUR = range(5)
BILLED_ACTIONS = (NEXT_CRON, NEXT_INVOICE, ON_DUE_DATE, RECUR)
RECUR_CYCLES = {"Days": "days", "Weeks": "weeks", "Months": "months", "Years": "years"}

SERVICE = ServiceKind("Hosting", "service", 0, tblhosting, "domainstatus", "billingcycle",
                      "regdate", SERVICE_STATUSES, "PromoHosting", "amount")
ADDON = AddonKind("Addon", "addon", 1, tblhostingaddons, "status", "billingcycle", "regdate",
                  SERVICE_STATUSES)
DOMAIN = DomainKind("Domain", "domain", 2, tbldomains, "status", "registrationperiod",
                    "registrationdate", ("Active",), "PromoDomain", "recurringamount")

BILLABLE = BillableKind("Item", "billable item", 3, tblbillableitems, "", "recurcycle", "",
                        (), amount_column="amount")

# the kinds whose periods have a due date that payment moves (rules §5.7)
RECURRING = (SERVICE, ADDON, DOMAIN)
BY_TYPE = {kind.type: kind for kind in RECURRING}
ALL = (*RECURRING, BILLABLE)
