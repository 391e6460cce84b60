"""The queries that find what is due (rules §5.1). A bounded number of queries per chunk of
clients, whatever the number of items: clients, services, addons, domains, and what of them
is already billed (the ledger and WHMCS's own invoice lines)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields
from decimal import Decimal

from sqlalchemy import Connection, and_, exists, func, select, union
from sqlalchemy.sql import ColumnElement

from ..models import own
from ..models.whmcs import (
    tbladdons,
    tblbillableitems,
    tblcancelrequests,
    tblclients,
    tbldomains,
    tblhosting,
    tblhostingaddons,
    tblinvoiceitems,
    tblinvoices,
    tblproducts,
)
from . import bulk
from .bulk import among
from .items import Item
from .kinds import ADDON, ALL, BILLABLE, DOMAIN, NEXT_INVOICE, SERVICE, Kind
from .money import to_money


@dataclass(frozen=True)
class Selection:
    """What one run looks at: everything due, or exactly the listed ids (rules §4)."""
    clientid: int | None = None
    serviceids: tuple[int, ...] | None = None
    domainids: tuple[int, ...] | None = None
    addonids: tuple[int, ...] | None = None

    @classmethod
    def of(cls, clientid: int | None = None, serviceids=None, domainids=None,
           addonids=None) -> Selection:
        """From the caller's id lists, None where not given. Once one list is given, the
        others list nothing: exactly the listed items are considered."""
        lists = (serviceids, domainids, addonids)
        listing = any(ids is not None for ids in lists)
        return cls(clientid, *(tuple(ids or ()) if listing else None for ids in lists))

    @property
    def listing(self) -> bool:
        return not (self.serviceids is None and self.domainids is None
                    and self.addonids is None)

    def ids_for(self, kind: Kind) -> tuple[int, ...]:
        ids = {SERVICE: self.serviceids, DOMAIN: self.domainids, ADDON: self.addonids}
        return ids.get(kind) or ()

    def listed(self, item: Item) -> bool:
        return self.listing and item.id in self.ids_for(item.kind)


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


def _narrow(kind: Kind, selection: Selection, limit: dt.date) -> ColumnElement:
    return kind.narrow(selection.ids_for(kind) if selection.listing else None, limit)


def candidate_clients(conn: Connection, limit: dt.date, selection: Selection) -> list[int]:
    """Clients that may have something to bill, in id order; ``limit`` is the last day
    any lead time reaches."""
    if selection.clientid is not None:
        return [selection.clientid]
    query = union(*(select(kind.table.c.userid.label("userid"))
                    .where(_narrow(kind, selection, limit)) for kind in ALL)).subquery()
    return list(conn.execute(select(query.c.userid).order_by(query.c.userid)).scalars())


def lock_clients(conn: Connection, ids: list[int], *, wait: bool,
                 lock: bool = True) -> dict[int, Client]:
    """Lock whole clients for this transaction. A scan skips clients another run holds
    (it bills them); a run for one named client waits, up to the lock timeout. A preview
    (``lock=False``) only reads them."""
    query = (select(*_CLIENT_COLUMNS).where(among(conn, tblclients.c.id, ids))
             .order_by(tblclients.c.id))
    if lock and conn.dialect.name != "sqlite":  # SQLite: BEGIN IMMEDIATE holds the database
        query = query.with_for_update(skip_locked=not wait)
    return {row.id: _client(row) for row in conn.execute(query)}


_CLIENT_COLUMNS = [tblclients.c[f.name] for f in fields(Client)]  # a run reads no others


def _client(row) -> Client:
    return Client(row.id, row.firstname or "", row.lastname or "", row.companyname or "",
                  row.email or "", row.country or "", row.state or "", row.currency or 0,
                  to_money(row.credit or 0), bool(row.taxexempt), bool(row.separateinvoices),
                  row.defaultgateway or "")


def load_items(conn: Connection, client_ids: list[int], limit: dt.date,
               selection: Selection) -> list[Item]:
    return (_services(conn, client_ids, _narrow(SERVICE, selection, limit))
            + _addons(conn, client_ids, _narrow(ADDON, selection, limit))
            + _domains(conn, client_ids, _narrow(DOMAIN, selection, limit))
            + _billables(conn, client_ids, _narrow(BILLABLE, selection, limit)))


def load_by_id(conn: Connection, client_id: int, ids: dict[Kind, list[int]]) -> list[Item]:
    """Exactly these services, addons and domains of one client, whatever their status or
    dates: what a caller bills at once (an order's first invoice, rules §13)."""
    loaders = {SERVICE: _services, ADDON: _addons, DOMAIN: _domains}
    return [item for kind, wanted in ids.items() if wanted
            for item in loaders[kind](conn, [client_id], kind.table.c.id.in_(wanted))]


def load_riders(conn: Connection, client_ids: list[int]) -> list[Item]:
    """Billable items that join the next invoice of their client (rules §5.9)."""
    b = tblbillableitems
    return _billables(conn, client_ids, and_(b.c.invoiceaction == NEXT_INVOICE,
                                             b.c.invoicecount == 0))


def _billables(conn, client_ids, narrowed) -> list[Item]:
    b, lg = tblbillableitems, own.ledger
    # the item's oldest period (rules §5.9), through the ledger's index of billable items
    first_billed = (select(func.min(lg.c.period_start))
                    .where(lg.c.billable_id == b.c.id)
                    .scalar_subquery().label("first_billed"))
    query = select(b, first_billed).where(among(conn, b.c.userid, client_ids), narrowed)
    return [_billable(r) for r in conn.execute(query)]


def _billable(r) -> Item:
    due = r.duedate
    return Item(
        BILLABLE, r.id, r.userid, to_money(r.amount or 0), (r.recurcycle or "").strip(),
        r.first_billed or due, due, due, "", "", (r.description or "").strip(),
        action=r.invoiceaction or 0, every=r.recur or 0, recurfor=r.recurfor or 0,
        invoicecount=r.invoicecount or 0, stored_duedate=due)


def _columns(table, *names: str) -> list:
    """What an item is built from, and no more: the columns every kind has, then its own."""
    common = ("id", "userid", "nextduedate", "nextinvoicedate", "paymentmethod")
    regdate = () if table is tbldomains else ("regdate",)
    return [table.c[name] for name in (*common, *regdate, *names)]


def _cancel_requested(service_id_column) -> ColumnElement:
    return exists().where(tblcancelrequests.c.relid == service_id_column)


def _services(conn, client_ids, narrowed) -> list[Item]:
    h, p = tblhosting, tblproducts
    query = (select(*_columns(h, "amount", "billingcycle", "domain", "domainstatus", "packageid",
                              "promoid"),
                    p.c.id.label("product_id"), p.c.name.label("product_name"),
                    p.c.tax.label("product_tax"), _cancel_requested(h.c.id).label("cancelled"))
             .select_from(h.outerjoin(p, p.c.id == h.c.packageid))
             .where(among(conn, h.c.userid, client_ids), narrowed))
    return [Item(
        SERVICE, r.id, r.userid, to_money(r.amount or 0), r.billingcycle or "", r.regdate,
        r.nextduedate, r.nextinvoicedate, r.paymentmethod or "", r.domainstatus or "",
        r.product_name or "", (r.domain or "").strip(), tax_flag=bool(r.product_tax),
        definition_id=r.packageid or 0, definition_found=r.product_id is not None,
        cancel_requested=bool(r.cancelled), promoid=r.promoid or 0,
    ) for r in conn.execute(query)]


def _addons(conn, client_ids, narrowed) -> list[Item]:
    a, ad, h = tblhostingaddons, tbladdons, tblhosting
    # the parent service's id and status looked up row by row through its primary key: as
    # a join, PostgreSQL read and hashed every service for each chunk's few hundred addons
    parent = lambda column: (select(column).where(h.c.id == a.c.hostingid)  # noqa: E731
                             .scalar_subquery())
    query = (select(*_columns(a, "recurring", "billingcycle", "status", "name", "tax",
                              "addonid"),
                    ad.c.id.label("addon_exists"), ad.c.name.label("addon_name"),
                    parent(h.c.id).label("parent_id"),
                    parent(h.c.domainstatus).label("parent_status"),
                    _cancel_requested(a.c.hostingid).label("parent_cancelled"))
             .select_from(a.outerjoin(ad, ad.c.id == a.c.addonid))
             .where(among(conn, a.c.userid, client_ids), narrowed))
    return [Item(
        ADDON, r.id, r.userid, to_money(r.recurring or 0), r.billingcycle or "", r.regdate,
        r.nextduedate, r.nextinvoicedate, r.paymentmethod or "", r.status or "",
        (r.name or "").strip() or (r.addon_name or ""),
        tax_flag=(r.tax or "").strip().lower() in ("1", "on"),
        definition_id=r.addonid or 0,
        definition_found=r.addon_exists is not None or bool((r.name or "").strip()),
        cancel_requested=bool(r.parent_cancelled),
        parent_status=None if r.parent_id is None else r.parent_status or "",
    ) for r in conn.execute(query)]


def _domains(conn, client_ids, narrowed) -> list[Item]:
    d = tbldomains
    query = select(*_columns(d, "recurringamount", "registrationperiod", "registrationdate",
                             "status", "domain", "donotrenew", "promoid")).where(
        among(conn, d.c.userid, client_ids), narrowed)
    return [Item(
        DOMAIN, r.id, r.userid, to_money(r.recurringamount or 0), r.registrationperiod or 0,
        r.registrationdate, r.nextduedate, r.nextinvoicedate, r.paymentmethod or "",
        r.status or "", (r.domain or "").strip(), (r.domain or "").strip(),
        donotrenew=bool(r.donotrenew), promoid=r.promoid or 0,
    ) for r in conn.execute(query)]


@dataclass(frozen=True)
class Billed:
    """Periods already billed, as (kind, id, period start)."""
    ledger: set[tuple[str, int, dt.date]]
    lines: set[tuple[str, int, dt.date]]

    def __contains__(self, key: tuple[str, int, dt.date]) -> bool:
        return key in self.ledger or key in self.lines


def already_billed(conn: Connection, items: list[Item], *, ledger: bool = True) -> Billed:
    """Our ledger of billed periods (unless ``ledger`` is False: the caller's claims will
    find them), and WHMCS's own invoice lines, for exactly the periods these items are about
    to bill: the lookups read those periods only, through the ledger's unique key and the
    lines' (duedate, type, relid) index, so their cost does not grow with history."""
    if not items:
        return Billed(set(), set())
    li = tblinvoiceitems
    line_key = (li.c.type, li.c.relid, li.c.duedate)
    wanted = {i.period for i in items}
    lines = select(*line_key).where(bulk.periods(conn, line_key, wanted))
    return Billed(in_ledger(conn, wanted) if ledger else set(),
                  {tuple(r) for r in conn.execute(lines)} & wanted)


def line_statuses(conn: Connection, wanted: set[tuple[str, int, dt.date]]) -> dict[tuple, set]:
    """For each of these (kind, id, period start) that invoice lines hold, the statuses of
    the invoices holding them: the lines by their whole key, then those invoices by id (in
    one statement joined, a planner may start from every invoice of a status instead)."""
    li, inv = tblinvoiceitems, tblinvoices
    key = (li.c.type, li.c.relid, li.c.duedate)
    lines = conn.execute(select(*key, li.c.invoiceid)
                         .where(bulk.periods(conn, key, wanted))).all() if wanted else []
    if not lines:
        return {}
    status_of = dict(conn.execute(select(inv.c.id, inv.c.status).where(
        among(conn, inv.c.id, {ln.invoiceid for ln in lines}))).all())
    held: dict[tuple, set] = {}
    for ln in lines:
        if (period := (ln.type, ln.relid, ln.duedate)) in wanted and ln.invoiceid in status_of:
            held.setdefault(period, set()).add(status_of[ln.invoiceid])
    return held


def in_ledger(conn: Connection, wanted: set[tuple[str, int, dt.date]]) -> set[tuple]:
    """Which of these (kind, id, period start) the ledger holds."""
    if not wanted:
        return set()
    lg = own.ledger
    key = (lg.c.kind, lg.c.relid, lg.c.period_start)
    return {tuple(r) for r in conn.execute(select(*key).where(bulk.periods(conn, key, wanted)))
            } & wanted
