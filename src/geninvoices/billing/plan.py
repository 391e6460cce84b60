"""Compute first, write second: a client's new invoices, not yet saved (rules §5.3 to §5.5).

Pure functions of the client, the periods to bill, today and the options.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from .due import Client
from .items import Item, pays_tax
from .money import round_money
from .promotions import Priced
from .run import Run
from .tax import TaxResult, compute_tax, pick_rule

ZERO = Decimal("0.00")


@dataclass(slots=True)
class Line:
    """Read-only by convention, like ``Item`` (not frozen, for the cost of constructing)."""

    item: Item
    start: dt.date  # the period start: tblinvoiceitems.duedate
    next_start: dt.date  # the item's nextinvoicedate after this line
    description: str
    amount: Decimal
    taxed: bool
    paymentmethod: str
    type: str = ""  # tblinvoiceitems.type: the item's kind, or its promotion's line
    revert_to: Decimal | None = None  # a spent promotion: the item's new recurring amount

    @property
    def bills_period(self) -> bool:
        """The item's own line, which holds the period in the ledger (not a discount)."""
        return self.type == self.item.kind.type


@dataclass
class Invoice:
    userid: int
    date: dt.date
    duedate: dt.date
    paymentmethod: str
    lines: list[Line]
    tax: TaxResult
    credit: Decimal = ZERO
    id: int | None = None  # given by the database when written
    invoicenum: str = ""

    @property
    def gross(self) -> Decimal:
        return self.tax.subtotal + self.tax.tax + self.tax.tax2

    @property
    def total(self) -> Decimal:
        return self.gross - self.credit

    @property
    def paid_by_credit(self) -> bool:
        return self.credit > 0 and self.total == 0


@dataclass
class ClientPlan:
    client: Client
    invoices: list[Invoice] = field(default_factory=list)


def payment_method(item: Item, client: Client, default_gateway: str) -> str:
    """The item's own, else the client's default, else the server's (rules §5.1)."""
    return item.paymentmethod or client.defaultgateway or default_gateway


def make_lines(item: Item, start: dt.date, taxed: bool, client: Client, run: Run,
               priced: Priced | None = None) -> list[Line]:
    """The item's line for the period from ``start`` and, while a recurring promotion is in
    force, its discount line (rules §5.10), which is taxed exactly as the item's line is."""
    next_start = item.next_start(start)
    priced = priced or Priced(item.amount)
    method = payment_method(item, client, run.config.default_gateway)
    own = Line(item, start, next_start,
               item.description(start, next_start, run.options.date_format),
               round_money(priced.amount), taxed, method, item.kind.type, priced.revert_to)
    if not priced.discount:
        return [own]
    return [own, Line(item, start, next_start, priced.description,
                      round_money(priced.discount), taxed, method, item.kind.promo_type)]


def _group_key(line: Line, separate: bool) -> tuple:
    # one invoice per due date and payment method; per item for separateinvoices (rules §5.3)
    key = (line.start, line.paymentmethod)
    return key + (line.item.kind.type, line.item.id) if separate else key


def _line_order(line: Line) -> tuple:
    # services, addons, domains, billable items; a discount right after its item's line
    return (line.start, line.paymentmethod, line.item.kind.order, line.item.id,
            not line.bills_period)


def plan_client(client: Client, lines: list[Line], run: Run,
                riders: list[Line] | None = None) -> ClientPlan:
    """Group a client's lines into invoices (rules §5.3); ``riders`` (billable items that
    join the next invoice, §5.9) go on the first of them, by due date."""
    groups: dict[tuple, list[Line]] = {}
    for line in sorted(lines, key=_line_order):
        groups.setdefault(_group_key(line, client.separateinvoices), []).append(line)
    if groups and riders:
        next(iter(groups.values())).extend(riders)
    options = run.options
    rule1, rule2 = None, None
    if pays_tax(options.tax_enabled, client.taxexempt):
        rule1 = pick_rule(run.rules, 1, client.country, client.state)
        rule2 = pick_rule(run.rules, 2, client.country, client.state)
    invoices = [Invoice(client.id, run.today, group[0].start, group[0].paymentmethod, group,
                        compute_tax([(ln.amount, ln.taxed) for ln in group], rule1, rule2,
                                    inclusive=options.tax_inclusive,
                                    compound=options.tax_compound))
                for group in groups.values()]
    if options.auto_credit:
        apply_credit(invoices, client.credit)
    return ClientPlan(client, invoices)


def apply_credit(invoices: list[Invoice], balance: Decimal) -> Decimal:
    """The client's credit pays new invoices as far as it goes, in creation order."""
    for invoice in invoices:
        if balance <= 0:
            break
        used = min(balance, invoice.gross)
        if used > 0:
            invoice.credit = used
            balance -= used
    return balance
