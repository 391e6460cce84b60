"""AcceptOrder and CancelOrder [doc]: a Pending order's items go Active, or the order is
cancelled with its items and its unpaid first invoice (rules §13)."""

from __future__ import annotations

from ..db import transaction
from ..orders import accept_order as accept
from ..orders import cancel_order as cancel
from ..runs import utcnow
from .params import ActionParams, PhpBool, Text, WholeNumber, parse
from .registry import Context, action


class AcceptParams(ActionParams):
    orderid: WholeNumber | None = None
    # accepted as documented; nothing here provisions, registers or sends those emails
    serverid: WholeNumber | None = None
    serviceusername: Text = ""
    servicepassword: Text = ""
    registrar: Text = ""
    sendregistrar: PhpBool = False
    autosetup: PhpBool = False
    sendemail: PhpBool = False


class CancelParams(ActionParams):
    orderid: WholeNumber | None = None
    cancelsub: PhpBool = False  # no gateway subscriptions exist here to cancel
    noemail: PhpBool = False


@action("AcceptOrder")
def accept_order(ctx: Context, raw: dict) -> dict:
    p = parse(AcceptParams, raw)
    with transaction(ctx.engine) as conn:
        accept(conn, p.orderid)
    return {}


@action("CancelOrder")
def cancel_order(ctx: Context, raw: dict) -> dict:
    p = parse(CancelParams, raw)
    with transaction(ctx.engine) as conn:
        cancel(conn, p.orderid, utcnow())
    return {}
