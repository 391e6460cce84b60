"""UpdateClientAddon [doc]: change a service addon's columns in ``tblhostingaddons``
(rules §14.3). ``Nothing to Update`` when no documented field is given, as WHMCS answers."""

from __future__ import annotations

from sqlalchemy import Connection, select

from ..billing.kinds import ADDON
from ..errors import NotFound
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
    update_item,
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


def _values(conn: Connection, p: Params) -> dict:
    if p.addonid and conn.execute(select(tbladdons.c.id).where(
            tbladdons.c.id == p.addonid)).first() is None:
        raise NotFound("Product Addon ID Not Found")
    return given(p, COLUMNS)


@action("UpdateClientAddon")
def update_client_addon(ctx: Context, raw: dict) -> dict:
    p = parse(Params, raw)
    row = update_item(ctx.engine, p, table=tblhostingaddons, kind=ADDON, row_id=p.id,
                      missing="Addon ID Not Found", unsupported=("autorecalc",),
                      values=lambda conn: _values(conn, p), nothing="Nothing to Update")
    return {"id": str(row.id)}
