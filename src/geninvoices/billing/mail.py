"""The Invoice Created email (rules §5.6), composed when the invoice is written.

Its Message-ID is stable (``<invoice-ID.INSTALL@host>``), so the one crash window that can
deliver it twice delivers the same message, which mail systems de-duplicate.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .describe import format_date

SUBJECT = "Customer Invoice"


@dataclass(frozen=True)
class Currency:
    id: int
    code: str
    prefix: str
    suffix: str

    def show(self, amount: Decimal) -> str:
        return f"{self.prefix}{amount:.2f}{self.suffix}"


def message_id(invoice_id: int, install_id: str, mail_from: str) -> str:
    host = mail_from.rpartition("@")[2].strip(" >") or "localhost"
    return f"<invoice-{invoice_id}.{install_id}@{host}>"


def invoice_email(invoice, client, currency: Currency, date_format: str) -> str:
    """The plain-text body for a written invoice (``plan.Invoice`` with its id)."""
    number = invoice.invoicenum or str(invoice.id)
    name = f"{client.firstname} {client.lastname}".strip() or client.companyname
    rows = [f"  {line.description}  {currency.show(line.amount)}" for line in invoice.lines]
    totals = [f"Sub Total: {currency.show(invoice.tax.subtotal)}"]
    if invoice.tax.tax:
        totals.append(f"{invoice.tax.taxrate}% Tax: {currency.show(invoice.tax.tax)}")
    if invoice.tax.tax2:
        totals.append(f"{invoice.tax.taxrate2}% Tax: {currency.show(invoice.tax.tax2)}")
    if invoice.credit:
        totals.append(f"Credit: {currency.show(invoice.credit)}")
    totals.append(f"Total: {currency.show(invoice.total)}")
    return "\n".join([
        f"Dear {name},",
        "",
        f"This is a notice that an invoice has been generated on "
        f"{format_date(invoice.date, date_format)}.",
        "",
        f"Invoice #{number}",
        f"Amount Due: {currency.show(invoice.total)}",
        f"Due Date: {format_date(invoice.duedate, date_format)}",
        f"Payment Method: {invoice.paymentmethod}",
        "",
        "Invoice Items",
        *rows,
        "",
        *totals,
        "",
    ])
