"""Recurring promotions (rules §5.10): what a renewal of a promoted service or domain costs
and shows.

WHMCS stores an item's recurring amount already discounted while a recurring promotion
lasts; that stored amount is what the client agreed. While the promotion is in force the
renewal shows the standard price and a discount line that brings it back to exactly the
stored amount; once a limited promotion is spent, the standard price alone, and the item is
moved to it. ``price`` is pure; ``load_facts`` reads what it needs for a chunk in a few
queries (promotions, catalogue prices, a domain's TLD, lines so far).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Connection, func, select

from ..models.whmcs import (
    tbldomainpricing,
    tblinvoiceitems,
    tblinvoices,
    tblpricing,
    tblpromotions,
)
from .bulk import among
from .items import Item
from .mail import Currency
from .money import round_money, to_money

# tblpricing's column for a service's billing cycle
PRICE_COLUMNS = {"Monthly": "monthly", "Quarterly": "quarterly",
                 "Semi-Annually": "semiannually", "Annually": "annually",
                 "Biennially": "biennially", "Triennially": "triennially"}
# tblpricing's column for a domain renewal of N years (type domainrenew): the N-th of these,
# as WHMCS's TLD prices are laid out (Fleio's WHMCS TLD importer reads them so; rules §5.10)
DOMAIN_PRICE_COLUMNS = ("msetupfee", "qsetupfee", "ssetupfee", "asetupfee", "bsetupfee",
                        "monthly", "quarterly", "semiannually", "annually", "biennially")
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Promotion:
    id: int
    code: str
    type: str  # Percentage, Fixed Amount, Price Override, Free Setup
    recurring: bool
    value: Decimal
    recurfor: int  # renewals after the first invoice; 0: for ever


@dataclass(frozen=True)
class PromoFacts:
    promotion: Promotion | None  # None: the promoid names no row
    standard: Decimal | None  # the catalogue price for the item's cycle and currency
    lines_so_far: int  # the item's own invoice lines before this one


@dataclass(frozen=True)
class Priced:
    amount: Decimal  # the item's own line
    discount: Decimal = ZERO  # the discount line (negative); 0: no such line
    description: str = ""  # of the discount line
    revert_to: Decimal | None = None  # spent: the item's recurring amount from now on
    warning: str = ""


def price(item: Item, facts: PromoFacts | None, currency: Currency) -> Priced:
    stored = item.amount
    if not item.promoid or facts is None:
        return Priced(stored)
    promo = facts.promotion
    if promo is None:
        return Priced(stored, warning=f"promotion {item.promoid} does not exist; billed at "
                                      "the stored amount")
    if not promo.recurring or promo.type == "Free Setup":
        return Priced(stored)
    spent = 0 < promo.recurfor < facts.lines_so_far
    if facts.standard is None:
        warning = (f"promotion {promo.code!r} is spent but no standard price is known; "
                   "billed at the stored amount") if spent else ""
        return Priced(stored, warning=warning)
    if spent:
        return Priced(facts.standard, revert_to=facts.standard)
    if stored >= facts.standard:
        return Priced(stored)
    return Priced(facts.standard, stored - facts.standard,
                  f"Promotional Code: {promo.code} - {_discount_words(promo, currency)}")


def first_price(promo: Promotion | None, setup: Decimal, recurring: Decimal,
                currency: Currency) -> tuple[Priced, Decimal]:
    """An ordered item's first invoice under a promotion (rules §13): its line at the full
    first payment (setup fee + first period), a discount line that brings it to what the
    promotion makes it, and the recurring amount to store: discounted for a recurring
    promotion (as WHMCS stores it, §5.10), the standard price otherwise. A promotion never
    raises a price: a Price Override above the standard price changes nothing."""
    full = setup + recurring
    if promo is None:
        return Priced(full), recurring
    value = promo.value
    if promo.type == "Free Setup":
        discount, renewal = setup, recurring
    elif promo.type == "Percentage":
        discount = round_money(full * value / 100)
        renewal = recurring - round_money(recurring * value / 100)
    elif promo.type == "Fixed Amount":
        discount, renewal = min(value, full), max(recurring - value, ZERO)
    elif promo.type == "Price Override":
        discount, renewal = max(recurring - value, ZERO), min(value, recurring)
    else:
        return Priced(full), recurring
    if not promo.recurring:
        renewal = recurring
    if discount <= 0:
        return Priced(full), renewal
    return Priced(full, -discount, f"Promotional Code: {promo.code} - "
                                   f"{_first_words(promo, currency)}"), renewal


def _first_words(promo: Promotion, currency: Currency) -> str:
    if promo.type == "Free Setup":
        return "Free Setup"
    words = _discount_words(promo, currency)
    return words if promo.recurring else words.replace("Recurring", "One Time")


def _discount_words(promo: Promotion, currency: Currency) -> str:
    if promo.type == "Percentage":
        return f"{promo.value.normalize():f}% Recurring Discount"
    if promo.type == "Price Override":
        return f"{currency.show(promo.value)} Price Override"
    return f"{currency.show(promo.value)} Recurring Discount"


def load_facts(conn: Connection, items: list[Item],
               currency_of_client: dict[int, int]) -> dict[tuple[str, int], PromoFacts]:
    """Facts for the items that carry a promotion, keyed by (kind type, id)."""
    promoted = [i for i in items if i.promoid]
    if not promoted:
        return {}
    promotions = _promotions(conn, {i.promoid for i in promoted})
    standards = _service_prices(conn, promoted, currency_of_client)
    standards.update(_domain_prices(conn, promoted, currency_of_client))
    counts = _line_counts(conn, [i for i in promoted  # only a limited promotion counts
                                 if (p := promotions.get(i.promoid)) and p.recurfor > 0])
    return {(i.kind.type, i.id): PromoFacts(promotions.get(i.promoid),
                                            standards.get((i.kind.type, i.id)),
                                            counts.get((i.kind.type, i.id), 0))
            for i in promoted}


def extension(domain: str) -> str | None:
    """A domain's TLD as ``tbldomainpricing.extension`` holds it: all after the first dot,
    with that dot (``example.co.uk`` is ``.co.uk``); None when there is nothing after one."""
    _, dot, rest = domain.strip().lower().partition(".")
    return "." + rest if dot and rest else None


def renewal_column(years: int) -> str | None:
    """tblpricing's column for a domain renewal of ``years`` years (1 to 10)."""
    return DOMAIN_PRICE_COLUMNS[years - 1] if 1 <= years <= len(DOMAIN_PRICE_COLUMNS) else None


