"""AddInvoicePayment [doc]: record a payment; a paid invoice moves its items on (rules §7)."""

from __future__ import annotations

from decimal import Decimal

from ..billing.options import load_options
from ..billing.payment import Payment, record_payment
from ..clock import utcnow
from ..db import transaction
from ..errors import BadParameter, NotFound
from .params import ActionParams, Amount, DateTimeText, PhpBool, Text, WholeNumber, parse
from .registry import Context, action


class Params(ActionParams):
    invoiceid: WholeNumber | None = None
    transid: Text = ""
    gateway: Text = ""
    amount: Amount | None = None
    fees: Amount = Decimal("0.00")
    date: DateTimeText | None = None
    noemail: PhpBool = False  # accepted; no payment confirmation email is sent yet


@action("AddInvoicePayment")
def add_invoice_payment(ctx: Context, raw: dict) -> dict:
    p = parse(Params, raw)
    if p.invoiceid is None:
        raise NotFound("Invoice ID Not Found")
    for name in ("transid", "gateway"):
        if not getattr(p, name).strip():
            raise BadParameter(name, "is required")
    if p.amount is not None and p.amount <= 0:
        raise BadParameter("amount", "must be more than 0")
    when = p.date or utcnow()
    with transaction(ctx.engine) as conn:
        options = load_options(conn)
        record_payment(conn, Payment(p.invoiceid, p.gateway.strip(), p.transid.strip(),
                                     p.amount, p.fees, when), options)
    return {}
