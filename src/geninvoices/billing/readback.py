"""One invoice as it stands (rules §7): its row, lines, payments and balance.

GetInvoice and the invoice documents (rules §15) read an invoice through this one function,
so both show the same facts.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Connection, Row, select

from ..models.whmcs import tblaccounts, tblinvoiceitems, tblinvoices
from .payment import balance_of


@dataclass(frozen=True)
class InvoiceFacts:
    invoice: Row
    items: list[Row]
    payments: list[Row]
    balance: Decimal


def load_invoice(conn: Connection, invoice_id: int) -> InvoiceFacts | None:
    """The invoice with its lines and payments in id order, or None when there is none."""
    inv = conn.execute(select(tblinvoices).where(tblinvoices.c.id == invoice_id)).first()
    if inv is None:
        return None
    items = conn.execute(select(tblinvoiceitems).where(
        tblinvoiceitems.c.invoiceid == inv.id).order_by(tblinvoiceitems.c.id)).all()
    payments = conn.execute(select(tblaccounts).where(
        tblaccounts.c.invoiceid == inv.id).order_by(tblaccounts.c.id)).all()
    return InvoiceFacts(inv, list(items), list(payments), balance_of(conn, inv.id, inv.total))
