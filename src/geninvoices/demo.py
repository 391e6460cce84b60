"""Demo data for `geninvoices serve --demo`: one client with a service, a domain and an
addon, all due today, so GenInvoices has something to bill at once.

The demo seeds only an empty database (no client, not an adopted WHMCS database) and
records its credential's identifier in ``geninvoices_meta``. A later start on the database
it seeded re-issues that credential (the old secret is revoked, a new one printed): a secret
is stored only as a hash, so it cannot be shown again, and keeping it in a file would leave
an all-actions secret lying around.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from decimal import Decimal

from sqlalchemy import Connection, delete, func, insert, select

from . import access
from .catalogue import activate_gateway, active_gateways
from .clock import utcnow
from .errors import BusinessError, NotFound
from .models import own
from .models.whmcs import (
    tblaccounts,
    tbladdons,
    tblclients,
    tblconfiguration,
    tblcurrencies,
    tbldomains,
    tblhosting,
    tblhostingaddons,
    tblpricing,
    tblproductgroups,
    tblproducts,
)

DEMO_EMAIL = "demo@example.com"
DEMO_PRODUCT = "Shared Hosting"
DEMO_KEY = "demo_credential"  # in geninvoices_meta: the demo's credential identifier
ORIGIN_KEY = "whmcs_tables"  # in geninvoices_meta: "created" or "adopted" (revision 0005)
DEMO_GATEWAY = "banktransfer"


def start_demo(conn: Connection, today: dt.date) -> tuple[str, str, bool]:
    """(identifier, secret, seeded now?) for `serve --demo`; refuses a database that holds
    anyone's data but the demo's own."""
    meta = own.meta
    known = conn.execute(select(meta.c.value).where(meta.c.key == DEMO_KEY)).scalar()
    if known is None:
        _refuse_unless_empty(conn)
        seed_demo(conn, today)
    else:
        with contextlib.suppress(NotFound):  # the operator may have revoked it already
            access.revoke_credential(conn, known)
        conn.execute(delete(meta).where(meta.c.key == DEMO_KEY))
    ident, secret = access.create_credential(conn, allow=None, description="serve --demo")
    conn.execute(insert(meta).values(key=DEMO_KEY, value=ident))
    return ident, secret, known is None


def _refuse_unless_empty(conn: Connection) -> None:
    origin = conn.execute(select(own.meta.c.value).where(own.meta.c.key == ORIGIN_KEY)).scalar()
    clients = conn.execute(select(func.count()).select_from(tblclients)).scalar()
    if origin == "adopted" or clients:
        what = "is an adopted WHMCS database" if origin == "adopted" else (
            f"holds {clients} client(s)")
        raise BusinessError(
            f"serve --demo seeds only an empty database, and this one {what}: run "
            "`geninvoices serve` without --demo, or point GENINVOICES_DATABASE_URL at a new "
            "database")


def _add(conn: Connection, table, **values) -> int:
    return conn.execute(insert(table).values(**values)).inserted_primary_key[0]


def seed_demo(conn: Connection, today: dt.date) -> bool:
    """Insert the demo rows unless they are there; returns whether it inserted them."""
    if conn.execute(select(tblclients.c.id).where(tblclients.c.email == DEMO_EMAIL)).first():
        return False
    now = utcnow()
    for setting, value in (("DateFormat", "DD/MM/YYYY"), ("CompanyName", "Demo Hosting")):
        if not conn.execute(select(tblconfiguration.c.setting).where(
                tblconfiguration.c.setting == setting)).first():
            conn.execute(insert(tblconfiguration).values(setting=setting, value=value,
                                                         created_at=now, updated_at=now))
    currency = conn.execute(select(func.min(tblcurrencies.c.id)).where(  # revision 0009's
        tblcurrencies.c.code == "USD")).scalar() or _add(
        conn, tblcurrencies, code="USD", prefix="$", suffix=" USD", format=1,
        rate=Decimal("1"), default=1)
    client = _add(conn, tblclients, firstname="Demo", lastname="Customer", email=DEMO_EMAIL,
                  country="US", status="Active", currency=currency, datecreated=today,
                  created_at=now, updated_at=now)
    group = conn.execute(select(func.min(tblproductgroups.c.id))).scalar() or 0
    product = _add(conn, tblproducts, name=DEMO_PRODUCT, type="hostingaccount", gid=group,
                   paytype="recurring", tax=0, created_at=now, updated_at=now)
    # its monthly price, for AddOrder (rules §12: -1.00 is a cycle not offered)
    unset = {c: Decimal("-1.00") for c in ("quarterly", "semiannually", "annually",
                                           "biennially", "triennially")}
    _add(conn, tblpricing, type="product", relid=product, currency=currency,
         monthly=Decimal("9.95"), **unset)
    dates = {"regdate": today, "nextduedate": today, "nextinvoicedate": today}
    service = _add(conn, tblhosting, userid=client, packageid=product, amount=Decimal("9.95"),
                   billingcycle="Monthly", domain="demo.example.com", domainstatus="Active",
                   paymentmethod="banktransfer", **dates)
    _add(conn, tbldomains, userid=client, domain="demo-example.com", registrationperiod=1,
         recurringamount=Decimal("12.00"), registrationdate=today, nextduedate=today,
         nextinvoicedate=today, status="Active", paymentmethod="banktransfer", type="Register")
    if DEMO_GATEWAY not in active_gateways(conn):  # rules §12: what the demo's items use
        activate_gateway(conn, DEMO_GATEWAY, "Bank Transfer")
    addon = _add(conn, tbladdons, name="Daily Backups", billingcycle="Monthly")
    _add(conn, tblhostingaddons, userid=client, hostingid=service, addonid=addon,
         recurring=Decimal("2.00"), billingcycle="Monthly", status="Active", tax="",
         paymentmethod="banktransfer", **dates)
    return True


def demo_product(conn: Connection) -> int:
    """The demo's product, which the walkthrough orders."""
    return conn.execute(select(func.min(tblproducts.c.id)).where(
        tblproducts.c.name == DEMO_PRODUCT)).scalar() or 0


