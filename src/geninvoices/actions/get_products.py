"""GetProducts [doc]: products by id(s), group or module, with their prices per currency in
WHMCS's documented shape (rules §12)."""

from __future__ import annotations

from sqlalchemy import Connection, and_, select

from ..catalogue import SETUP_COLUMNS
from ..models.whmcs import (
    tblconfiguration,
    tblcurrencies,
    tblpricing,
    tblproductgroups,
    tblproducts,
)
from . import fields as f
from .add_product import slugify
from .params import ActionParams, IdList, Text, WholeNumber, parse
from .registry import read_action

# the example's order: setup fees, then recurring prices
PRICE_KEYS = (*SETUP_COLUMNS.values(), *SETUP_COLUMNS)


class Params(ActionParams):
    pid: IdList = []
    gid: WholeNumber | None = None
    module: Text = ""


def _where(p: Params):
    pr, where = tblproducts, []
    if p.pid:
        where.append(pr.c.id.in_(p.pid))
    if p.gid is not None:
        where.append(pr.c.gid == p.gid)
    if p.module.strip():
        where.append(pr.c.servertype == p.module.strip())
    return and_(True, *where)


def _pricing(conn: Connection, pids: list[int]) -> dict[int, dict[str, dict]]:
    """Each product's stored prices, by currency code (a row whose currency names no
    currency is left out: it has no code to go under)."""
    pr, cur = tblpricing, tblcurrencies
    rows = conn.execute(select(pr, cur.c.code, cur.c.prefix, cur.c.suffix)
                        .join(cur, cur.c.id == pr.c.currency)
                        .where(pr.c.type == "product", pr.c.relid.in_(pids))
                        .order_by(pr.c.currency, pr.c.id))
    found: dict[int, dict[str, dict]] = {pid: {} for pid in pids}
    for r in rows:
        found[r.relid].setdefault(r.code, {
            "prefix": r.prefix or "", "suffix": r.suffix or "",
            **{key: f.money(getattr(r, key)) for key in PRICE_KEYS}})
    return found


def _store_url(conn: Connection) -> str:
    url = conn.execute(select(tblconfiguration.c.value)
                       .where(tblconfiguration.c.setting == "SystemURL")).scalar()
    return (url or "").strip().rstrip("/")


def product_row(r, pricing: dict, store: str) -> dict:
    url = f"{store}/{slugify(r.group_name or '')}/{r.slug}" if store and r.slug else ""
    return {
        "pid": f.integer(r.id), "gid": f.integer(r.gid), "type": r.type or "",
        "name": r.name or "", "slug": r.slug or "", "product-url": url,
        "description": r.description or "", "module": r.servertype or "",
        "paytype": r.paytype or "", "allowqty": f.integer(r.allowqty),
        "quantity_available": f.integer(r.qty) if r.stockcontrol else 0,
        "pricing": pricing, "customfields": {"customfield": []},
        "configoptions": {"configoption": []},
    }


@read_action("GetProducts")
def get_products(conn: Connection, raw: dict) -> dict:
    p = parse(Params, raw)
    pr, pg = tblproducts, tblproductgroups
    rows = conn.execute(select(pr, pg.c.name.label("group_name"))
                        .outerjoin(pg, pg.c.id == pr.c.gid)
                        .where(_where(p)).order_by(pr.c.id)).all()
    pricing = _pricing(conn, [r.id for r in rows]) if rows else {}
    store = _store_url(conn) if rows else ""
    products = [product_row(r, pricing[r.id], store) for r in rows]
    return {"totalresults": len(products), "startnumber": 0, "numreturned": len(products),
            "products": {"product": products}}
