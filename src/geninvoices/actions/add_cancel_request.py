"""AddCancelRequest [doc]: a cancellation request for a service (rules §14.4).

One ``tblcancelrequests`` row; from then on GenInvoices bills neither the service nor its
addons (rules §5.1), whatever the type. The service row is locked first, so two requests
racing for one service record one.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator
from sqlalchemy import insert, select

from ..clock import utcnow
from ..db import transaction
from ..errors import BusinessError
from ..models.whmcs import tblcancelrequests, tblhosting
from .params import ActionParams, Text, WholeNumber, blank_is_none, parse
from .registry import Context, action
from .services import locked, one_of

TYPES = ("Immediate", "End of Billing Period")
DEFAULT_TYPE = "End of Billing Period"

CancelType = Annotated[str | None, BeforeValidator(
    lambda v: None if (v := blank_is_none(v)) is None else one_of(TYPES)(v))]


class Params(ActionParams):
    serviceid: WholeNumber | None = None
    type: CancelType = None
    reason: Text = ""


@action("AddCancelRequest")
def add_cancel_request(ctx: Context, raw: dict) -> dict:
    p = parse(Params, raw)
    with transaction(ctx.engine) as conn:
        service = locked(conn, tblhosting, p.serviceid, "Service ID Not Found")
        c = tblcancelrequests
        if conn.execute(select(c.c.id).where(c.c.relid == service.id)).first() is not None:
            raise BusinessError("Existing Cancellation Request Exists")
        now = utcnow()
        conn.execute(insert(c).values(relid=service.id, type=p.type or DEFAULT_TYPE,
                                      reason=p.reason.strip(), date=now, created_at=now,
                                      updated_at=now))
    return {"serviceid": str(service.id), "userid": str(service.userid)}
