"""Prices as AddProduct and CreateOrUpdateTLD take them (rules §12): an amount with at most
two decimals, or -1 for "not offered" (WHMCS stores -1.00); any other negative amount, a
third decimal, an exponent or a sign is refused with the parameter named."""

from __future__ import annotations

import re
from decimal import Decimal

from sqlalchemy import Connection, select

from ..catalogue import SETUP_COLUMNS
from ..errors import BadParameter
from ..models.whmcs import tblcurrencies
from .params import text

NOT_OFFERED = Decimal("-1.00")
ZERO = Decimal("0.00")
_PRICE = re.compile(r"-1(\.0{1,2})?|[0-9]{1,13}(\.[0-9]{1,2})?")
# AddProduct's pricing[currencyid][cycle] keys: the tblpricing columns of a product
PRODUCT_COLUMNS = tuple(SETUP_COLUMNS) + tuple(SETUP_COLUMNS.values())


def price(value: object, where: str) -> Decimal:
    """One price; ``where`` names it in the error (``pricing[1][monthly]``)."""
    try:
        given = text(value).strip(" ")
    except ValueError:
        given = None
    if given is None or not _PRICE.fullmatch(given):
        raise BadParameter(where, "must be an amount with at most 2 decimals, or -1 for "
                                  "not offered")
    return Decimal(given).quantize(Decimal("0.01"))


def as_array(value: object, name: str) -> dict[str, object]:
    """A PHP array parameter (``name[key]=...``) as a dict of its keys."""
    if isinstance(value, list):
        return {str(i): v for i, v in enumerate(value)}
    if not isinstance(value, dict):
        raise BadParameter(name, f"must be an array, {name}[...]=...")
    return {str(k).strip(): v for k, v in value.items()}


def currency_ids(conn: Connection) -> dict[int, str]:
    return dict(conn.execute(select(tblcurrencies.c.id, tblcurrencies.c.code)
                             .order_by(tblcurrencies.c.id)).all())


def product_pricing(conn: Connection, value: object) -> dict[int, dict[str, Decimal]]:
    """``pricing[currencyid][cycle]`` as the tblpricing columns of each currency named: a
    cycle not given is not offered (-1.00), a setup fee not given is 0.00."""
    known = currency_ids(conn)
    rows: dict[int, dict[str, Decimal]] = {}
    for key, cycles in as_array(value, "pricing").items():
        if not key.isdigit() or int(key) not in known:
            raise BadParameter("pricing", f"currency id {key!r} does not exist; the "
                               "currencies are " + ", ".join(
                                   f"{i} ({c})" for i, c in known.items()))
        row = {c: NOT_OFFERED for c in SETUP_COLUMNS} | {
            s: ZERO for s in SETUP_COLUMNS.values()}
        for cycle, amount in as_array(cycles, f"pricing[{key}]").items():
            column = cycle.lower()
            if column not in PRODUCT_COLUMNS:
                raise BadParameter(f"pricing[{key}]", f"unknown cycle {cycle!r}: one of "
                                   + ", ".join(PRODUCT_COLUMNS))
            row[column] = price(amount, f"pricing[{key}][{cycle}]")
        rows[int(key)] = row
    return rows
