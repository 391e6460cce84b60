"""UpdateClientProduct [doc]: change a service's columns in ``tblhosting`` (rules §14.3).

Every documented parameter that has a ``tblhosting`` column is written as given; blank or
absent leaves the column alone. ``billingcycle`` (not on WHMCS's page, asked for by
integrators and by the issue) takes WHMCS's cycle names. A new ``nextduedate`` moves
``nextinvoicedate`` with it, within what was billed (``billing/reschedule.py``).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update

from ..billing.kinds import SERVICE
from ..billing.reschedule import new_due_date
from ..db import transaction
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
    locked,
    refuse_unsupported,
    require_promotion,
    unset_columns,
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


@action("UpdateClientProduct")
def update_client_product(ctx: Context, raw: dict) -> dict:
    p = parse(Params, raw)
    with transaction(ctx.engine) as conn:
        row = locked(conn, tblhosting, p.serviceid, "Service ID Not Found")
        refuse_unsupported(p, UNSUPPORTED)
        if p.pid and conn.execute(tblproducts.select().where(
                tblproducts.c.id == p.pid)).first() is None:
            raise NotFound("Product ID Not Found")
        require_promotion(conn, p.promoid)
        values = given(p, COLUMNS) | unset_columns(p.unset or [], UNSET)
        if p.nextduedate is not None:
            values |= new_due_date(conn, SERVICE, row, p.nextduedate)
        if values:
            values["updated_at"] = dt.datetime.now(dt.UTC).replace(tzinfo=None)
            conn.execute(update(tblhosting).where(tblhosting.c.id == row.id).values(values))
    return {"serviceid": str(row.id)}
