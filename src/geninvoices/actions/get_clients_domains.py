"""GetClientsDomains [doc]: a page of domains, as ``domains: {domain: [...]}`` (rules §14.2).

Every value a string, as WHMCS's example shows them."""

from __future__ import annotations

from sqlalchemy import Connection, and_, select

from ..models.whmcs import tbldomains
from . import fields as f
from .params import Text, WholeNumber, parse
from .registry import read_action
from .services import PageParams, page, require_client


class Params(PageParams):
    clientid: WholeNumber | None = None
    domainid: WholeNumber | None = None
    domain: Text | None = None


def _filters(p: Params):
    d, where = tbldomains, []
    if p.clientid is not None:
        where.append(d.c.userid == p.clientid)
    if p.domainid is not None:
        where.append(d.c.id == p.domainid)
    if p.domain and p.domain.strip():
        where.append(d.c.domain == p.domain.strip())
    return and_(True, *where)


def domain_row(r) -> dict:
    s = str
    return {
        "id": s(r.id), "userid": s(r.userid or 0), "orderid": s(r.orderid or 0),
        "regtype": r.type or "", "domainname": r.domain or "", "registrar": r.registrar or "",
        "regperiod": s(r.registrationperiod or 0),
        "firstpaymentamount": f.money(r.firstpaymentamount),
        "recurringamount": f.money(r.recurringamount), "paymentmethod": r.paymentmethod or "",
        "paymentmethodname": r.paymentmethod or "", "regdate": f.date(r.registrationdate),
        "expirydate": f.date(r.expirydate), "nextduedate": f.date(r.nextduedate),
        "status": r.status or "", "subscriptionid": r.subscriptionid or "",
        "promoid": s(r.promoid or 0), "dnsmanagement": s(r.dnsmanagement or 0),
        "emailforwarding": s(r.emailforwarding or 0), "idprotection": s(r.idprotection or 0),
        "donotrenew": s(r.donotrenew or 0), "notes": r.additionalnotes or "",
    }


@read_action("GetClientsDomains")
def get_clients_domains(conn: Connection, raw: dict) -> dict:
    p = parse(Params, raw)
    require_client(conn, p.clientid)
    total, ids = page(conn, tbldomains, _filters(p), p)
    d = tbldomains
    rows = [domain_row(r) for r in conn.execute(
        select(d).where(d.c.id.in_(ids)).order_by(d.c.id))] if ids else []
    return {"clientid": "" if p.clientid is None else str(p.clientid),
            "domainid": "" if p.domainid is None else str(p.domainid),
            "totalresults": str(total), "startnumber": str(p.limitstart),
            "numreturned": str(len(rows)), "domains": {"domain": rows}}
