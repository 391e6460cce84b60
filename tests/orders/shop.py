"""A small shop for order tests: a currency, a gateway, a product with a setup fee, an addon
and a TLD, priced in tblpricing as WHMCS lays it out (rules §12, §13)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, insert, select

from geninvoices.config import Settings
from geninvoices.db import transaction
from geninvoices.models.whmcs import (
    tbldomains,
    tblhosting,
    tblhostingaddons,
    tblinvoiceitems,
    tblinvoices,
    tblorders,
    tblpaymentgateways,
    tblpricing,
)
from tests import builders as b
from tests.actions.http import Api

ORDER_DAY = dt.date(2026, 1, 15)
NOT_OFFERED = Decimal("-1.00")


@dataclass
class Shop:
    currency: int
    client: int
    pid: int
    addon: int
    tld: int


def make_gateway(conn, module="banktransfer", name="Bank Transfer", order=1) -> None:
    conn.execute(insert(tblpaymentgateways), [
        {"gateway": module, "setting": "name", "value": name, "order": order},
        {"gateway": module, "setting": "type", "value": "Invoices", "order": order},
        {"gateway": module, "setting": "visible", "value": "on", "order": order}])


def price_row(conn, type_, relid, currency, **prices) -> None:
    columns = {c: Decimal(prices.get(c, NOT_OFFERED if c in (
        "monthly", "quarterly", "semiannually", "annually", "biennially", "triennially")
        else "0.00")) for c in ("msetupfee", "qsetupfee", "ssetupfee", "asetupfee",
                                "bsetupfee", "tsetupfee", "monthly", "quarterly",
                                "semiannually", "annually", "biennially", "triennially")}
    conn.execute(insert(tblpricing).values(type=type_, relid=relid, currency=currency,
                                           **columns))


def make_shop(engine, **client) -> Shop:
    with transaction(engine) as conn:
        currency = b.make_currency(conn)
        cid = b.make_client(conn, currency=currency, **client)
        make_gateway(conn)
        pid = b.make_product(conn, name="Shared Hosting", tax=1)
        price_row(conn, "product", pid, currency, msetupfee="5.00", monthly="10.00",
                  annually="100.00")
        addon = b.make_addon_product(conn, name="Daily Backups")
        price_row(conn, "addon", addon, currency, msetupfee="1.00", monthly="2.00")
        tld = b.make_domain_pricing(conn, extension=".com",
                                    register={currency: {1: "12.00", 2: "22.00"}},
                                    renew={currency: {1: "14.00", 2: "28.00"}})
    return Shop(currency, cid, pid, addon, tld)


def api(engine, day=ORDER_DAY, allow=None) -> Api:
    return Api(engine, Settings(database_url="sqlite://", testing=True, test_today=day),
               allow=allow)


COUNTED = (tblorders, tblhosting, tblhostingaddons, tbldomains, tblinvoices, tblinvoiceitems)


def counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar()
                for t in COUNTED}
