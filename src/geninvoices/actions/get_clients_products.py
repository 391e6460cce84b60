"""GetClientsProducts [doc]: a page of services, as ``products: {product: [...]}`` (rules §14.2).

Value types copy WHMCS's example: every field a string, ``startnumber`` and ``numreturned``
numbers, the searched-for ``serviceid``/``pid``/``domain`` null when not given. Fields whose
table geninvoices does not have (servers, product groups, orders, gateways' display names)
answer as WHMCS answers for a service without one; service passwords are never shown.
"""

from __future__ import annotations

from sqlalchemy import Connection, and_, select

from ..models.whmcs import tblhosting, tblproducts
from . import fields as f
from .params import Text, WholeNumber, parse
from .registry import read_action
from .services import PageParams, page, require_client


class Params(PageParams):
    clientid: WholeNumber | None = None
    serviceid: WholeNumber | None = None
    pid: WholeNumber | None = None
    domain: Text | None = None
    username2: Text | None = None


def _filters(p: Params):
    h, where = tblhosting, []
    for value, column in ((p.clientid, h.c.userid), (p.serviceid, h.c.id),
                          (p.pid, h.c.packageid), (p.domain, h.c.domain),
                          (p.username2, h.c.username)):
        if value is not None and value != "":
            where.append(column == (value.strip() if isinstance(value, str) else value))
    return and_(True, *where)


def product_row(r) -> dict:
    s = str
    return {
        "id": s(r.id), "qty": s(r.qty or 0), "clientid": s(r.userid or 0),
        "orderid": s(r.orderid or 0), "ordernumber": "", "pid": s(r.packageid or 0),
        "regdate": f.date(r.regdate), "name": r.product_name or "",
        "translated_name": r.product_name or "", "groupname": "", "translated_groupname": "",
        "domain": r.domain or "", "dedicatedip": r.dedicatedip or "",
        "serverid": s(r.server or 0), "servername": "", "serverip": "", "serverhostname": "",
        "suspensionreason": r.suspendreason or "",
        "firstpaymentamount": f.money(r.firstpaymentamount),
        "recurringamount": f.money(r.amount), "paymentmethod": r.paymentmethod or "",
        "paymentmethodname": r.paymentmethod or "", "billingcycle": r.billingcycle or "",
        "nextduedate": f.date(r.nextduedate), "status": r.domainstatus or "",
        "username": r.username or "", "password": "", "subscriptionid": r.subscriptionid or "",
        "promoid": s(r.promoid or 0), "overideautosuspend": s(r.overideautosuspend or 0),
        "overidesuspenduntil": f.date(r.overidesuspenduntil), "ns1": r.ns1 or "",
        "ns2": r.ns2 or "", "assignedips": r.assignedips or "", "notes": r.notes or "",
        "diskusage": s(r.diskusage or 0), "disklimit": s(r.disklimit or 0),
        "bwusage": s(r.bwusage or 0), "bwlimit": s(r.bwlimit or 0),
        "lastupdate": f.datetime(r.lastupdate),
        "customfields": {"customfield": []}, "configoptions": {"configoption": []},
    }


def _rows(conn: Connection, ids: list[int]) -> list[dict]:
    if not ids:
        return []
    h, p = tblhosting, tblproducts
    query = (select(h, p.c.name.label("product_name"))
             .select_from(h.outerjoin(p, p.c.id == h.c.packageid))
             .where(h.c.id.in_(ids)).order_by(h.c.id))
    return [product_row(r) for r in conn.execute(query)]


@read_action("GetClientsProducts")
def get_clients_products(conn: Connection, raw: dict) -> dict:
    p = parse(Params, raw)
    require_client(conn, p.clientid)
    total, ids = page(conn, tblhosting, _filters(p), p)
    rows = _rows(conn, ids)
    return {"clientid": None if p.clientid is None else str(p.clientid),
            "serviceid": None if p.serviceid is None else str(p.serviceid),
            "pid": None if p.pid is None else str(p.pid), "domain": p.domain,
            "totalresults": str(total), "startnumber": p.limitstart,
            "numreturned": len(rows), "products": {"product": rows}}
