"""GetPaymentMethods [doc]: the activated gateways, module and display name, in WHMCS's
display order (rules §12)."""

from __future__ import annotations

from sqlalchemy import Connection

from ..catalogue import active_gateways
from .params import ActionParams, parse
from .registry import read_action


class Params(ActionParams):
    """No parameters: any sent are ignored, as WHMCS does."""


@read_action("GetPaymentMethods")
def get_payment_methods(conn: Connection, raw: dict) -> dict:
    parse(Params, raw)
    methods = [{"module": module, "displayname": name}
               for module, name in active_gateways(conn).items()]
    return {"totalresults": len(methods), "paymentmethods": {"paymentmethod": methods}}
