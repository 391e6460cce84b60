"""AddOrder's write (rules §13): the order row, the services, addons and domains it creates,
and, unless ``noinvoice``, their first invoice through the engine (``billing.immediate``),
all in the caller's transaction.

Everything is priced and checked before the first row is written, so a refused order
writes nothing; should anything fail later, the caller's transaction rolls it all back.
Prices come from the catalogue (``catalogue.py``) in the client's currency; the engine
plans, taxes, credits, numbers and queues the invoice exactly as a GenInvoices run would.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import Connection, func, insert, select, update

from . import catalogue
from .billing import due
from .billing.immediate import Charge, bill_items
from .billing.kinds import ADDON, DOMAIN, SERVICE
from .billing.mail import Currency
from .billing.promotions import Priced, Promotion, extension, first_price, promotion
from .billing.run import Run
from .errors import BusinessError, NotFound
from .models.whmcs import (
    tbladdons,
    tblclients,
    tbldomains,
    tblhosting,
    tblhostingaddons,
    tblinvoices,
    tblorders,
    tblproducts,
    tblpromotions,
)

# the API's cycle words (catalogue.cycle_key) as tblhosting stores them (rules §5.2)
STORED_CYCLES = {"monthly": "Monthly", "quarterly": "Quarterly",
                 "semiannually": "Semi-Annually", "annually": "Annually",
                 "biennially": "Biennially", "triennially": "Triennially"}
NO_ITEMS = "No items added to cart so order cannot proceed"
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class ProductOrder:
    pid: int
    cycle: str  # a catalogue.cycle_key word
    domain: str = ""
    priceoverride: Decimal | None = None
    addons: tuple[int, ...] = ()


@dataclass(frozen=True)
class OrderRequest:
    clientid: int
    paymentmethod: str
    products: tuple[ProductOrder, ...] = ()
    domains: tuple[tuple[str, int], ...] = ()  # registrations: (domain, years)
    addon_only: tuple[tuple[int, int], ...] = ()  # (addon id, existing service id)
    promocode: str = ""
    promooverride: bool = False
    noinvoice: bool = False
    ipaddress: str = ""


@dataclass
class ToCreate:
    """One item to create: its row (ids filled in when written) and first invoice."""
    row: dict
    priced: Priced
    addons: list[ToCreate] = field(default_factory=list)


@dataclass
class Placed:
    orderid: int
    serviceids: list[int] = field(default_factory=list)
    addonids: list[int] = field(default_factory=list)
    domainids: list[int] = field(default_factory=list)
    invoiceid: int = 0


def place_order(conn: Connection, run: Run, req: OrderRequest) -> Placed:
    client = _client(conn, req.clientid)
    _check_gateway(conn, req.paymentmethod)
    currency = run.currency_of(client.currency)
    offer = find_promotion(conn, req.promocode, run.today)
    promo = offer.promo if offer else None
    ctx = _Pricing(conn, run, currency, offer, req.promooverride)
    services = [ctx.service(p) for p in req.products]
    domains = [ctx.domain(name, years) for name, years in req.domains]
    extra = [ctx.addon_only(addon_id, service_id, client.id)
             for addon_id, service_id in req.addon_only]
    if not services and not domains and not extra:
        raise BusinessError(NO_ITEMS)
    every = services + domains + extra + [a for s in services for a in s.addons]
    amount = sum((p.priced.amount + p.priced.discount for p in every), ZERO)
    placed = Placed(_insert_order(conn, run, req, promo, amount))
    charges = _write_items(conn, run, req, placed, services, domains, extra)
    if promo is not None:
        conn.execute(update(tblpromotions).where(tblpromotions.c.id == promo.id)
                     .values(uses=tblpromotions.c.uses + 1))
    if not req.noinvoice:
        invoices = bill_items(conn, run, client.id, charges, one_invoice=True)
        placed.invoiceid = invoices[0].id if invoices else 0
        conn.execute(update(tblorders).where(tblorders.c.id == placed.orderid)
                     .values(invoiceid=placed.invoiceid))
    return placed


def _client(conn: Connection, client_id: int) -> due.Client:
    """The client, locked for this transaction (its credit may pay the invoice, §5.5)."""
    found = due.lock_clients(conn, [client_id], wait=True).get(client_id)
    if found is None:
        raise NotFound("Client ID Not Found")
    status = conn.execute(select(tblclients.c.status).where(
        tblclients.c.id == client_id)).scalar()
    if (status or "").strip() == "Closed":
        raise BusinessError("Unable to add order when client status is Closed")
    return found


def _check_gateway(conn: Connection, method: str) -> None:
    gateways = catalogue.active_gateways(conn)
    if method not in gateways:
        hint = "" if gateways else ("(none: no payment gateway is active; activate one "
                                    "with geninvoices gateways add MODULE --name NAME)")
        raise BusinessError("Invalid Payment Method. Valid options include "
                            + ",".join(gateways) + hint)


def find_promotion(conn: Connection, code: str, today: dt.date) -> Offer | None:
    """The promotion a code names, when it may be used today (rules §13)."""
    code = code.strip()
    if not code:
        return None
    p = tblpromotions
    query = select(p).where(func.lower(p.c.code) == code.lower()).order_by(p.c.id).limit(1)
    if conn.dialect.name != "sqlite":  # two orders near maxuses count one at a time
        query = query.with_for_update()
    row = conn.execute(query).first()
    if row is None:
        raise BusinessError("Promotion Code Not Found")
    starts, ends = row.startdate, row.expirationdate
    if (starts and starts.year > 1000 and starts > today) or \
            (ends and ends.year > 1000 and ends < today):
        raise BusinessError("Promotion Code Expired")
    if (row.maxuses or 0) > 0 and (row.uses or 0) >= row.maxuses:
        raise BusinessError("Promotion Code Usage Limit Reached")
    return Offer(promotion(row), _tokens(row.appliesto), _tokens(row.cycles))


def _tokens(text: str | None) -> frozenset[str]:
    return frozenset(t.strip().lower() for t in (text or "").split(",") if t.strip())


@dataclass(frozen=True)
class Offer:
    """A promotion with what it applies to (empty: everything) and for which cycles."""
    promo: Promotion
    applies: frozenset[str] = frozenset()
    cycles: frozenset[str] = frozenset()

    def covers(self, token: str, cycle: str) -> bool:
        return (not self.applies or token.lower() in self.applies) and \
            (not self.cycles or cycle.lower() in self.cycles)


class _Pricing:
    """Prices and checks each requested item in the client's currency; writes nothing."""

    def __init__(self, conn: Connection, run: Run, currency: Currency,
                 offer: Offer | None, override: bool):
        self.conn, self.run, self.currency = conn, run, currency
        self.offer, self.override = offer, override

    def _promo_for(self, token: str, cycle: str) -> Promotion | None:
        if self.offer is None or not (self.override or self.offer.covers(token, cycle)):
            return None
        return self.offer.promo

    def _dates(self) -> dict:
        today = self.run.today
        return {"regdate": today, "nextduedate": today, "nextinvoicedate": today,
                "created_at": self.run.now, "updated_at": self.run.now}

    def service(self, p: ProductOrder) -> ToCreate:
        product = self.conn.execute(select(tblproducts.c.id, tblproducts.c.name).where(
            tblproducts.c.id == p.pid)).first()
        if product is None:
            raise BusinessError(f"Invalid Product ID: {p.pid}")
        cycle = STORED_CYCLES.get(p.cycle)
        price = catalogue.product_price(self.conn, p.pid, self.currency.id, p.cycle) \
            if cycle else None
        if cycle is None or price is None:
            raise BusinessError(f"Invalid Billing Cycle: product {p.pid} is not offered "
                                f"{p.cycle} in {self.currency.code or 'this currency'}")
        setup, recurring = price
        if p.priceoverride is not None:  # the price agreed replaces the catalogue's
            setup, recurring = ZERO, p.priceoverride
        promo = self._promo_for(str(p.pid), cycle)
        priced, renewal = first_price(promo, setup, recurring, self.currency)
        row = {"packageid": p.pid, "domain": p.domain.strip(), "billingcycle": cycle,
               "firstpaymentamount": priced.amount + priced.discount, "amount": renewal,
               "promoid": promo.id if promo else 0, "qty": 1, "domainstatus": "Pending",
               **self._dates()}
        return ToCreate(row, priced, [self._addon(a, p.cycle) for a in p.addons])

    def _addon(self, addon_id: int, parent_cycle: str) -> ToCreate:
        addon = self.conn.execute(select(tbladdons).where(tbladdons.c.id == addon_id)).first()
        if addon is None:
            raise BusinessError("Addon ID invalid")
        cycle = catalogue.cycle_key(addon.billingcycle or "") or parent_cycle
        price = catalogue.addon_price(self.conn, addon_id, self.currency.id, cycle)
        if cycle not in STORED_CYCLES or price is None:
            raise BusinessError(f"Addon ID invalid: addon {addon_id} is not offered "
                                f"{cycle} in {self.currency.code or 'this currency'}")
        setup, recurring = price
        row = {"addonid": addon_id, "name": "", "qty": 1, "setupfee": setup,
               "recurring": recurring, "firstpaymentamount": setup + recurring,
               "billingcycle": STORED_CYCLES[cycle], "tax": "1" if addon.tax else "",
               "status": "Pending", **self._dates()}
        return ToCreate(row, Priced(setup + recurring))

    def addon_only(self, addon_id: int, service_id: int, client_id: int) -> ToCreate:
        h = tblhosting
        service = self.conn.execute(select(h.c.userid, h.c.billingcycle).where(
            h.c.id == service_id)).first()
        if service is None or service.userid != client_id:
            raise BusinessError("Service ID not owned by Client ID provided")
        made = self._addon(addon_id, catalogue.cycle_key(service.billingcycle or "") or "")
        made.row["hostingid"] = service_id
        return made

    def domain(self, name: str, years: int) -> ToCreate:
        name = name.strip().lower()
        tld = extension(name)
        prices = [catalogue.domain_price(self.conn, tld, self.currency.id, years, kind)
                  if tld and 1 <= years <= 10 else None for kind in ("register", "renew")]
        if None in prices:
            raise BusinessError(f"Domain {name or '(none)'} cannot be registered for {years} "
                                f"year(s): its extension has no such price in "
                                f"{self.currency.code or 'this currency'}")
        register, renew = prices
        promo = self._promo_for(f"d{tld}", f"{years}years")
        priced, renewal = first_price(promo, ZERO, register, self.currency)
        if promo is not None and promo.recurring:
            renewal = first_price(promo, ZERO, renew, self.currency)[1]
        else:
            renewal = renew
        dates = self._dates()
        row = {"domain": name, "type": "Register", "registrationdate": dates.pop("regdate"),
               "registrationperiod": years, "firstpaymentamount": priced.amount
               + priced.discount, "recurringamount": renewal, "status": "Pending",
               "promoid": promo.id if promo else 0, **dates}
        return ToCreate(row, priced)


