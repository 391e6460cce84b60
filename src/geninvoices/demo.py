"""Demo data for `geninvoices serve --demo`: one client with a service, a domain and an
addon, all due today, so GenInvoices has something to bill at once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Connection, insert, select

from .models.whmcs import (
    tbladdons,
    tblclients,
    tblconfiguration,
    tblcurrencies,
    tbldomains,
    tblhosting,
    tblhostingaddons,
    tblproducts,
)

DEMO_EMAIL = "demo@example.com"


def _add(conn: Connection, table, **values) -> int:
    return conn.execute(insert(table).values(**values)).inserted_primary_key[0]


def seed_demo(conn: Connection, today: dt.date) -> bool:
    """Insert the demo rows unless they are there; returns whether it inserted them."""
    if conn.execute(select(tblclients.c.id).where(tblclients.c.email == DEMO_EMAIL)).first():
        return False
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    for setting, value in (("DateFormat", "DD/MM/YYYY"), ("CompanyName", "Demo Hosting")):
        if not conn.execute(select(tblconfiguration.c.setting).where(
                tblconfiguration.c.setting == setting)).first():
            conn.execute(insert(tblconfiguration).values(setting=setting, value=value,
                                                         created_at=now, updated_at=now))
    currency = _add(conn, tblcurrencies, code="USD", prefix="$", suffix=" USD", format=1,
                    rate=Decimal("1"), default=1)
    client = _add(conn, tblclients, firstname="Demo", lastname="Customer", email=DEMO_EMAIL,
                  country="US", status="Active", currency=currency, datecreated=today,
                  created_at=now, updated_at=now)
    product = _add(conn, tblproducts, name="Shared Hosting", type="hostingaccount",
                   paytype="recurring", tax=0)
    dates = {"regdate": today, "nextduedate": today, "nextinvoicedate": today}
    service = _add(conn, tblhosting, userid=client, packageid=product, amount=Decimal("9.95"),
                   billingcycle="Monthly", domain="demo.example.com", domainstatus="Active",
                   paymentmethod="banktransfer", **dates)
    _add(conn, tbldomains, userid=client, domain="demo-example.com", registrationperiod=1,
         recurringamount=Decimal("12.00"), registrationdate=today, nextduedate=today,
         nextinvoicedate=today, status="Active", paymentmethod="banktransfer", type="Register")
    addon = _add(conn, tbladdons, name="Daily Backups", billingcycle="Monthly")
    _add(conn, tblhostingaddons, userid=client, hostingid=service, addonid=addon,
         recurring=Decimal("2.00"), billingcycle="Monthly", status="Active", tax="",
         paymentmethod="banktransfer", **dates)
    return True
