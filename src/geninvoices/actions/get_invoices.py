"""GetInvoices [doc]: a page of invoices, with filters and ordering (rules §7)."""

from __future__ import annotations

from sqlalchemy import and_, func, select

from ..clock import today_in
from ..db import transaction
from ..models.whmcs import tblclients, tblcurrencies, tblinvoices
from . import fields as f
from .params import ActionParams, Text, WholeNumber, direction, order_by, parse
from .registry import Context, action

MAX_LIMIT = 1000
ORDER_COLUMNS = {"id": "id", "invoicenumber": "invoicenum", "date": "date",
                 "duedate": "duedate", "total": "total", "status": "status"}
OrderBy = order_by(ORDER_COLUMNS)
Order = direction("asc", "desc")


class Params(ActionParams):
    limitstart: WholeNumber = 0
    limitnum: WholeNumber = 25
    userid: WholeNumber | None = None
    status: Text = ""
    orderby: OrderBy = "id"
    order: Order = "asc"


def _filters(p: Params, today):
    inv, where = tblinvoices, []
    if p.userid is not None:
        where.append(inv.c.userid == p.userid)
    status = p.status.strip()
    if status.lower() == "overdue":
        where += [inv.c.status == "Unpaid", inv.c.duedate < today]
    elif status:
        where.append(inv.c.status == status)
    return and_(True, *where)


def invoice_row(r) -> dict:
    return {
        "id": f.integer(r.id), "userid": f.integer(r.userid), "firstname": r.firstname or "",
        "lastname": r.lastname or "", "companyname": r.companyname or "",
        "invoicenum": r.invoicenum or "", "date": f.date(r.date), "duedate": f.date(r.duedate),
        "datepaid": f.datetime(r.datepaid), "last_capture_attempt": f.datetime(
            r.last_capture_attempt), "date_refunded": f.datetime(r.date_refunded),
        "date_cancelled": f.datetime(r.date_cancelled), "subtotal": f.money(r.subtotal),
        "credit": f.money(r.credit), "tax": f.money(r.tax), "tax2": f.money(r.tax2),
        "total": f.money(r.total), "taxrate": f.rate(r.taxrate), "taxrate2": f.rate(r.taxrate2),
        "status": r.status or "", "paymentmethod": r.paymentmethod or "",
        "paymethodid": r.paymethodid, "notes": r.notes or "",
        "created_at": f.datetime(r.created_at), "updated_at": f.datetime(r.updated_at),
        "currencycode": r.code or "", "currencyprefix": r.prefix or "",
        "currencysuffix": r.suffix or "",
    }


def default_currency(name: str):
    """One field of the default currency (the first ``default`` = 1 row), or NULL."""
    cur = tblcurrencies
    return (select(cur.c[name]).where(cur.c.default == 1).order_by(cur.c.id).limit(1)
            .scalar_subquery())


def _page_query(p: Params, where):
    inv, c, cur = tblinvoices, tblclients, tblcurrencies
    column = inv.c[ORDER_COLUMNS[p.orderby]]
    ordering = [column.desc(), inv.c.id.desc()] if p.order == "desc" else [column, inv.c.id]
    # the page's ids first, through an index; then only those rows are joined
    page = (select(inv.c.id).where(where).order_by(*ordering)
            .limit(min(p.limitnum, MAX_LIMIT)).offset(p.limitstart).subquery())
    # rules §5.3: the client's currency; 0 or one that names no row means the default
    currency = [func.coalesce(cur.c[name], default_currency(name)).label(name)
                for name in ("code", "prefix", "suffix")]
    return (select(inv, c.c.firstname, c.c.lastname, c.c.companyname, *currency)
            .select_from(page.join(inv, inv.c.id == page.c.id)
                         .outerjoin(c, c.c.id == inv.c.userid)
                         .outerjoin(cur, cur.c.id == c.c.currency))
            .order_by(*ordering))


@action("GetInvoices")
def get_invoices(ctx: Context, raw: dict) -> dict:
    p = parse(Params, raw)
    where = _filters(p, today_in(ctx.settings))
    with transaction(ctx.engine, write=False) as conn:
        total = conn.execute(select(func.count()).select_from(tblinvoices).where(where)).scalar()
        rows = [invoice_row(r) for r in conn.execute(_page_query(p, where))] if p.limitnum else []
    return {"totalresults": int(total), "startnumber": p.limitstart, "numreturned": len(rows),
            "invoices": {"invoice": rows}}
