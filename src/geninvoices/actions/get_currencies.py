"""GetCurrencies [doc]: every currency in ``tblcurrencies`` (rules §12).

The documented example prints strings (`"id": "1"`, `"rate": "1.00000"`), so the values are
strings here too; the list is `currencies: {"currency": [...]}`, as GetInvoices nests its
invoices (the example's flat `currencies[currency][0][id]` keys are how PHP spells that
nesting)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Connection, select

from ..models.whmcs import tblcurrencies
from .params import ActionParams, parse
from .registry import read_action


def currency_row(r) -> dict:
    return {"id": str(r.id), "code": r.code or "", "prefix": r.prefix or "",
            "suffix": r.suffix or "", "format": str(r.format or 0),
            "rate": f"{Decimal(r.rate or 0):.5f}"}


class Params(ActionParams):
    """No parameters: any sent are ignored, as WHMCS does."""


@read_action("GetCurrencies")
def get_currencies(conn: Connection, raw: dict) -> dict:
    parse(Params, raw)
    rows = [currency_row(r) for r in conn.execute(
        select(tblcurrencies).order_by(tblcurrencies.c.id))]
    return {"totalresults": str(len(rows)), "currencies": {"currency": rows}}
