"""The catalogue as an order reads it (rules §12): active payment gateways, a product's price
for a cycle and currency, a TLD's price for a number of years; and the two things WHMCS's API
cannot make, product groups and activated gateways, written as WHMCS lays them out.

Prices come back exactly as stored (two-place ``Decimal``); a price below zero is WHMCS's
``-1``, "not offered", and reads as ``None``. The columns are the engine's own
(``billing/promotions.py``), so an order and a renewal read the same cell.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Connection, func, insert, select

from .billing.money import to_money
from .billing.promotions import renewal_column
from .clock import utcnow
from .errors import BusinessError
from .models.whmcs import tbldomainpricing, tblpaymentgateways, tblpricing, tblproductgroups

ZERO = Decimal("0.00")
# a cycle's setup-fee column, beside its recurring column (PRICE_COLUMNS)
SETUP_COLUMNS = {"monthly": "msetupfee", "quarterly": "qsetupfee",
                 "semiannually": "ssetupfee", "annually": "asetupfee",
                 "biennially": "bsetupfee", "triennially": "tsetupfee"}
# WHMCS keeps a one-time product's price in the monthly columns (rules §12)
ONE_TIME = "onetime"
FREE = "free"
DOMAIN_KINDS = {"register": "domainregister", "renew": "domainrenew",
                "transfer": "domaintransfer"}


def cycle_key(cycle: str) -> str | None:
    """A billing cycle as the API spells it (``semiannually``, ``onetime``) or as tblhosting
    stores it (``Semi-Annually``, ``One Time``, ``Free Account``), reduced to the API's word;
    None when it is no cycle."""
    word = cycle.strip().lower().replace("-", "").replace(" ", "")
    if word in ("freeaccount", FREE):
        return FREE
    if word == ONE_TIME:
        return ONE_TIME
    return word if word in SETUP_COLUMNS else None


def active_gateways(conn: Connection) -> dict[str, str]:
    """module -> display name of every activated gateway, in WHMCS's display order.

    WHMCS stores a gateway as rows (gateway, setting, value, order); activating writes its
    ``name`` (display name), ``type`` and ``visible`` settings (rules §12). A gateway is
    active when it has a ``name`` row; the order is that row's ``order``, then its id."""
    g = tblpaymentgateways
    rows = conn.execute(select(g.c.gateway, g.c.value)
                        .where(g.c.setting == "name", g.c.gateway != "")
                        .order_by(g.c.order, g.c.id))
    found: dict[str, str] = {}
    for module, name in rows:
        found.setdefault(module, name or module)
    return found


def product_price(conn: Connection, pid: int, currency: int,
                  cycle: str) -> tuple[Decimal, Decimal] | None:
    """(setup fee, recurring price) of product ``pid`` for ``cycle`` in ``currency``, as
    stored; None when the product has no price row in that currency or the cycle is not
    offered (-1). A free cycle costs (0, 0). ``cycle`` is a cycle_key spelling; any other
    raises ValueError."""
    key = cycle_key(cycle)
    if key is None:
        raise ValueError(f"not a billing cycle: {cycle!r}")
    if key == FREE:
        return ZERO, ZERO
    column = "monthly" if key == ONE_TIME else key
    row = _price_row(conn, "product", pid, currency)
    if row is None:
        return None
    recurring = to_money(row[column])
    if recurring < 0:
        return None
    return max(to_money(row[SETUP_COLUMNS[column]]), ZERO), recurring


def addon_price(conn: Connection, addon_id: int, currency: int,
                cycle: str) -> tuple[Decimal, Decimal] | None:
    """(setup fee, recurring price) of catalogue addon ``addon_id`` for ``cycle`` in
    ``currency``: tblpricing type ``addon``, laid out as a product's (rules §12, §13). None
    when ``cycle`` is not a recurring cycle_key word (monthly to triennially), the addon has
    no price row in that currency or the cycle is not offered (-1)."""
    if cycle not in SETUP_COLUMNS:
        return None
    row = _price_row(conn, "addon", addon_id, currency)
    if row is None or to_money(row[cycle]) < 0:
        return None
    return max(to_money(row[SETUP_COLUMNS[cycle]]), ZERO), to_money(row[cycle])