def _insert_order(conn: Connection, run: Run, req: OrderRequest, promo: Promotion | None,
                  amount: Decimal) -> int:
    return conn.execute(insert(tblorders).values(
        ordernum=secrets.randbelow(9_000_000_000) + 1_000_000_000, userid=req.clientid,
        contactid=0, date=run.now, nameservers="", transfersecret="", renewals="",
        promocode=promo.code if promo else "", promotype=promo.type if promo else "",
        promovalue=f"{promo.value:.2f}" if promo else "", orderdata="", amount=amount,
        paymentmethod=req.paymentmethod, invoiceid=0, status="Pending",
        ipaddress=req.ipaddress, fraudmodule="", fraudoutput="", notes="",
    )).inserted_primary_key[0]


def _write_items(conn: Connection, run: Run, req: OrderRequest, placed: Placed,
                 services: list[ToCreate], domains: list[ToCreate],
                 extra: list[ToCreate]) -> list[Charge]:
    """Insert the rows, in order; the charges of their first invoice."""
    common = {"userid": req.clientid, "orderid": placed.orderid,
              "paymentmethod": req.paymentmethod}
    charges: list[Charge] = []
    extra = list(extra)
    for service in services:
        sid = _insert(conn, tblhosting, {**service.row, **common})
        placed.serviceids.append(sid)
        charges.append(Charge(SERVICE, sid, service.priced))
        for addon in service.addons:
            addon.row["hostingid"] = sid
            extra.append(addon)
    for addon in extra:
        aid = _insert(conn, tblhostingaddons, {**addon.row, **common})
        placed.addonids.append(aid)
        charges.append(Charge(ADDON, aid, addon.priced))
    for domain in domains:
        did = _insert(conn, tbldomains, {**domain.row, **common})
        placed.domainids.append(did)
        charges.append(Charge(DOMAIN, did, domain.priced, registration=True))
    return [c for c in charges if c.priced.amount > 0]


