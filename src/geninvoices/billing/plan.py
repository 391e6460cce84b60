"""Compute first, write second: a client's new invoices, not yet saved (spec 5.3 to 5.5).

Pure functions of the client, the periods to bill, today and the options.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from .due import Client
from .items import DOMAIN, Item
from .money import round_money
from .options import BillingOptions
from .tax import TaxResult, TaxRule, compute_tax, pick_rule

ZERO = Decimal("0.00")
KIND_ORDER = {"Hosting": 0, "Addon": 1, "Domain": 2}


@dataclass(frozen=True)
class Line:
    item: Item
    start: dt.date  # the period start: tblinvoiceitems.duedate
    next_start: dt.date  # the item's nextinvoicedate after this line
    description: str
    amount: Decimal
    taxed: bool
    paymentmethod: str


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


def payment_method(item: Item, client: Client, options: BillingOptions) -> str:
    return item.paymentmethod or client.defaultgateway or options.default_gateway


def make_line(item: Item, start: dt.date, client: Client, options: BillingOptions) -> Line:
    taxed = options.tax_enabled and not client.taxexempt and (
        options.tax_domains if item.kind == DOMAIN else item.taxable)
    next_start = item.next_start(start)
    return Line(item, start, next_start, item.description(start, next_start, options.date_format),
                round_money(item.amount), taxed, payment_method(item, client, options))


def plan_client(client: Client, lines: list[Line], today: dt.date, options: BillingOptions,
                rules: list[TaxRule]) -> ClientPlan:
    groups: dict[tuple, list[Line]] = {}
    for line in sorted(lines, key=lambda l: (l.start, l.paymentmethod,
                                             KIND_ORDER[l.item.kind], l.item.id)):
        key = (line.start, line.paymentmethod)
        if client.separateinvoices:
            key += (line.item.kind, line.item.id)
        groups.setdefault(key, []).append(line)
    rule1, rule2 = _rules(client, options, rules)
    invoices = [Invoice(client.id, today, group[0].start, group[0].paymentmethod, group,
                        compute_tax([(l.amount, l.taxed) for l in group], rule1, rule2,
                                    inclusive=options.tax_inclusive,
                                    compound=options.tax_compound))
                for group in groups.values()]
    if options.auto_credit:
        apply_credit(invoices, client.credit)
    return ClientPlan(client, invoices)


def _rules(client: Client, options: BillingOptions, rules: list[TaxRule]):
    if not options.tax_enabled or client.taxexempt:
        return None, None
    return (pick_rule(rules, 1, client.country, client.state),
            pick_rule(rules, 2, client.country, client.state))


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
