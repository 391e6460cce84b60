"""GetInvoice [doc]: one invoice with its items, balance and transactions (rules §7)."""

from __future__ import annotations

from ..billing.readback import load_invoice
from ..db import transaction
from ..errors import NotFound
from . import fields as f
from .params import ActionParams, WholeNumber, parse
from .registry import Context, action


class Params(ActionParams):
    invoiceid: WholeNumber | None = None


def _item(r) -> dict:
    return {"id": f.integer(r.id), "type": r.type or "", "relid": f.integer(r.relid),
            "description": r.description or "", "amount": f.money(r.amount),
            "taxed": f.integer(r.taxed)}


def _transaction(r) -> dict:
    return {"id": f.integer(r.id), "userid": f.integer(r.userid),
            "currency": f.integer(r.currency), "gateway": r.gateway or "",
            "date": f.datetime(r.date), "description": r.description or "",
            "amountin": f.money(r.amountin), "fees": f.money(r.fees),
            "amountout": f.money(r.amountout), "rate": f"{r.rate or 0:.5f}",
            "transid": r.transid or "", "invoiceid": f.integer(r.invoiceid),
            "refundid": f.integer(r.refundid)}


@action("GetInvoice")
def get_invoice(ctx: Context, raw: dict) -> dict:
    p = parse(Params, raw)
    with transaction(ctx.engine, write=False) as conn:
        facts = load_invoice(conn, p.invoiceid) if p.invoiceid is not None else None
    if facts is None:
        raise NotFound("Invoice ID Not Found")
    inv, items, payments, balance = facts.invoice, facts.items, facts.payments, facts.balance
    return {
        "invoiceid": f.integer(inv.id), "invoicenum": inv.invoicenum or "",
        "userid": f.integer(inv.userid), "date": f.date(inv.date), "duedate": f.date(inv.duedate),
        "datepaid": f.datetime(inv.datepaid),
        "lastcaptureattempt": f.datetime(inv.last_capture_attempt),
        "subtotal": f.money(inv.subtotal), "credit": f.money(inv.credit), "tax": f.money(inv.tax),
        "tax2": f.money(inv.tax2), "total": f.money(inv.total), "balance": f.money(balance),
        "taxrate": f.rate(inv.taxrate), "taxrate2": f.rate(inv.taxrate2),
        "status": inv.status or "", "paymentmethod": inv.paymentmethod or "",
        "notes": inv.notes or "", "ccgateway": False,
        "items": {"item": [_item(r) for r in items]},
        "transactions": {"transaction": [_transaction(r) for r in payments]} if payments else "",
    }
