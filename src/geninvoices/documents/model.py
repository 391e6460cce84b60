"""What an invoice document shows (rules §15), read in one short read transaction.

``load_document`` gathers the facts (``billing/readback.py:load_invoice``, the client, the
currency, the tax rules' names, the company's settings) into plain values; the templates only
lay them out. Nothing here renders, so the read ends before any slow rendering starts. What
every invoice's document shares (``HouseSettings``: WHMCS's settings, the currencies, the tax
rules) may be read once for many documents, as the email sender does per batch.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Connection, select

from ..billing.describe import format_date
from ..billing.mail import Currency
from ..billing.options import BillingOptions, options_of
from ..billing.readback import InvoiceFacts, load_invoice
from ..billing.run import load_currencies, load_tax_rules
from ..billing.tax import TaxRule, pick_rule
from ..models.whmcs import tblclients, tblconfiguration


@dataclass(frozen=True)
class HouseSettings:
    """What the documents of every invoice share, read together: WHMCS's settings
    (``tblconfiguration``, setting -> value), the options they make, the currencies and the
    tax rules."""
    config: dict[str, str]
    options: BillingOptions
    currencies: dict[int, Currency]
    default_currency: Currency
    tax_rules: list[TaxRule]


def load_house_settings(conn: Connection) -> HouseSettings:
    c = tblconfiguration.c
    config = dict(conn.execute(select(c.setting, c.value)).all())
    currencies, default = load_currencies(conn)
    return HouseSettings(config, options_of(config), currencies, default,
                         load_tax_rules(conn))


@dataclass(frozen=True)
class Company:
    name: str
    pay_to: list[str]  # the "Pay To Text": the company's address, one line each
    logo_url: str
    tax_id: str


@dataclass(frozen=True)
class Client:
    name: str
    company: str
    address: list[str]
    email: str
    tax_id: str


@dataclass(frozen=True)
class Line:
    description: list[str]  # a description may hold several lines
    amount: str
    taxed: bool


@dataclass(frozen=True)
class Tax:
    name: str
    rate: str
    amount: str


@dataclass(frozen=True)
class Payment:
    date: str
    gateway: str
    transid: str
    amount: str


@dataclass(frozen=True)
class InvoiceDocument:
    id: int
    number: str  # the invoice number, or the id when it has none
    status: str
    mark: str  # Paid, Cancelled, Overdue, Unpaid, ... as the document shows it
    date: str
    duedate: str
    datepaid: str
    paymentmethod: str
    notes: str
    company: Company
    client: Client
    lines: list[Line]
    subtotal: str
    taxes: list[Tax]
    tax_inclusive: bool
    credit: str
    total: str
    paid: str
    balance: str
    currency_code: str
    payments: list[Payment]


def load_document(conn: Connection, invoice_id: int, today: dt.date,
                  house: HouseSettings | None = None) -> InvoiceDocument | None:
    """The invoice's document; ``house`` when the caller has read it already, else read
    here."""
    facts = load_invoice(conn, invoice_id)
    if facts is None:
        return None
    if house is None:
        house = load_house_settings(conn)
    client = conn.execute(select(tblclients).where(
        tblclients.c.id == facts.invoice.userid)).first()
    currency = house.currencies.get(client.currency if client else 0, house.default_currency)
    names = _tax_names(house.tax_rules, client)
    return _document(facts, house.config, client, currency, names, house.options, today)


def _tax_names(rules: list[TaxRule], client) -> tuple[str, str]:
    """The names of the tax rules that apply to the client (rules §5.4), level 1 and 2."""
    country, state = (client.country, client.state) if client else ("", "")
    picked = [pick_rule(rules, level, country, state) for level in (1, 2)]
    return tuple(rule.name if rule and rule.name else "Tax" for rule in picked)


def _document(facts: InvoiceFacts, settings: dict, client, currency: Currency,
              names: tuple[str, str], options: BillingOptions,
              today: dt.date) -> InvoiceDocument:
    inv, show = facts.invoice, currency.show

    def day(value) -> str:
        return format_date(value, options.date_format) if value else ""

    total = Decimal(inv.total or 0)
    return InvoiceDocument(
        id=inv.id, number=inv.invoicenum or str(inv.id), status=inv.status or "",
        mark=_mark(inv.status or "", inv.duedate, today), date=day(inv.date),
        duedate=day(inv.duedate), datepaid=day(inv.datepaid.date() if inv.datepaid else None),
        paymentmethod=inv.paymentmethod or "", notes=inv.notes or "",
        company=_company(settings), client=_client(client),
        lines=[Line((r.description or "").splitlines() or [""], show(Decimal(r.amount or 0)),
                    bool(r.taxed)) for r in facts.items],
        subtotal=show(Decimal(inv.subtotal or 0)),
        taxes=_taxes(inv, names, show),
        tax_inclusive=options.tax_inclusive,
        credit=show(Decimal(inv.credit or 0)) if inv.credit else "",
        total=show(total), paid=show(total - facts.balance), balance=show(facts.balance),
        currency_code=currency.code,
        payments=[Payment(day(p.date.date() if p.date else None), p.gateway or "",
                          p.transid or "", show(Decimal(p.amountin or 0)
                                                - Decimal(p.amountout or 0)))
                  for p in facts.payments])


def _mark(status: str, duedate: dt.date | None, today: dt.date) -> str:
    """An unpaid invoice past its due date is marked Overdue, as GetInvoices says (rules §7)."""
    if status == "Unpaid" and duedate is not None and duedate < today:
        return "Overdue"
    return status


def _taxes(inv, names: tuple[str, str], show) -> list[Tax]:
    levels = ((names[0], inv.taxrate, inv.tax), (names[1], inv.taxrate2, inv.tax2))
    return [Tax(name, f"{Decimal(rate or 0).normalize():f}", show(Decimal(amount or 0)))
            for name, rate, amount in levels if rate or amount]


def _company(settings: dict) -> Company:
    # WHMCS's own settings (General Settings, rules §15); TaxID is ours: WHMCS keeps no
    # setting for the company's own tax number, which operators otherwise write into the
    # pay-to text.
    return Company(name=settings.get("CompanyName") or "",
                   pay_to=[line for line in (settings.get("InvoicePayTo") or "").splitlines()
                           if line.strip()],
                   logo_url=(settings.get("LogoURL") or "").strip(),
                   tax_id=(settings.get("TaxID") or "").strip())


def _client(row) -> Client:
    if row is None:  # the client was deleted: the invoice still renders
        return Client("", "", [], "", "")
    place = " ".join(part for part in (row.postcode, row.city) if part)
    address = [row.address1, row.address2, place, row.state, row.country]
    return Client(name=f"{row.firstname or ''} {row.lastname or ''}".strip(),
                  company=row.companyname or "", address=[a for a in address if a],
                  email=row.email or "", tax_id=row.tax_id or "")
