"""GetConfigurationValue [doc]: one ``tblconfiguration`` value by its setting name."""

from __future__ import annotations

from sqlalchemy import bindparam, select

from ..db import transaction
from ..errors import BusinessError, NotFound
from ..models.whmcs import tblconfiguration
from .params import ActionParams, Text, parse
from .registry import Context, action

_VALUE = select(tblconfiguration.c.value).where(tblconfiguration.c.setting == bindparam("s"))


class Params(ActionParams):
    setting: Text = ""


@action("GetConfigurationValue")
def get_configuration_value(ctx: Context, raw: dict) -> dict:
    setting = parse(Params, raw).setting.strip()
    if not setting:
        raise BusinessError("Parameter setting is required")
    with transaction(ctx.engine, write=False) as conn:
        value = conn.execute(_VALUE, {"s": setting}).scalar()
    if value is None:
        raise NotFound(f"Invalid setting: {setting}")
    return {"setting": setting, "value": value}

