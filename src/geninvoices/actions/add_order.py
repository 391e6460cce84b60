"""AddOrder [doc]: an order for a client, the services, addons and domains it creates, and
their first invoice in the same transaction (rules §13).

WHMCS pairs its arrays by index: ``pid[i]`` with ``billingcycle[i]``, ``domain[i]``,
``priceoverride[i]`` and ``addons[i]``; ``domaintype[i]`` = ``register`` with ``domain[i]``
and ``regperiod[i]`` registers that domain (with or without a product at ``i``). An
addon-only order names existing services: ``addonid`` with ``serviceid``, or ``addonids[i]``
with ``serviceids[i]``. A single value counts as a one-element array.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated

from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

from .. import catalogue, mailer
from ..billing.run import start_run
from ..db import deadlock_retried
from ..errors import BadParameter, BusinessError, NotFound
from ..orders import OrderRequest, ProductOrder, place_order
from ..runs import run_config
from .params import ActionParams, PhpBool, Text, WholeNumber, amount, id_list, parse
from .params import whole_number as whole
from .registry import Context, action


def indexed(value: object) -> list[tuple[int, str]]:
    """A PHP array as (position, text) pairs in position order: ``x[0]=a&x[1]=b``,
    ``x[]=a``, or one plain value (position 0)."""
    if isinstance(value, dict):
        if not all(isinstance(key, str) and _POSITION.fullmatch(key) for key in value):
            raise PydanticCustomError("array", "must be an indexed array")
        pairs = {int(key): item for key, item in value.items()}
    elif isinstance(value, list):
        pairs = dict(enumerate(value))
    else:
        pairs = {0: value}
    if not all(isinstance(item, str) for item in pairs.values()):
        raise PydanticCustomError("array", "must be an array of single values")
    return sorted(pairs.items())


_POSITION = re.compile(r"[0-9]{1,9}")
Indexed = Annotated[list[tuple[int, str]], BeforeValidator(indexed)]
# the arrays WHMCS pairs by index
PAIRED = ("pid", "billingcycle", "domain", "priceoverride", "addons", "domaintype",
          "regperiod", "serviceids")
UNSUPPORTED = ("configoptions", "domainrenewals", "servicerenewals", "addonrenewals",
               "domainpriceoverride", "domainrenewoverride")


class Params(ActionParams):
    clientid: WholeNumber | None = None
    paymentmethod: Text = ""
    pid: Indexed = []
    billingcycle: Indexed = []
    domain: Indexed = []
    priceoverride: Indexed = []
    addons: Indexed = []
    domaintype: Indexed = []
    regperiod: Indexed = []
    addonid: WholeNumber | None = None
    serviceid: WholeNumber | None = None
    addonids: Indexed = []
    serviceids: Indexed = []
    promocode: Text = ""
    promooverride: PhpBool = False
    noinvoice: PhpBool = False
    noinvoiceemail: PhpBool = False
    noemail: PhpBool = False  # no Order Confirmation email exists here to suppress
    clientip: Text = ""
    qty: Indexed = []


def _field(name: str, parse_one, value: str):
    try:
        return parse_one(value)
    except PydanticCustomError as error:
        raise BadParameter(name, error.message()) from None


def _product(a: dict, i: int) -> ProductOrder:
    pid = _field("pid", whole, a["pid"][i])
    word = a["billingcycle"].get(i, "")
    cycle = catalogue.cycle_key(word)
    if cycle in (catalogue.ONE_TIME, catalogue.FREE):
        raise BusinessError(f"Invalid Billing Cycle: {word.strip()} products cannot be "
                            "ordered through this server yet; nothing was ordered")
    if cycle is None:
        raise BusinessError(f"Invalid Billing Cycle: {word.strip() or '(none)'} for product "
                            f"{pid}")
    override = a["priceoverride"].get(i, "").strip()
    price: Decimal | None = _field("priceoverride", amount, override) if override else None
    addons = tuple(_field("addons", id_list, a["addons"].get(i, "")))
    return ProductOrder(pid, cycle, a["domain"].get(i, ""), price, addons)


def _registration(a: dict, i: int) -> tuple[str, int] | None:
    kind = a["domaintype"].get(i, "").strip().lower()
    if not kind:
        return None
    if kind == "transfer":
        raise BusinessError("Domain transfers are not supported by this server")
    if kind != "register":
        raise BadParameter("domaintype", "must be register or transfer")
    name = a["domain"].get(i, "").strip()
    if not name:
        raise BadParameter("domain", "a domain to register needs its name")
    period = a["regperiod"].get(i, "").strip()
    return name, _field("regperiod", whole, period) if period else 1


def _addon_only(p: Params, a: dict) -> list[tuple[int, int]]:
    pairs = [(p.addonid, p.serviceid)] if p.addonid is not None else []
    for i, addon in p.addonids:
        pairs.append((_field("addonids", whole, addon),
                      _field("serviceids", whole, a["serviceids"].get(i, ""))))
    if any(service is None for _, service in pairs):
        raise BusinessError("Service ID not owned by Client ID provided")
    return pairs


def _refuse_unsupported(raw: dict, p: Params) -> None:
    """Parameters that would change what is charged but are not implemented here are
    refused, never ignored: an order must cost what the caller asked for (rules §13)."""
    for name in UNSUPPORTED:
        if raw.get(name) not in (None, "", [], {}):
            raise BusinessError(f"{name} is not supported by this server; nothing was ordered")
    if any(q.strip() not in ("", "1") for _, q in p.qty):
        raise BusinessError("qty other than 1 is not supported by this server; "
                            "nothing was ordered")


def order_request(p: Params, address: str) -> OrderRequest:
    a = {name: dict(getattr(p, name)) for name in PAIRED}
    products, domains = [], []
    for i in sorted(set(a["pid"]) | set(a["domaintype"])):
        if a["pid"].get(i, "").strip():
            products.append(_product(a, i))
        if (registration := _registration(a, i)) is not None:
            domains.append(registration)
    return OrderRequest(
        p.clientid, p.paymentmethod.strip(), tuple(products), tuple(domains),
        tuple(_addon_only(p, a)), p.promocode, p.promooverride, p.noinvoice,
        p.clientip.strip() or address)


@action("AddOrder")
def add_order(ctx: Context, raw: dict) -> dict:
    p = parse(Params, raw)
    if p.clientid is None:
        raise NotFound("Client ID Not Found")
    _refuse_unsupported(raw, p)
    request = order_request(p, ctx.address)
    config = run_config(ctx.settings, emails=not p.noinvoiceemail)
    # a deadlock's victim (the order and a run's chunk, say, each waiting on the other's
    # rows) wrote nothing: the order is placed again from the start (rules §9, §13)
    placed = deadlock_retried(
        ctx.engine, lambda conn: place_order(conn, start_run(conn, config), request),
        what="an order")
    if placed.invoiceid and config.emails:
        mailer.notify()  # the server's sender mails it, after the commit (rules §5.6)
    return {"orderid": str(placed.orderid),
            "serviceids": ",".join(map(str, placed.serviceids)),
            "addonids": ",".join(map(str, placed.addonids)),
            "domainids": ",".join(map(str, placed.domainids)),
            "invoiceid": str(placed.invoiceid)}

