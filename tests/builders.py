"""Keyword-default builders for test data, on any backend (Core inserts; NOT NULL text
columns are filled by the tables' defaults, as MariaDB's strict mode requires)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import insert, select, update

from geninvoices.models.whmcs import (
    tbladdons,
    tblcancelrequests,
    tblclients,
    tblconfiguration,
    tblcurrencies,
    tbldomains,
    tblhosting,
    tblhostingaddons,
    tblproducts,
    tbltax,
)

D = dt.date


def _insert(conn, table, **values) -> int:
    return conn.execute(insert(table).values(**values)).inserted_primary_key[0]


def make_currency(conn, *, code="USD", prefix="$", suffix=" USD", default=1) -> int:
    return _insert(conn, tblcurrencies, code=code, prefix=prefix, suffix=suffix, format=1,
                   rate=Decimal("1"), default=default)


def make_client(conn, *, firstname="Ada", lastname="Lovelace", email="ada@example.com",
                country="GB", state="", currency=0, credit="0.00", taxexempt=0,
                separateinvoices=0, defaultgateway="", status="Active", companyname="") -> int:
    return _insert(conn, tblclients, firstname=firstname, lastname=lastname, email=email,
                   country=country, state=state, currency=currency, credit=Decimal(credit),
                   taxexempt=taxexempt, separateinvoices=separateinvoices,
                   defaultgateway=defaultgateway, status=status, companyname=companyname)

JAN_1 = D(2026, 1, 1)


def make_product(conn, *, name="Shared Hosting", tax=0, paytype="recurring") -> int:
    return _insert(conn, tblproducts, name=name, tax=tax, paytype=paytype, type="hostingaccount")


def make_service(conn, *, client, product, amount="10.00", billingcycle="Monthly",
                 regdate=JAN_1, nextduedate=None, nextinvoicedate=None,
                 domain="example.com", paymentmethod="banktransfer",
                 status="Active") -> int:
    nextduedate = regdate if nextduedate is None else nextduedate
    nextinvoicedate = nextduedate if nextinvoicedate is None else nextinvoicedate
    return _insert(conn, tblhosting, userid=client, packageid=product, amount=Decimal(amount),
                   billingcycle=billingcycle, regdate=regdate, nextduedate=nextduedate,
                   nextinvoicedate=nextinvoicedate, domain=domain, paymentmethod=paymentmethod,
                   domainstatus=status)


def make_addon_product(conn, *, name="Daily Backups", tax=0) -> int:
    return _insert(conn, tbladdons, name=name, tax=tax, billingcycle="Monthly")


def make_addon(conn, *, client, service, addon=0, name="", recurring="2.00",
               billingcycle="Monthly", regdate=JAN_1, nextduedate=None,
               nextinvoicedate=None, paymentmethod="banktransfer", status="Active",
               tax="") -> int:
    nextduedate = regdate if nextduedate is None else nextduedate
    nextinvoicedate = nextduedate if nextinvoicedate is None else nextinvoicedate
    return _insert(conn, tblhostingaddons, userid=client, hostingid=service, addonid=addon,
                   name=name, recurring=Decimal(recurring), billingcycle=billingcycle,
                   regdate=regdate, nextduedate=nextduedate, nextinvoicedate=nextinvoicedate,
                   paymentmethod=paymentmethod, status=status, tax=tax)


def make_domain(conn, *, client, domain="example.org", amount="12.00", years=1,
                regdate=JAN_1, nextduedate=None, nextinvoicedate=None,
                paymentmethod="banktransfer", status="Active", donotrenew=0) -> int:
    nextduedate = regdate if nextduedate is None else nextduedate
    nextinvoicedate = nextduedate if nextinvoicedate is None else nextinvoicedate
    return _insert(conn, tbldomains, userid=client, domain=domain, recurringamount=Decimal(amount),
                   registrationperiod=years, registrationdate=regdate, nextduedate=nextduedate,
                   nextinvoicedate=nextinvoicedate, paymentmethod=paymentmethod, status=status,
                   donotrenew=donotrenew, type="Register")


def make_tax(conn, *, level=1, rate="20.000", country="", state="", name="VAT") -> int:
    return _insert(conn, tbltax, level=level, taxrate=Decimal(rate), country=country, state=state,
                   name=name)


def cancel_request(conn, *, service) -> int:
    return _insert(conn, tblcancelrequests, relid=service, reason="leaving",
                   type="End of Billing Period", date=dt.datetime(2026, 1, 1))


def set_config(conn, **settings) -> None:
    for key, value in settings.items():
        found = conn.execute(select(tblconfiguration.c.setting).where(
            tblconfiguration.c.setting == key)).first()
        if found:
            conn.execute(update(tblconfiguration).where(tblconfiguration.c.setting == key)
                         .values(value=str(value)))
        else:
            conn.execute(insert(tblconfiguration).values(setting=key, value=str(value)))
