"""Keyword-default builders for test data, on any backend (Core inserts; NOT NULL text
columns are filled by the tables' defaults, as MariaDB's strict mode requires)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import insert, select, update

from geninvoices.models.whmcs import (
    tbladdons,
    tblbillableitems,
    tblcancelrequests,
    tblclients,
    tblconfiguration,
    tblcurrencies,
    tbldomainpricing,
    tbldomains,
    tblhosting,
    tblhostingaddons,
    tblinvoiceitems,
    tblinvoices,
    tblpricing,
    tblproducts,
    tblpromotions,
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
                 status="Active", promoid=0) -> int:
    nextduedate = regdate if nextduedate is None else nextduedate
    nextinvoicedate = nextduedate if nextinvoicedate is None else nextinvoicedate
    return _insert(conn, tblhosting, userid=client, packageid=product, amount=Decimal(amount),
                   billingcycle=billingcycle, regdate=regdate, nextduedate=nextduedate,
                   nextinvoicedate=nextinvoicedate, domain=domain, paymentmethod=paymentmethod,
                   domainstatus=status, promoid=promoid)


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
                paymentmethod="banktransfer", status="Active", donotrenew=0, promoid=0) -> int:
    nextduedate = regdate if nextduedate is None else nextduedate
    nextinvoicedate = nextduedate if nextinvoicedate is None else nextinvoicedate
    return _insert(conn, tbldomains, userid=client, domain=domain, recurringamount=Decimal(amount),
                   registrationperiod=years, registrationdate=regdate, nextduedate=nextduedate,
                   nextinvoicedate=nextinvoicedate, paymentmethod=paymentmethod, status=status,
                   donotrenew=donotrenew, type="Register", promoid=promoid)


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


ACTIONS = {"noinvoice": 0, "nextcron": 1, "nextinvoice": 2, "duedate": 3, "recur": 4}


def make_billable(conn, *, client, description="Consulting", amount="50.00",
                  action="nextcron", duedate=None, recur=0, recurcycle="", recurfor=0,
                  invoicecount=0) -> int:
    return _insert(conn, tblbillableitems, userid=client, description=description,
                   amount=Decimal(amount), invoiceaction=ACTIONS[action], duedate=duedate,
                   recur=recur, recurcycle=recurcycle, recurfor=recurfor,
                   invoicecount=invoicecount, hours=Decimal("1.0"))


def make_past_invoice(conn, *, client, lines, status="Paid", invoicenum="") -> int:
    """An invoice made before (by WHMCS, or an order), with ``lines``: (type, relid, due
    date, amount) each."""
    due = min(d for _, _, d, _ in lines)
    total = sum(Decimal(a) for *_, a in lines)
    invoice = _insert(conn, tblinvoices, userid=client, invoicenum=invoicenum, date=due,
                      duedate=due, status=status, subtotal=total, total=total)
    for type_, relid, duedate, amount in lines:
        _insert(conn, tblinvoiceitems, invoiceid=invoice, userid=client, type=type_,
                relid=relid, description="earlier", amount=Decimal(amount), duedate=duedate)
    return invoice


def make_promotion(conn, *, code="SAVE10", type="Percentage", value="10.00", recurring=1,
                   recurfor=0) -> int:
    return _insert(conn, tblpromotions, code=code, type=type, value=Decimal(value),
                   recurring=recurring, recurfor=recurfor, startdate=D(2025, 1, 1))


def make_pricing(conn, *, product, currency, monthly="-1.00", annually="-1.00",
                 quarterly="-1.00") -> int:
    return _insert(conn, tblpricing, type="product", relid=product, currency=currency,
                   monthly=Decimal(monthly), quarterly=Decimal(quarterly),
                   annually=Decimal(annually))


# tblpricing's columns for a domain price of 1..10 years (rules §5.10)
YEARS = ("msetupfee", "qsetupfee", "ssetupfee", "asetupfee", "bsetupfee", "monthly",
         "quarterly", "semiannually", "annually", "biennially")


def make_domain_pricing(conn, *, extension=".org", renew, register=None) -> int:
    """A TLD and its prices: ``renew``/``register`` map a currency id to {years: price};
    every period not given is "not offered" (-1.00), as WHMCS stores it."""
    tld = _insert(conn, tbldomainpricing, extension=extension, autoreg="", group="")
    for type_, by_currency in (("domainrenew", renew), ("domainregister", register or {})):
        for currency, prices in by_currency.items():
            columns = {col: Decimal(prices.get(n, "-1.00")) for n, col in enumerate(YEARS, 1)}
            _insert(conn, tblpricing, type=type_, relid=tld, currency=currency, **columns)
    return tld
