"""GetClients [doc]: a page of clients, searched, filtered and ordered (rules §11)."""

from __future__ import annotations

from pydantic import field_validator
from pydantic_core import PydanticCustomError
from sqlalchemy import Connection, and_, func, or_, select

from ..models.whmcs import tblclients
from . import fields as f
from .client_fields import STATUSES
from .params import ActionParams, Text, WholeNumber, direction, order_by, parse
from .registry import read_action

MAX_LIMIT = 1000
ORDER_COLUMNS = ("id", "firstname", "lastname", "companyname", "email", "groupid",
                 "datecreated", "status")
OrderBy = order_by(ORDER_COLUMNS)
Sorting = direction("ASC", "DESC")


class Params(ActionParams):
    limitstart: WholeNumber = 0
    limitnum: WholeNumber = 25
    sorting: Sorting = "ASC"
    status: Text = ""
    search: Text = ""
    orderby: OrderBy = "id"

    @field_validator("status")
    @classmethod
    def _status(cls, value: str) -> str:
        value = value.strip()
        found = {s.lower(): s for s in STATUSES}.get(value.lower())
        if value and found is None:
            raise PydanticCustomError("status", "must be Active, Inactive or Closed")
        return found or ""


def _starts_with(column, term: str, dialect: str):
    """Case-insensitive prefix match, as cheaply as each backend allows: SQLite's LIKE already
    ignores ASCII case and MariaDB's collation ignores case; PostgreSQL needs ILIKE."""
    pattern = term.replace("/", "//").replace("%", "/%").replace("_", "/_") + "%"
    if dialect == "postgresql":
        return column.ilike(pattern, escape="/")
    return column.like(pattern, escape="/")


def _filters(p: Params, dialect: str):
    c, where = tblclients.c, []
    if p.status:
        where.append(c.status == p.status)
    term = p.search.strip()
    if term:
        # rules §11: the start of email, first name, last name, full name or company name
        columns = [c.email, c.firstname, c.lastname, c.companyname]
        if " " in term:  # without a space, a full name starts with it only if the first does
            columns.append(c.firstname + " " + c.lastname)
        where.append(or_(*(_starts_with(col, term, dialect) for col in columns)))
    return and_(True, *where)


def client_row(r) -> dict:
    return {"id": f.integer(r.id), "firstname": r.firstname or "",
            "lastname": r.lastname or "", "companyname": r.companyname or "",
            "email": r.email or "", "datecreated": f.date(r.datecreated),
            "groupid": f.integer(r.groupid), "status": r.status or ""}


@read_action("GetClients")
def get_clients(conn: Connection, raw: dict) -> dict:
    p = parse(Params, raw)
    c, where = tblclients.c, _filters(p, conn.dialect.name)
    column = c[p.orderby]
    ordering = [column.desc(), c.id.desc()] if p.sorting == "desc" else [column, c.id]
    total = conn.execute(select(func.count()).select_from(tblclients).where(where)).scalar()
    rows = []
    if p.limitnum:
        query = (select(c.id, c.firstname, c.lastname, c.companyname, c.email, c.datecreated,
                        c.groupid, c.status).where(where).order_by(*ordering)
                 .limit(min(p.limitnum, MAX_LIMIT)).offset(p.limitstart))
        rows = [client_row(r) for r in conn.execute(query)]
    return {"totalresults": int(total), "startnumber": p.limitstart, "numreturned": len(rows),
            "clients": {"client": rows}}
