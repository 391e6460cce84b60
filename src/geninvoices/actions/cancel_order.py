"""CancelOrder [doc]: a Pending order, its items and its unpaid first invoice are cancelled
(rules §13)."""

from __future__ import annotations

from ..clock import utcnow
from ..db import transaction
from ..orders import cancel_order as cancel
from .params import ActionParams, PhpBool, WholeNumber, parse
from .registry import Context, action


class Params(ActionParams):
    orderid: WholeNumber | None = None
    cancelsub: PhpBool = False  # no gateway subscriptions exist here to cancel
    noemail: PhpBool = False


@action("CancelOrder")
def cancel_order(ctx: Context, raw: dict) -> dict:
    p = parse(Params, raw)
    with transaction(ctx.engine) as conn:
        cancel(conn, p.orderid, utcnow())
    return {}
