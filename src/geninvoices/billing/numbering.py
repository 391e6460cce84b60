"""Invoice numbers (rules §5.3, §5.7), allocated in the transaction that uses them.

Custom numbering (``TaxCustomInvoiceNumbering``) numbers an invoice when it is created;
sequential paid numbering (``SequentialInvoiceNumbering``) when it becomes Paid, unless
custom numbering is on, which wins. Formats take {NUMBER} (not padded), {YEAR}, {MONTH} and
{DAY} of the invoice's date (or the payment's).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, bindparam, select, update

from ..models.whmcs import tblinvoices
from . import counters
from .bulk import among
from .options import BillingOptions


def format_invoice_number(fmt: str, number: int, on: dt.date) -> str:
    fmt = fmt or "{NUMBER}"
    return (fmt.replace("{NUMBER}", str(number)).replace("{YEAR}", f"{on.year:04d}")
            .replace("{MONTH}", f"{on.month:02d}").replace("{DAY}", f"{on.day:02d}"))


def number_new(conn: Connection, invoices: list, options: BillingOptions,
               now: dt.datetime) -> None:
    """Give new invoices (``plan.Invoice``, not yet written) their custom numbers."""
    if not options.custom_numbering or not invoices:
        return
    first = counters.allocate(conn, "TaxNextCustomInvoiceNumber", len(invoices), now)
    for offset, invoice in enumerate(invoices):
        invoice.invoicenum = format_invoice_number(options.custom_number_format,
                                                   first + offset, invoice.date)


def number_paid(conn: Connection, invoice_ids: list[int], paid_at: dt.datetime,
                options: BillingOptions) -> None:
    """Give invoices that just became Paid their sequential numbers, if they have none."""
    if not options.sequential_paid_numbering or options.custom_numbering:
        return
    inv = tblinvoices
    unnumbered = sorted(conn.execute(select(inv.c.id).where(
        among(conn, inv.c.id, invoice_ids), inv.c.invoicenum == "")).scalars())
    if not unnumbered:
        return
    first = counters.allocate(conn, "SequentialInvoiceNumberValue", len(unnumbered), paid_at)
    conn.execute(update(inv).where(inv.c.id == bindparam("b_id")).values(
        invoicenum=bindparam("b_num")), [
        {"b_id": invoice_id, "b_num": format_invoice_number(
            options.sequential_number_format, first + i, paid_at.date())}
        for i, invoice_id in enumerate(unnumbered)])