def domain_price(conn: Connection, tld: str, currency: int, years: int,
                 kind: str) -> Decimal | None:
    """The price of ``kind`` (register, renew or transfer) of ``years`` years of extension
    ``tld`` (``.com`` or ``com``, any case) in ``currency``, as stored; None when the TLD,
    its row in that currency or that period is not offered (-1)."""
    column = renewal_column(years)
    type_ = DOMAIN_KINDS.get(kind)
    if type_ is None:
        raise ValueError(f"not a domain price kind: {kind!r}")
    relid = tld_id(conn, tld)
    if column is None or relid is None:
        return None
    row = _price_row(conn, type_, relid, currency)
    if row is None:
        return None
    value = to_money(row[column])
    return value if value >= 0 else None


def tld_id(conn: Connection, tld: str) -> int | None:
    """tbldomainpricing's id of an extension (lowest id when duplicated)."""
    ext = "." + tld.strip().lower().lstrip(".")
    tp = tbldomainpricing
    return conn.execute(select(func.min(tp.c.id))
                        .where(func.lower(tp.c.extension) == ext)).scalar()


def _price_row(conn: Connection, type_: str, relid: int, currency: int) -> dict | None:
    pr = tblpricing
    row = conn.execute(select(pr).where(pr.c.type == type_, pr.c.relid == relid,
                                        pr.c.currency == currency)
                       .order_by(pr.c.id).limit(1)).first()
    return dict(row._mapping) if row else None


# --- product groups and gateways (the command line's; WHMCS's API has no action) -----------

GATEWAY_TYPES = ("Invoices", "CC")
_MODULE = re.compile(r"[a-z0-9_]{1,64}")


@dataclass(frozen=True)
class Group:
    id: int
    name: str
    hidden: bool
    order: int


def product_groups(conn: Connection) -> list[Group]:
    pg = tblproductgroups
    return [Group(r.id, r.name or "", bool(r.hidden), r.order or 0)
            for r in conn.execute(select(pg).order_by(pg.c.order, pg.c.id))]


def add_product_group(conn: Connection, name: str, *, hidden: bool = False) -> int:
    """A new group after the others; a blank or already used name is refused."""
    name = name.strip()
    if not name:
        raise BusinessError("a product group needs a name")
    pg = tblproductgroups
    same = conn.execute(select(pg.c.id).where(func.lower(pg.c.name) == name.lower())).scalar()
    if same is not None:
        raise BusinessError(f"a product group named {name!r} already exists (id {same})")
    last = conn.execute(select(func.max(pg.c.order))).scalar() or 0
    now = utcnow()
    return conn.execute(insert(pg).values(
        name=name, headline="", tagline="", orderfrmtpl="", disabledgateways="",
        hidden=int(hidden), order=last + 1, created_at=now, updated_at=now,
    )).inserted_primary_key[0]


@dataclass(frozen=True)
class Gateway:
    module: str
    name: str
    type: str
    visible: bool
    order: int


def gateways(conn: Connection) -> list[Gateway]:
    """Every active gateway with its display settings, in display order."""
    g = tblpaymentgateways
    names = active_gateways(conn)
    settings: dict[str, dict[str, str]] = {m: {} for m in names}
    order: dict[str, int] = {}
    for r in conn.execute(select(g).where(g.c.gateway.in_(names)).order_by(g.c.id)):
        settings[r.gateway].setdefault(r.setting, r.value or "")
        if r.setting == "name":
            order.setdefault(r.gateway, r.order or 0)
    return [Gateway(m, n, settings[m].get("type", ""), settings[m].get("visible", "") == "on",
                    order.get(m, 0)) for m, n in names.items()]


def activate_gateway(conn: Connection, module: str, name: str, *, type_: str = "Invoices",
                     visible: bool = True) -> int:
    """Activate ``module``: its ``name``, ``type`` and ``visible`` rows, all carrying the
    gateway's place after the others (rules §12). Returns that place."""
    module, name = module.strip(), name.strip()
    if not _MODULE.fullmatch(module):
        raise BusinessError(f"bad gateway module name {module!r}: use the module's system "
                            "name, lower-case letters, digits and _ (e.g. banktransfer)")
    if not name:
        raise BusinessError("a gateway needs a display name (--name)")
    if type_ not in GATEWAY_TYPES:
        raise BusinessError(f"bad gateway type {type_!r}: one of {', '.join(GATEWAY_TYPES)}")
    if module in active_gateways(conn):
        raise BusinessError(f"gateway {module!r} is already active")
    g = tblpaymentgateways
    place = (conn.execute(select(func.max(g.c.order))).scalar() or 0) + 1
    conn.execute(insert(g), [
        {"gateway": module, "setting": setting, "value": value, "order": place}
        for setting, value in (("name", name), ("type", type_),
                               ("visible", "on" if visible else ""))])
    return place
