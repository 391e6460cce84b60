"""UpdateClientAddon [doc]: change a service addon's columns in ``tblhostingaddons``
(rules §14.3). ``Nothing to Update`` when no documented field is given, as WHMCS answers."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from ..billing.kinds import ADDON
from ..billing.reschedule import new_due_date
from ..db import transaction
from ..errors import BusinessError, NotFound
from ..models.whmcs import tbladdons, tblhostingaddons
from .params import ActionParams, WholeNumber, parse
from .registry import Context, action
from .services import (
    OptAmount,
    OptBool,
    OptCycle,
    OptDay,
    OptId,
    OptText,
    ServiceStatus,
    given,
    locked,
    refuse_unsupported,
)

COLUMNS = {"status": "status", "terminationDate": "termination_date", "addonid": "addonid",
           "name": "name", "setupfee": "setupfee", "recurring": "recurring",
           "billingcycle": "billingcycle", "notes": "notes"}


class Params(ActionParams):
    id: WholeNumber | None = None
    status: ServiceStatus = None
    terminationDate: OptDay = None  # noqa: N815 - WHMCS's spelling
    addonid: OptId = None
    name: OptText = None
    setupfee: OptAmount = None
    recurring: OptAmount = None
    billingcycle: OptCycle = None
    nextduedate: OptDay = None
    notes: OptText = None
    autorecalc: OptBool = None


@action("UpdateClientAddon")
def update_client_addon(ctx: Context, raw: dict) -> dict:
    p = parse(Params, raw)
    with transaction(ctx.engine) as conn:
        row = locked(conn, tblhostingaddons, p.id, "Addon ID Not Found")
        refuse_unsupported(p, ("autorecalc",))
        if p.addonid and conn.execute(select(tbladdons.c.id).where(
                tbladdons.c.id == p.addonid)).first() is None:
            raise NotFound("Product Addon ID Not Found")
        values = given(p, COLUMNS)
        if p.nextduedate is not None:
            values |= new_due_date(conn, ADDON, row, p.nextduedate)
        if not values:
            raise BusinessError("Nothing to Update")
        values["updated_at"] = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        t = tblhostingaddons
        conn.execute(update(t).where(t.c.id == row.id).values(values))
    return {"id": str(row.id)}
