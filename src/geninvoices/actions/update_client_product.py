"""UpdateClientProduct [doc]: change a service's columns in ``tblhosting`` (rules §14.3).

Every documented parameter that has a ``tblhosting`` column is written as given; blank or
absent leaves the column alone. ``billingcycle`` (not on WHMCS's page, asked for by
integrators and by the issue) takes WHMCS's cycle names. A new ``nextduedate`` moves
``nextinvoicedate`` with it, within what was billed (``billing/reschedule.py``).
"""

from __future__ import annotations

from sqlalchemy import Connection

from ..billing.kinds import SERVICE
from ..errors import NotFound
from ..models.whmcs import tblhosting, tblproducts
from .params import ActionParams, WholeNumber, parse
from .registry import Context, action
from .services import (
    OptAmount,
    OptBool,
    OptCycle,
    OptDay,
    OptId,
    OptOnOff,
    OptText,
    ServiceStatus,
    Words,
    given,
    require_promotion,
    unset_columns,
    update_item,
)

# parameter -> tblhosting column, for those written as given
COLUMNS = {
    "pid": "packageid", "serverid": "server", "terminationDate": "termination_date",
    "completedDate": "completed_date", "domain": "domain",
    "firstpaymentamount": "firstpaymentamount", "recurringamount": "amount",
    "paymentmethod": "paymentmethod", "subscriptionid": "subscriptionid",
    "status": "domainstatus", "notes": "notes", "serviceusername": "username",
    "overideautosuspend": "overideautosuspend", "overidesuspenduntil": "overidesuspenduntil",
    "ns1": "ns1", "ns2": "ns2", "dedicatedip": "dedicatedip", "assignedips": "assignedips",
    "diskusage": "diskusage", "disklimit": "disklimit", "bwusage": "bwusage",
    "bwlimit": "bwlimit", "suspendreason": "suspendreason", "promoid": "promoid",
    "billingcycle": "billingcycle",
}
UNSET = {"domain": "domain", "serviceusername": "username", "subscriptionid": "subscriptionid",
         "ns1": "ns1", "ns2": "ns2", "dedicatedip": "dedicatedip",
         "assignedips": "assignedips", "notes": "notes", "suspendreason": "suspendreason"}
UNSUPPORTED = ("servicepassword", "autorecalc", "customfields", "configoptions")


class Params(ActionParams):
    serviceid: WholeNumber | None = None
    pid: OptId = None
    serverid: OptId = None
    nextduedate: OptDay = None
    terminationDate: OptDay = None  # noqa: N815 - WHMCS's spelling
    completedDate: OptDay = None  # noqa: N815
    domain: OptText = None
    firstpaymentamount: OptAmount = None
    recurringamount: OptAmount = None
    billingcycle: OptCycle = None
    paymentmethod: OptText = None
    subscriptionid: OptText = None
    status: ServiceStatus = None
    notes: OptText = None
    serviceusername: OptText = None
    servicepassword: OptText = None
    overideautosuspend: OptOnOff = None
    overidesuspenduntil: OptDay = None
    ns1: OptText = None
    ns2: OptText = None
    dedicatedip: OptText = None
    assignedips: OptText = None
    diskusage: OptId = None
    disklimit: OptId = None
    bwusage: OptId = None
    bwlimit: OptId = None
    suspendreason: OptText = None
    promoid: OptId = None
    unset: Words = None
    autorecalc: OptBool = None
    customfields: OptText = None
    configoptions: OptText = None


def _values(conn: Connection, p: Params) -> dict:
    if p.pid and conn.execute(tblproducts.select().where(
            tblproducts.c.id == p.pid)).first() is None:
        raise NotFound("Product ID Not Found")
    require_promotion(conn, p.promoid)
    return given(p, COLUMNS) | unset_columns(p.unset or [], UNSET)


@action("UpdateClientProduct")
def update_client_product(ctx: Context, raw: dict) -> dict:
    p = parse(Params, raw)
    row = update_item(ctx.engine, p, table=tblhosting, kind=SERVICE, row_id=p.serviceid,
                      missing="Service ID Not Found", unsupported=UNSUPPORTED,
                      values=lambda conn: _values(conn, p))
    return {"serviceid": str(row.id)}
