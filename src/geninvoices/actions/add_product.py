"""AddProduct [doc]: a product in a group, with its prices per currency and cycle (rules §12).

Every documented parameter that has a `tblproducts` column is stored there (`module` is
`servertype`, `servergroupid` is `servergroup`, `isFeatured` is `is_featured`); the ones
WHMCS keeps elsewhere (`shortdescription`, `tagline`, `color`, `recommendations`) are checked
as documented and not stored, as the WHMCS 8 schema we follow has no place for them.
Prices go to `tblpricing` (`actions/pricing.py`). The documented errors come in the
documented order; nothing is written unless every parameter is good.
"""

from __future__ import annotations

import re

from sqlalchemy import Connection, func, insert, select

from ..clock import utcnow
from ..db import transaction
from ..errors import BusinessError
from ..models.whmcs import tblpricing, tblproductgroups, tblproducts
from .params import ActionParams, PhpBool, Text, WholeNumber, parse
from .pricing import product_pricing
from .registry import Context, action

TYPES = ("hostingaccount", "reselleraccount", "server", "other")
PAYTYPES = ("free", "onetime", "recurring")
AUTOSETUP = ("", "on", "order", "payment")
_ID = re.compile(r"[0-9]{1,10}")
_COLOR = re.compile(r"#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
_SLUG_GAPS = re.compile(r"[^a-z0-9]+")
SLUG_MAX = 128  # tblproducts.slug is varchar(128)


class Params(ActionParams):
    name: Text = ""
    gid: Text = ""
    slug: Text = ""
    type: Text = ""
    stockcontrol: PhpBool = False
    qty: WholeNumber = 0
    paytype: Text = ""
    hidden: PhpBool = False
    showdomainoptions: PhpBool = False
    tax: PhpBool = False
    isFeatured: PhpBool = False  # noqa: N815 - WHMCS's spelling
    proratabilling: PhpBool = False
    description: Text = ""
    shortdescription: Text = ""
    tagline: Text = ""
    color: Text = ""
    welcomeemail: Text = ""
    proratadate: WholeNumber = 0
    proratachargenextmonth: WholeNumber = 0
    subdomain: Text = ""
    autosetup: Text = ""
    module: Text = ""
    servergroupid: WholeNumber = 0
    configoption1: Text = ""
    configoption2: Text = ""
    configoption3: Text = ""
    configoption4: Text = ""
    configoption5: Text = ""
    configoption6: Text = ""
    order: WholeNumber = 0


def _whole(value: str) -> int | None:
    value = value.strip(" ")
    return int(value) if _ID.fullmatch(value) and int(value) <= 2147483647 else None


def _group(conn: Connection, p: Params) -> int:
    gid = _whole(p.gid)
    pg = tblproductgroups
    if gid is None or conn.execute(select(pg.c.id).where(pg.c.id == gid)).first() is None:
        raise BusinessError("You must supply a valid Product Group ID")
    return gid


def _choices(p: Params, pricing_given: bool) -> tuple[str, str, str]:
    """type, paytype, autosetup, or the documented error of the first bad one."""
    type_ = p.type.strip().lower() or "other"
    if type_ not in TYPES:
        raise BusinessError('Invalid product type. Must be one of "hostingaccount", '
                            '"reselleraccount", "server" or "other"')
    # rules §12: without a paytype, a priced product recurs and an unpriced one is free
    paytype = p.paytype.strip().lower() or ("recurring" if pricing_given else "free")
    if paytype not in PAYTYPES:
        raise BusinessError('Invalid pay type. Must be one of "free", "onetime" or '
                            '"recurring"')
    autosetup = p.autosetup.strip().lower()
    if autosetup not in AUTOSETUP:
        raise BusinessError('Invalid autosetup value. Must be one of "", "on", "order" or '
                            '"payment"')
    return type_, paytype, autosetup


def _recommendations(conn: Connection, raw: dict) -> None:
    given = raw.get("recommendations")
    if given in (None, ""):
        return
    entries = list(given.values()) if isinstance(given, dict) else (
        given if isinstance(given, list) else [given])
    for entry in entries:
        pid = _whole(str(entry.get("id", ""))) if isinstance(entry, dict) else None
        if pid is None or conn.execute(select(tblproducts.c.id).where(
                tblproducts.c.id == pid)).first() is None:
            raise BusinessError("The recommendation product ID is invalid. This must be an "
                                "existing product ID.")


def slugify(text: str) -> str:
    return _SLUG_GAPS.sub("-", text.lower()).strip("-")[:SLUG_MAX].strip("-")


def _slug(conn: Connection, p: Params, gid: int) -> str:
    """The given slug, or one made from the name, unique in its group (``-2``, ``-3``...)."""
    base = slugify(p.slug or p.name) or "product"
    taken = set(conn.execute(select(tblproducts.c.slug).where(tblproducts.c.gid == gid))
                .scalars())
    if p.slug.strip() and base in taken:
        raise BusinessError(f"The slug {base} is already in use in this product group")
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base[:SLUG_MAX - len(str(n)) - 1]}-{n}"
    return slug


def product_row(conn: Connection, p: Params, raw: dict) -> dict:
    """The tblproducts row, or the first documented error the parameters make."""
    name = p.name.strip()
    if not name:
        raise BusinessError("You must supply a name for the product")
    gid = _group(conn, p)
    welcome = _whole(p.welcomeemail or "0")
    if welcome is None:
        raise BusinessError("You must supply a valid welcome email ID")
    type_, paytype, autosetup = _choices(p, raw.get("pricing") not in (None, ""))
    if p.color.strip() and not _COLOR.fullmatch(p.color.strip()):
        raise BusinessError("The color must be a valid hexadecimal value.")
    _recommendations(conn, raw)
    options = {f"configoption{n}": getattr(p, f"configoption{n}") for n in range(1, 7)}
    return {
        "type": type_, "gid": gid, "name": name, "slug": _slug(conn, p, gid),
        "description": p.description, "hidden": int(p.hidden),
        "showdomainoptions": int(p.showdomainoptions), "welcomeemail": welcome,
        "stockcontrol": int(p.stockcontrol), "qty": p.qty,
        "proratabilling": int(p.proratabilling), "proratadate": p.proratadate,
        "proratachargenextmonth": p.proratachargenextmonth, "paytype": paytype,
        "subdomain": p.subdomain.strip(), "autosetup": autosetup,
        "servertype": p.module.strip(), "servergroup": p.servergroupid, **options,
        "tax": int(p.tax), "order": p.order or _next_order(conn, gid),
        "is_featured": int(p.isFeatured), "retired": 0,
    }


def _next_order(conn: Connection, gid: int) -> int:
    last = conn.execute(select(func.max(tblproducts.c.order))
                        .where(tblproducts.c.gid == gid)).scalar()
    return (last or 0) + 1


@action("AddProduct")
def add_product(ctx: Context, raw: dict) -> dict:
    p = parse(Params, raw)
    with transaction(ctx.engine) as conn:
        row = product_row(conn, p, raw)
        pricing = product_pricing(conn, raw.get("pricing") or {})
        now = utcnow()
        pid = conn.execute(insert(tblproducts).values(
            **row, created_at=now, updated_at=now)).inserted_primary_key[0]
        if pricing:
            conn.execute(insert(tblpricing), [
                {"type": "product", "currency": currency, "relid": pid, **columns}
                for currency, columns in pricing.items()])
    return {"pid": int(pid)}
