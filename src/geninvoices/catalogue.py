"""The catalogue as an order reads it (rules §12): active payment gateways, a product's price
for a cycle and currency, a TLD's price for a number of years.

Prices come back exactly as stored (two-place ``Decimal``); a price below zero is WHMCS's
``-1``, "not offered", and reads as ``None``. The columns are the engine's own
(``billing/promotions.py``), so an order and a renewal read the same cell.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Connection, func, select

from .billing.money import to_money
from .billing.promotions import renewal_column
from .models.whmcs import tbldomainpricing, tblpaymentgateways, tblpricing

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
