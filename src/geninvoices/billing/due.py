"""The queries that find what is due (spec 5.1). A bounded number of queries per chunk of
clients, whatever the number of items: clients, services, addons, domains, and what of them
is already billed (the ledger and WHMCS's own invoice lines)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import Connection, and_, exists, or_, select, union
from sqlalchemy.sql import ColumnElement

from ..models import own
from ..models.whmcs import (tbladdons, tblcancelrequests, tblclients, tbldomains, tblhosting,
                            tblhostingaddons, tblinvoiceitems, tblproducts)
from .items import ADDON, DOMAIN, HOSTING, SERVICE_STATUSES, Item
from .money import to_money
from .options import BillingOptions

EARLIEST = dt.date(1000, 1, 1)  # below it: NULL or WHMCS's zero date, i.e. unset
PARENT_GONE = ("Cancelled", "Terminated")


@dataclass(frozen=True)
class Selection:
    """What one run looks at: everything due, or exactly the listed ids (spec 4)."""
    clientid: int | None = None
    serviceids: tuple[int, ...] | None = None
    domainids: tuple[int, ...] | None = None
    addonids: tuple[int, ...] | None = None

    @property
    def listing(self) -> bool:
        return any(ids is not None for ids in (self.serviceids, self.domainids, self.addonids))

    def listed(self, item: Item) -> bool:
        ids = {HOSTING: self.serviceids, DOMAIN: self.domainids, ADDON: self.addonids}[item.kind]
        return ids is not None and item.id in ids


@dataclass
class Client:
    id: int
    firstname: str
    lastname: str
    companyname: str
    email: str
    country: str
    state: str
    currency: int
    credit: Decimal
    taxexempt: bool
    separateinvoices: bool
    defaultgateway: str


@dataclass
class Chunk:
    clients: dict[int, Client]
    items: list[Item] = field(default_factory=list)


def _window(column, limit: dt.date) -> ColumnElement:
    return and_(column >= EARLIEST, column <= limit)


def _service_filter(selection: Selection, limit: dt.date):
    h = tblhosting
    chosen = h.c.id.in_(selection.serviceids or []) if selection.listing else \
        _window(h.c.nextinvoicedate, limit)
    return and_(h.c.domainstatus.in_(SERVICE_STATUSES), chosen)


def _addon_filter(selection: Selection, limit: dt.date):
    a = tblhostingaddons
    chosen = a.c.id.in_(selection.addonids or []) if selection.listing else \
        _window(a.c.nextinvoicedate, limit)
    return and_(a.c.status.in_(SERVICE_STATUSES), chosen)


def _domain_filter(selection: Selection, limit: dt.date):
    d = tbldomains
    chosen = d.c.id.in_(selection.domainids or []) if selection.listing else \
        _window(d.c.nextinvoicedate, limit)
    return and_(d.c.status == "Active", d.c.donotrenew == 0, chosen)


def candidate_clients(conn: Connection, today: dt.date, options: BillingOptions,
                      selection: Selection) -> list[int]:
    """Clients that may have something to bill, in id order."""
    if selection.clientid is not None:
        return [selection.clientid]
    limit = today + dt.timedelta(days=options.max_lead())
    query = union(
        select(tblhosting.c.userid.label("userid")).where(_service_filter(selection, limit)),
        select(tblhostingaddons.c.userid).where(_addon_filter(selection, limit)),
        select(tbldomains.c.userid).where(_domain_filter(selection, limit)),
    ).subquery()
    return list(conn.execute(select(query.c.userid).order_by(query.c.userid)).scalars())


def lock_clients(conn: Connection, ids: list[int], *, wait: bool) -> dict[int, Client]:
    """Lock whole clients for this transaction. A scan skips clients another run holds
    (it bills them); a run for one named client waits, up to the lock timeout."""
    query = select(tblclients).where(tblclients.c.id.in_(ids)).order_by(tblclients.c.id)
    if conn.dialect.name != "sqlite":  # SQLite: BEGIN IMMEDIATE already holds the database
        query = query.with_for_update(skip_locked=not wait)
    return {row.id: _client(row) for row in conn.execute(query)}


def _client(row) -> Client:
    return Client(row.id, row.firstname or "", row.lastname or "", row.companyname or "",
                  row.email or "", row.country or "", row.state or "", row.currency or 0,
                  to_money(row.credit or 0), bool(row.taxexempt), bool(row.separateinvoices),
                  row.defaultgateway or "")


def load_items(conn: Connection, client_ids: list[int], today: dt.date,
               options: BillingOptions, selection: Selection) -> list[Item]:
    limit = today + dt.timedelta(days=options.max_lead())
    items = _services(conn, client_ids, selection, limit)
    items += _addons(conn, client_ids, selection, limit)
    items += _domains(conn, client_ids, selection, limit)
    return items


def _cancel_requested(service_id_column) -> ColumnElement:
    return exists().where(tblcancelrequests.c.relid == service_id_column)


def _services(conn, client_ids, selection, limit) -> list[Item]:
    h, p = tblhosting, tblproducts
    query = (select(h, p.c.id.label("product_id"), p.c.name.label("product_name"),
                    p.c.tax.label("product_tax"), _cancel_requested(h.c.id).label("cancelled"))
             .select_from(h.outerjoin(p, p.c.id == h.c.packageid))
             .where(h.c.userid.in_(client_ids), _service_filter(selection, limit)))
    return [Item(
        HOSTING, r.id, r.userid, to_money(r.amount or 0), r.billingcycle or "", 0, r.regdate,
        r.nextduedate, r.nextinvoicedate, r.paymentmethod or "", r.domainstatus or "",
        r.product_name or "", (r.domain or "").strip(), taxable=bool(r.product_tax),
        blocked="cancellation requested" if r.cancelled else "",
        missing="" if r.product_id is not None else f"product {r.packageid} does not exist",
    ) for r in conn.execute(query)]


def _addons(conn, client_ids, selection, limit) -> list[Item]:
    a, ad, h = tblhostingaddons, tbladdons, tblhosting
    query = (select(a, ad.c.id.label("addon_exists"), ad.c.name.label("addon_name"),
                    h.c.id.label("parent_id"), h.c.domainstatus.label("parent_status"),
                    _cancel_requested(a.c.hostingid).label("parent_cancelled"))
             .select_from(a.outerjoin(ad, ad.c.id == a.c.addonid)
                          .outerjoin(h, h.c.id == a.c.hostingid))
             .where(a.c.userid.in_(client_ids), _addon_filter(selection, limit)))
    items = []
    for r in conn.execute(query):
        name = (r.name or "").strip() or (r.addon_name or "")
        missing = ""
        if r.addonid and r.addon_exists is None and not (r.name or "").strip():
            missing = f"addon {r.addonid} does not exist"
        blocked = ""
        if r.parent_id is None or r.parent_status in PARENT_GONE or r.parent_cancelled:
            blocked = "its service is cancelled, terminated or has a cancellation request"
        items.append(Item(
            ADDON, r.id, r.userid, to_money(r.recurring or 0), r.billingcycle or "", 0,
            r.regdate, r.nextduedate, r.nextinvoicedate, r.paymentmethod or "", r.status or "",
            name, taxable=(r.tax or "").strip().lower() in ("1", "on"), blocked=blocked,
            missing=missing))
    return items


def _domains(conn, client_ids, selection, limit) -> list[Item]:
    d = tbldomains
    query = select(d).where(d.c.userid.in_(client_ids), _domain_filter(selection, limit))
    return [Item(
        DOMAIN, r.id, r.userid, to_money(r.recurringamount or 0), "", r.registrationperiod or 0,
        r.registrationdate, r.nextduedate, r.nextinvoicedate, r.paymentmethod or "",
        r.status or "", (r.domain or "").strip(), (r.domain or "").strip(), taxable=True,
    ) for r in conn.execute(query)]


@dataclass(frozen=True)
class Billed:
    """Periods already billed, as (kind, id, period start)."""
    ledger: set[tuple[str, int, dt.date]]
    lines: set[tuple[str, int, dt.date]]

    def __contains__(self, key: tuple[str, int, dt.date]) -> bool:
        return key in self.ledger or key in self.lines


def already_billed(conn: Connection, items: list[Item]) -> Billed:
    """Our ledger of billed periods, and WHMCS's own invoice lines for the same items."""
    if not items:
        return Billed(set(), set())
    by_kind: dict[str, list[int]] = {}
    for item in items:
        by_kind.setdefault(item.kind, []).append(item.id)
    l, li = own.ledger, tblinvoiceitems
    ledger = select(l.c.kind, l.c.relid, l.c.period_start).where(
        or_(*(and_(l.c.kind == k, l.c.relid.in_(ids)) for k, ids in by_kind.items())))
    lines = select(li.c.type, li.c.relid, li.c.duedate).where(
        or_(*(and_(li.c.type == k, li.c.relid.in_(ids)) for k, ids in by_kind.items())))
    return Billed({(k, r, d) for k, r, d in conn.execute(ledger)},
                  {(k, r, d) for k, r, d in conn.execute(lines) if d is not None})
