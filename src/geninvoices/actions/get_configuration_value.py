"""GetConfigurationValue [doc]: one ``tblconfiguration`` value by its setting name."""

from __future__ import annotations

from sqlalchemy import Connection, bindparam, select

from ..errors import BusinessError, NotFound
from ..models.whmcs import tblconfiguration
from .params import ActionParams, Text, parse
from .registry import read_action

_VALUE = select(tblconfiguration.c.value).where(tblconfiguration.c.setting == bindparam("s"))


class Params(ActionParams):
    setting: Text = ""


@read_action("GetConfigurationValue")
def get_configuration_value(conn: Connection, raw: dict) -> dict:
    setting = parse(Params, raw).setting.strip()
    if not setting:
        raise BusinessError("Parameter setting is required")
    value = conn.execute(_VALUE, {"s": setting}).scalar()
    if value is None:
        raise NotFound(f"Invalid setting: {setting}")
    return {"setting": setting, "value": value}

