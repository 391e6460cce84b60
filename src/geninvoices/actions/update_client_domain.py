"""UpdateClientDomain [doc]: change a domain's columns in ``tbldomains`` (rules §14.3).

As UpdateClientProduct: documented parameters with a column are written as given, blank or
absent leaves a column alone, a new ``nextduedate`` moves ``nextinvoicedate`` with it.
Nameservers live at the registrar, which geninvoices does not talk to: ``updatens`` is
refused, and ``ns1`` to ``ns5`` are only read with it, as in WHMCS.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError
from sqlalchemy import Connection

from ..billing.cycles import MAX_DOMAIN_YEARS
from ..billing.kinds import DOMAIN
from ..models.whmcs import tbldomains
from .params import ActionParams, WholeNumber, blank_is_none, parse, whole_number
from .registry import Context, action
from .services import (
    DomainStatus,
    DomainType,
    OptAmount,
    OptBool,
    OptDay,
    OptId,
    OptText,
    given,
    require_promotion,
    update_item,
)

COLUMNS = {
    "type": "type", "regdate": "registrationdate", "expirydate": "expirydate",
    "domain": "domain", "firstpaymentamount": "firstpaymentamount",
    "recurringamount": "recurringamount", "registrar": "registrar",
    "regperiod": "registrationperiod", "paymentmethod": "paymentmethod",
    "subscriptionid": "subscriptionid", "status": "status", "notes": "additionalnotes",
    "promoid": "promoid",
}
FLAGS = ("dnsmanagement", "emailforwarding", "idprotection", "donotrenew")
UNSUPPORTED = ("autorecalc", "updatens")


def years(value: object) -> int:
    number = whole_number(value)
    if not 1 <= number <= MAX_DOMAIN_YEARS:
        raise PydanticCustomError("years", f"must be 1 to {MAX_DOMAIN_YEARS} years")
    return number


Years = Annotated[int | None, BeforeValidator(
    lambda v: None if (v := blank_is_none(v)) is None else years(v))]


class Params(ActionParams):
    domainid: WholeNumber | None = None
    dnsmanagement: OptBool = None
    emailforwarding: OptBool = None
    idprotection: OptBool = None
    donotrenew: OptBool = None
    type: DomainType = None
    regdate: OptDay = None
    nextduedate: OptDay = None
    expirydate: OptDay = None
    domain: OptText = None
    firstpaymentamount: OptAmount = None
    recurringamount: OptAmount = None
    registrar: OptText = None
    regperiod: Years = None
    paymentmethod: OptText = None
    subscriptionid: OptText = None
    status: DomainStatus = None
    notes: OptText = None
    promoid: OptId = None
    autorecalc: OptBool = None
    updatens: OptBool = None


def _values(conn: Connection, p: Params) -> dict:
    require_promotion(conn, p.promoid)
    values = given(p, COLUMNS)
    values |= {flag: int(getattr(p, flag)) for flag in FLAGS if getattr(p, flag) is not None}
    return values


@action("UpdateClientDomain")
def update_client_domain(ctx: Context, raw: dict) -> dict:
    p = parse(Params, raw)
    row = update_item(ctx.engine, p, table=tbldomains, kind=DOMAIN, row_id=p.domainid,
                      missing="Domain ID Not Found", unsupported=UNSUPPORTED,
                      values=lambda conn: _values(conn, p))
    return {"domainid": str(row.id)}