def _offered(row: dict | None, column: str | None) -> Decimal | None:
    if row is None or column is None:
        return None
    value = to_money(row[column])
    return value if value > 0 else None  # WHMCS stores -1 (or 0) for "not offered"


def _service_prices(conn, items, currency_of_client) -> dict[tuple[str, int], Decimal]:
    services = [i for i in items if i.kind.type == "Hosting"]
    rows = _prices(conn, "product", {i.definition_id for i in services})
    found = {("Hosting", i.id): _offered(rows.get((i.definition_id, currency_of_client[i.userid])),
                                         PRICE_COLUMNS.get(str(i.cycle)))
             for i in services}
    return {key: price for key, price in found.items() if price is not None}


def _domain_prices(conn, items, currency_of_client) -> dict[tuple[str, int], Decimal]:
    """A domain's standard price: its extension's `domainrenew` row, for its period."""
    domains = [i for i in items if i.kind.type == "Domain" and extension(i.domain)]
    if not domains:
        return {}
    tlds = _tld_ids(conn, {extension(i.domain) for i in domains})
    rows = _prices(conn, "domainrenew", set(tlds.values()))
    found = {("Domain", i.id): _offered(rows.get((tlds.get(extension(i.domain)),
                                                  currency_of_client[i.userid])),
                                        renewal_column(int(i.cycle or 0)))
             for i in domains}
    return {key: price for key, price in found.items() if price is not None}


def _tld_ids(conn: Connection, extensions: set[str]) -> dict[str, int]:
    # Compared in lower case on every backend (PostgreSQL's comparison is case-sensitive,
    # MariaDB's is not); a duplicated extension keeps its lowest id (the dict's last write).
    tp = tbldomainpricing
    key = func.lower(tp.c.extension)
    rows = conn.execute(select(key, tp.c.id).where(key.in_(extensions)).order_by(tp.c.id.desc()))
    return {ext: tld for ext, tld in rows}


def _promotions(conn: Connection, ids: set[int]) -> dict[int, Promotion]:
    p = tblpromotions
    return {r.id: promotion(r) for r in conn.execute(select(p).where(p.c.id.in_(ids)))}


def promotion(r) -> Promotion:
    """A ``tblpromotions`` row as the rules read it."""
    return Promotion(r.id, (r.code or "").strip(), (r.type or "").strip(), bool(r.recurring),
                     to_money(r.value or 0), r.recurfor or 0)


def _prices(conn: Connection, type_: str, relids: set[int]) -> dict[tuple[int, int], dict]:
    if not relids:
        return {}
    pr = tblpricing
    rows = conn.execute(select(pr).where(pr.c.type == type_, pr.c.relid.in_(relids)))
    return {(r.relid, r.currency): dict(r._mapping) for r in rows}


def _line_counts(conn: Connection, items: list[Item]) -> dict[tuple[str, int], int]:
    """How many lines of its own each item has on its client's invoices (rules §5.10):
    read through the client's invoices and each invoice's lines, so the count costs what
    the client's own history holds, not the database's."""
    li, inv = tblinvoiceitems, tblinvoices
    counts = {}
    for kind_type in {i.kind.type for i in items}:
        owner = {i.id: i.userid for i in items if i.kind.type == kind_type}
        query = (select(li.c.relid, inv.c.userid, func.count())
                 .join(inv, inv.c.id == li.c.invoiceid)
                 .where(among(conn, inv.c.userid, set(owner.values())),
                        li.c.type == kind_type, among(conn, li.c.relid, owner))
                 .group_by(li.c.relid, inv.c.userid))
        counts.update({(kind_type, relid): n for relid, userid, n in conn.execute(query)
                       if owner.get(relid) == userid})
    return counts