def walkthrough_number(conn: Connection) -> int:
    """The first n whose walkthrough client (`walkthrough_email`) and payment (`demo-n`) are
    not in the database yet, so a walkthrough printed again after a re-run works too."""
    n = 1
    while conn.execute(select(tblclients.c.id).where(
            tblclients.c.email == walkthrough_email(n)).limit(1)).first() or conn.execute(
            select(tblaccounts.c.id).where(tblaccounts.c.transid == f"demo-{n}").limit(1)
            ).first():
        n += 1
    return n


def walkthrough_email(n: int) -> str:
    return "jo@example.com" if n == 1 else f"jo{n}@example.com"  # a "+" would need encoding


def walkthrough(url: str, identifier: str, secret: str, product: int, n: int = 1) -> str:
    """Six curl lines (README's quick start): add a client, order a monthly service, accept
    the order, run GenInvoices, find the invoice, pay it. Ids travel in shell variables; a
    reply without the id leaves its variable empty. ``n`` (`walkthrough_number`) makes the
    client's email and the payment's transid new."""
    api = f"{url}?identifier={identifier}&secret={secret}&responsetype=json"

    def take(field: str) -> str:
        return f" | sed -nE 's/.*\"{field}\":\"?([0-9]+).*/\\1/p')"
    return "\n".join([
        f"API='{api}'",
        "CLIENT=$(curl -s \"$API\" -d action=AddClient -d firstname=Jo -d lastname=Doe "
        f"-d email={walkthrough_email(n)} -d address1='1 Main St' -d city=Springfield "
        "-d state=IL -d postcode=62701 -d country=US -d phonenumber=5551234567"
        + take("clientid"),
        f"ORDER=$(curl -s \"$API\" -d action=AddOrder -d clientid=$CLIENT -d 'pid[0]={product}' "
        "-d 'billingcycle[0]=monthly' -d paymentmethod=banktransfer -d noinvoice=1"
        + take("orderid"),
        "curl -s \"$API\" -d action=AcceptOrder -d orderid=$ORDER; echo",
        "curl -s \"$API\" -d action=GenInvoices -d clientid=$CLIENT; echo",
        "INVOICE=$(curl -s \"$API\" -d action=GetInvoices -d userid=$CLIENT" + take("id"),
        "curl -s \"$API\" -d action=AddInvoicePayment -d invoiceid=$INVOICE "
        f"-d transid=demo-{n} -d gateway=banktransfer; echo",
    ])
