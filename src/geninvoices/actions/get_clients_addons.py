"""GetClientsAddons [doc]: service addons, as ``addons: {addon: [...]}`` (rules §14.2).

WHMCS documents no paging here; geninvoices answers at most 1,000 addons and takes
``limitstart``/``limitnum`` as an extension, ``totalresults`` counting them all."""

from __future__ import annotations

from sqlalchemy import Connection, and_, select

from ..models.whmcs import tbladdons, tblhostingaddons
from . import fields as f
from .params import IdList, WholeNumber, parse
from .registry import read_action
from .services import MAX_LIMIT, PageParams, page, require_client


class Params(PageParams):
    serviceid: IdList | None = None  # "single number or comma separated list"
    clientid: WholeNumber | None = None
    addonid: WholeNumber | None = None
    limitnum: WholeNumber = MAX_LIMIT


def _filters(p: Params):
    a, where = tblhostingaddons, []
    if p.serviceid:
        where.append(a.c.hostingid.in_(p.serviceid))
    if p.clientid is not None:
        where.append(a.c.userid == p.clientid)
    if p.addonid is not None:
        where.append(a.c.addonid == p.addonid)
    return and_(True, *where)


def addon_row(r) -> dict:
    s = str
    return {
        "id": s(r.id), "qty": s(r.qty or 0), "userid": s(r.userid or 0),
        "orderid": s(r.orderid or 0), "serviceid": s(r.hostingid or 0),
        "addonid": s(r.addonid or 0),
        "name": (r.name or "").strip() or (r.catalogue_name or ""),
        "setupfee": f.money(r.setupfee), "recurring": f.money(r.recurring),
        "billingcycle": r.billingcycle or "", "tax": r.tax or "", "status": r.status or "",
        "regdate": f.date(r.regdate), "nextduedate": f.date(r.nextduedate),
        "nextinvoicedate": f.date(r.nextinvoicedate), "paymentmethod": r.paymentmethod or "",
        "paymentmethodname": r.paymentmethod or "", "notes": r.notes or "",
    }


def _rows(conn: Connection, ids: list[int]) -> list[dict]:
    if not ids:
        return []
    a, ad = tblhostingaddons, tbladdons
    query = (select(a, ad.c.name.label("catalogue_name"))
             .select_from(a.outerjoin(ad, ad.c.id == a.c.addonid))
             .where(a.c.id.in_(ids)).order_by(a.c.id))
    return [addon_row(r) for r in conn.execute(query)]


@read_action("GetClientsAddons")
def get_clients_addons(conn: Connection, raw: dict) -> dict:
    p = parse(Params, raw)
    require_client(conn, p.clientid)
    total, ids = page(conn, tblhostingaddons, _filters(p), p)
    served = ",".join(str(i) for i in p.serviceid) if p.serviceid else ""
    return {"serviceid": served, "clientid": "" if p.clientid is None else str(p.clientid),
            "totalresults": str(total), "addons": {"addon": _rows(conn, ids)}}
