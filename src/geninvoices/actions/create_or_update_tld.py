"""CreateOrUpdateTLD [doc]: a TLD's settings and its register/renew/transfer prices per
number of years (rules §12).

The TLD is a `tbldomainpricing` row (its `extension` with the leading dot, lower case); its
prices are `tblpricing` rows of type `domainregister`, `domainrenew` and `domaintransfer`
whose `relid` is that row's id, one per currency, N years in the N-th column
(`catalogue.py:domain_price` and the engine read them so). Prices come in `currency_code`
and, as documented, are converted into every currency with an exchange rate. Only the
parameters given change an existing TLD; nothing is written unless every parameter is good.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Connection, func, insert, select, update

from ..billing.money import round_money
from ..billing.promotions import renewal_column
from ..catalogue import DOMAIN_KINDS, tld_id
from ..clock import utcnow
from ..db import transaction
from ..errors import BadParameter, BusinessError
from ..models.whmcs import tblcurrencies, tbldomainpricing, tblpricing
from .params import ActionParams, PhpBool, Text, WholeNumber, parse
from .pricing import NOT_OFFERED, as_array, price
from .registry import Context, action

MAX_YEARS = {"register": 10, "renew": 9, "transfer": 10}
GROUPS = ("hot", "new", "sale")
FLAGS = {"id_protection": "idprotection", "dns_management": "dnsmanagement",
         "email_forwarding": "emailforwarding", "epp_required": "eppcode"}
FEES = {"grace_period_fee": "grace_period_fee",
        "redemption_period_fee": "redemption_grace_period_fee"}
DAYS = {"grace_period_days": "grace_period", "redemption_period_days": "redemption_grace_period"}


class Params(ActionParams):
    extension: Text = ""
    id_protection: PhpBool | None = None
    dns_management: PhpBool | None = None
    email_forwarding: PhpBool | None = None
    epp_required: PhpBool | None = None
    auto_registrar: Text = ""
    group: Text | None = None
    currency_code: Text = ""
    grace_period_days: WholeNumber | None = None
    redemption_period_days: WholeNumber | None = None
    display_after: Text = ""


def extension(given: str) -> str:
    """``.com``, ``com`` or ``.CO.UK`` as stored: lower case with the leading dot."""
    ext = given.strip().lower()
    if not ext:
        raise BusinessError("Extension is required")
    labels = ext.removeprefix(".").split(".")
    if len(ext) > 64 or not all(
            0 < len(label) <= 63 and not label.startswith("-") and not label.endswith("-")
            and all(ch.isalnum() or ch == "-" for ch in label) for label in labels):
        raise BadParameter("extension", "must be a domain extension like .com or .co.uk")
    return "." + ".".join(labels)


def _years(raw: dict, kind: str) -> dict[int, Decimal]:
    """``register[N]=price`` and the like, checked as documented."""
    if raw.get(kind) in (None, ""):
        return {}
    if not isinstance(raw[kind], (dict, list)):
        raise BusinessError("Parameters register, renew and transfer must be arrays")
    given: dict[int, Decimal] = {}
    for key, value in as_array(raw[kind], kind).items():
        if not key.isdigit() or int(key) < 1:
            raise BadParameter(f"{kind}[{key}]", "the key must be a number of years from 1")
        if int(key) > MAX_YEARS[kind]:
            raise BusinessError(f"The maximum {kind} period is {MAX_YEARS[kind]} years")
        given[int(key)] = price(value, f"{kind}[{key}]")
    if kind == "transfer" and len(given) > 1:
        raise BusinessError("Only one transfer period can be defined")
    return given


def _fees(raw: dict) -> dict[str, Decimal]:
    return {column: price(raw[name], name) for name, column in FEES.items()
            if raw.get(name) not in (None, "")}


def _currency(conn: Connection, p: Params, needed: bool) -> tuple[int, Decimal] | None:
    """The id and rate of ``currency_code``, required when prices or fees are given."""
    code = p.currency_code.strip()
    if not code:
        if needed:
            raise BusinessError("Variable currency_code is required when defining pricing")
        return None
    cur = tblcurrencies
    rows = conn.execute(select(cur.c.id, cur.c.code, cur.c.rate).order_by(cur.c.id)).all()
    found = next((r for r in rows if (r.code or "").upper() == code.upper()), None)
    if found is None:
        raise BusinessError("Provided currency_code value does not exist. Must be one of: "
                            + ", ".join(r.code for r in rows))
    if not found.rate or found.rate <= 0:
        raise BusinessError(f"Provided currency_code {found.code} has no exchange rate")
    return found.id, Decimal(found.rate)


def _group(p: Params) -> str | None:
    if p.group is None:
        return None
    group = p.group.strip().lower()
    if group and group not in GROUPS:
        raise BusinessError(f"Invalid group parameter: {p.group.strip()}. Should be one of "
                            "HOT, NEW, SALE")
    return group


def converted(amount: Decimal, given_rate: Decimal, rate: Decimal) -> Decimal:
    """A price in another currency by the exchange rates (rules §12); -1 stays -1."""
    if amount < 0:
        return NOT_OFFERED
    return round_money(amount / given_rate * rate)


def _rates(conn: Connection) -> dict[int, Decimal]:
    """Every currency a price can be converted into: those with an exchange rate."""
    cur = tblcurrencies
    return {i: Decimal(rate) for i, rate in conn.execute(select(cur.c.id, cur.c.rate))
            if rate and rate > 0}


def _default_rate(conn: Connection) -> Decimal | None:
    cur = tblcurrencies
    rate = conn.execute(select(cur.c.rate).where(cur.c.default == 1)
                        .order_by(cur.c.id).limit(1)).scalar()
    return Decimal(rate) if rate and rate > 0 else None


def _tld_values(conn: Connection, p: Params, raw: dict,
                currency: tuple[int, Decimal] | None) -> dict:
    """The tbldomainpricing columns the parameters set; fees are kept in the default
    currency, converted from ``currency_code``."""
    values = {column: int(getattr(p, name)) for name, column in FLAGS.items()
              if getattr(p, name) is not None}
    values |= {column: getattr(p, name) for name, column in DAYS.items()
               if getattr(p, name) is not None}
    group = _group(p)
    if group is not None:
        values["group"] = group
    fees = _fees(raw)
    if fees and currency is not None:
        default = _default_rate(conn) or currency[1]
        values |= {column: converted(fee, currency[1], default) for column, fee in fees.items()}
    return values


def _save_tld(conn: Connection, ext: str, values: dict) -> int:
    tp, now = tbldomainpricing, utcnow()
    relid = tld_id(conn, ext)
    if relid is not None:
        conn.execute(update(tp).where(tp.c.id == relid).values(**values, updated_at=now))
        return relid
    last = conn.execute(select(func.max(tp.c.order))).scalar() or 0
    # rules §12: a new TLD's grace and redemption fees are off (-1) until set
    new = {"autoreg": "", "group": "", "order": last + 1, "grace_period_fee": NOT_OFFERED,
           "redemption_grace_period_fee": NOT_OFFERED} | values
    return conn.execute(insert(tp).values(extension=ext, **new, created_at=now,
                                          updated_at=now)).inserted_primary_key[0]


def _place_after(conn: Connection, after: str, relid: int) -> None:
    """Move the TLD to just after ``after``, the TLDs behind it one place down."""
    tp = tbldomainpricing
    target = "." + after.strip().lower().removeprefix(".")
    row = conn.execute(select(tp.c.id, tp.c.order).where(
        func.lower(tp.c.extension) == target, tp.c.id != relid).order_by(tp.c.id)).first()
    if row is None:
        raise BadParameter("display_after", f"no other TLD {target} exists")
    conn.execute(update(tp).where(tp.c.order > row.order, tp.c.id != relid)
                 .values(order=tp.c.order + 1))
    conn.execute(update(tp).where(tp.c.id == relid).values(order=(row.order or 0) + 1))


def _save_prices(conn: Connection, relid: int, kind: str, years: dict[int, Decimal],
                 currency: tuple[int, Decimal]) -> None:
    """The given years in every currency with a rate; years not given keep what is stored
    (a new row: -1, not offered)."""
    pr, (given, given_rate) = tblpricing, currency
    for cur_id, rate in _rates(conn).items():
        values = {renewal_column(n): amount if cur_id == given else
                  converted(amount, given_rate, rate) for n, amount in years.items()}
        where = (pr.c.type == DOMAIN_KINDS[kind], pr.c.relid == relid, pr.c.currency == cur_id)
        row = conn.execute(select(pr.c.id).where(*where).order_by(pr.c.id).limit(1)).scalar()
        if row is not None:
            conn.execute(update(pr).where(pr.c.id == row).values(**values))
            continue
        unset = {renewal_column(n): NOT_OFFERED for n in range(1, 11)}
        conn.execute(insert(pr).values(type=DOMAIN_KINDS[kind], relid=relid, currency=cur_id,
                                       **(unset | values)))


@action("CreateOrUpdateTLD")
def create_or_update_tld(ctx: Context, raw: dict) -> dict:
    p = parse(Params, raw)
    ext = extension(p.extension)
    if p.auto_registrar.strip():  # no registrar module is active in geninvoices
        raise BusinessError("No Active Registrars - auto_registrar value cannot be defined")
    priced = any(raw.get(k) not in (None, "") for k in (*MAX_YEARS, *FEES))
    with transaction(ctx.engine) as conn:
        currency = _currency(conn, p, priced)
        prices = {kind: _years(raw, kind) for kind in MAX_YEARS}
        relid = _save_tld(conn, ext, _tld_values(conn, p, raw, currency))
        if p.display_after.strip():
            _place_after(conn, p.display_after, relid)
        for kind, years in prices.items():
            if years and currency is not None:
                _save_prices(conn, relid, kind, years, currency)
    return {"extension": ext, "id": str(relid)}
