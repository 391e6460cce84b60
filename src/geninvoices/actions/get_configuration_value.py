"""GetConfigurationValue [doc]: one ``tblconfiguration`` value by its setting name."""

from __future__ import annotations

from sqlalchemy import Connection, bindparam, select

from ..db import Prepared
from ..errors import BusinessError, NotFound
from ..models.whmcs import tblconfiguration
from .params import ActionParams, Text, parse
from .registry import read_action

# on every call of the most frequent read: straight to the driver (db.Prepared)
_VALUE = Prepared(select(tblconfiguration.c.value)
                  .where(tblconfiguration.c.setting == bindparam("s")))


class Params(ActionParams):
    setting: Text = ""


@read_action("GetConfigurationValue")
def get_configuration_value(conn: Connection, raw: dict) -> dict:
    setting = parse(Params, raw).setting.strip()
    if not setting:
        raise BusinessError("Parameter setting is required")
    found = _VALUE.rows(conn, {"s": setting})
    value = found[0][0] if found else None
    if value is None:
        raise NotFound(f"Invalid setting: {setting}")
    return {"setting": setting, "value": value}