def _insert(conn: Connection, table, row: dict) -> int:
    return conn.execute(insert(table).values(**row)).inserted_primary_key[0]


NOT_PENDING = "Order ID not found or Status not Pending"
ITEM_TABLES = ((tblhosting, "domainstatus"), (tblhostingaddons, "status"), (tbldomains, "status"))


def _pending_order(conn: Connection, order_id: int | None):
    """The order, locked, when it is Pending; WHMCS's one error otherwise."""
    query = select(tblorders).where(tblorders.c.id == (order_id or 0))
    if conn.dialect.name != "sqlite":  # SQLite: the writer's BEGIN IMMEDIATE holds it
        query = query.with_for_update()
    order = conn.execute(query).first()
    if order is None or (order.status or "") != "Pending":
        raise BusinessError(NOT_PENDING)
    return order


def accept_order(conn: Connection, order_id: int | None) -> None:
    """AcceptOrder (rules §13): the order and its Pending items become Active."""
    order = _pending_order(conn, order_id)
    conn.execute(update(tblorders).where(tblorders.c.id == order.id).values(status="Active"))
    for table, status in ITEM_TABLES:
        conn.execute(update(table).where(table.c.orderid == order.id,
                                         table.c[status] == "Pending")
                     .values({status: "Active"}))


def cancel_order(conn: Connection, order_id: int | None, now: dt.datetime) -> None:
    """CancelOrder (rules §13): the order and all its items become Cancelled, and its first
    invoice too while it is unpaid (a paid one stays as it is: the money was received)."""
    order = _pending_order(conn, order_id)
    conn.execute(update(tblorders).where(tblorders.c.id == order.id)
                 .values(status="Cancelled"))
    for table, status in ITEM_TABLES:
        conn.execute(update(table).where(table.c.orderid == order.id)
                     .values({status: "Cancelled"}))
    if order.invoiceid:
        inv = tblinvoices
        conn.execute(update(inv).where(inv.c.id == order.invoiceid, inv.c.status == "Unpaid")
                     .values(status="Cancelled", date_cancelled=now, updated_at=now))
