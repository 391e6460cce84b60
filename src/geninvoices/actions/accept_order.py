"""AcceptOrder [doc]: a Pending order and its Pending items become Active (rules §13)."""

from __future__ import annotations

from ..db import transaction
from ..orders import accept_order as accept
from .params import ActionParams, PhpBool, Text, WholeNumber, parse
from .registry import Context, action


class Params(ActionParams):
    orderid: WholeNumber | None = None
    # accepted as documented; nothing here provisions, registers or sends those emails
    serverid: WholeNumber | None = None
    serviceusername: Text = ""
    servicepassword: Text = ""  # never stored
    registrar: Text = ""
    sendregistrar: PhpBool = False
    autosetup: PhpBool = False
    sendemail: PhpBool = False


@action("AcceptOrder")
def accept_order(ctx: Context, raw: dict) -> dict:
    p = parse(Params, raw)
    with transaction(ctx.engine) as conn:
        accept(conn, p.orderid)
    return {}
