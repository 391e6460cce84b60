"""GetClientsDetails' ``stats`` (rules §11): what a handful of grouped queries can count.

Amounts are written as WHMCS writes them, in the client's currency: prefix, the amount with
two decimals, suffix (``$2645.80 USD``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Connection, and_, case, func, select

from ..models.whmcs import tblaccounts, tbldomains, tblhosting, tblinvoices, tblproducts

# (stat's count key, stat's amount key) per invoice status, as WHMCS's example spells them
INVOICE_STATS = {
    "Draft": ("numDraftInvoices", "draftInvoicesBalance"),
    "Unpaid": ("numunpaidinvoices", "unpaidinvoicesamount"),
    "Paid": ("numpaidinvoices", "paidinvoicesamount"),
    "Cancelled": ("numcancelledinvoices", "cancelledinvoicesamount"),
    "Refunded": ("numrefundedinvoices", "refundedinvoicesamount"),
    "Collections": ("numcollectionsinvoices", "collectionsinvoicesamount"),
    "Payment Pending": ("numpaymentpendinginvoices", "paymentpendinginvoicesamount"),
}
# tblproducts.type -> the word in the product stats' keys
PRODUCT_KINDS = {"hostingaccount": "hosting", "reselleraccount": "reseller",
                 "server": "servers", "other": "other"}


def _invoice_stats(conn: Connection, client: int, money) -> dict:
    inv = tblinvoices.c
    found = {r.status: (r.n, r.amount) for r in conn.execute(
        select(inv.status, func.count().label("n"), func.sum(inv.total).label("amount"))
        .where(inv.userid == client).group_by(inv.status))}
    stats = {}
    for status, (count_key, amount_key) in INVOICE_STATS.items():
        n, amount = found.get(status, (0, 0))
        stats[count_key], stats[amount_key] = int(n), money(amount)
    return stats


def _unpaid_balances(conn: Connection, client: int, today: dt.date) -> tuple:
    """(count, balance) of the unpaid invoices, then of those past their due date: each
    invoice's total less what was paid towards it."""
    inv, acc = tblinvoices.c, tblaccounts.c
    paid = (select(func.coalesce(func.sum(acc.amountin - acc.amountout), 0))
            .where(acc.invoiceid == inv.id).scalar_subquery())
    balance = inv.total - paid
    unpaid = and_(inv.userid == client, inv.status == "Unpaid")
    due = conn.execute(select(func.count(), func.sum(balance)).where(unpaid)).one()
    overdue = conn.execute(select(func.count(), func.sum(balance))
                           .where(unpaid, inv.duedate < today)).one()
    return due, overdue


def _product_stats(conn: Connection, client: int) -> dict:
    h, p = tblhosting.c, tblproducts.c
    rows = conn.execute(select(p.type, h.domainstatus, func.count().label("n"))
                        .select_from(tblhosting.outerjoin(tblproducts, p.id == h.packageid))
                        .where(h.userid == client).group_by(p.type, h.domainstatus))
    stats = {f"productsnum{k}{w}": 0 for w in PRODUCT_KINDS.values() for k in ("active", "")}
    for r in rows:
        word = PRODUCT_KINDS.get(r.type or "", "other")
        stats[f"productsnum{word}"] += r.n
        if r.domainstatus == "Active":
            stats[f"productsnumactive{word}"] += r.n
    stats["productsnumactive"] = sum(stats[f"productsnumactive{w}"]
                                     for w in PRODUCT_KINDS.values())
    stats["productsnumtotal"] = sum(stats[f"productsnum{w}"] for w in PRODUCT_KINDS.values())
    return stats


def client_stats(conn: Connection, client, currency, today: dt.date) -> dict:
    prefix, suffix = (currency.prefix or "", currency.suffix or "") if currency else ("", "")

    def money(value) -> str:
        return f"{prefix}{Decimal(value or 0):.2f}{suffix}"

    (n_due, due), (n_overdue, overdue) = _unpaid_balances(conn, client.id, today)
    acc = tblaccounts.c
    gross, costs = conn.execute(select(func.sum(acc.amountin), func.sum(acc.fees + acc.amountout))
                                .where(acc.userid == client.id)).one()
    d = tbldomains.c
    n_domains, n_active = conn.execute(select(func.count(), func.sum(case(
        (d.status == "Active", 1), else_=0))).where(d.userid == client.id)).one()
    credit = Decimal(client.credit or 0)
    return {"numdueinvoices": int(n_due), "dueinvoicesbalance": money(due),
            "incredit": credit > 0, "creditbalance": money(credit),
            "grossRevenue": money(gross), "income": money(Decimal(gross or 0) - (costs or 0)),
            "numoverdueinvoices": int(n_overdue), "overdueinvoicesbalance": money(overdue),
            **_invoice_stats(conn, client.id, money), **_product_stats(conn, client.id),
            "numactivedomains": int(n_active or 0), "numdomains": int(n_domains)}
