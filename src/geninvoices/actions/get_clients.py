"""GetClients [doc]: a page of clients, searched, filtered and ordered (rules §11)."""

from __future__ import annotations

from typing import Literal

from pydantic import field_validator
from pydantic_core import PydanticCustomError
from sqlalchemy import Connection, and_, func, select, union

from ..models.whmcs import CLIENT_SEARCH_COLUMNS, tblclients
from . import fields as f
from .client_fields import STATUSES
from .params import ActionParams, Text, WholeNumber, parse
from .registry import read_action

MAX_LIMIT = 1000
ORDER_COLUMNS = ("id", "firstname", "lastname", "companyname", "email", "groupid",
                 "datecreated", "status")


class Params(ActionParams):
    limitstart: WholeNumber = 0
    limitnum: WholeNumber = 25
    sorting: Text = "ASC"
    status: Text = ""
    search: Text = ""
    orderby: Text = "id"

    @field_validator("orderby")
    @classmethod
    def _orderby(cls, value: str) -> str:
        value = value.strip().lower() or "id"
        if value not in ORDER_COLUMNS:
            raise PydanticCustomError("orderby", "must be one of " + "|".join(ORDER_COLUMNS))
        return value

    @field_validator("sorting")
    @classmethod
    def _sorting(cls, value: str) -> Literal["asc", "desc"]:
        value = value.strip().lower() or "asc"
        if value not in ("asc", "desc"):
            raise PydanticCustomError("sorting", "must be ASC or DESC")
        return value

    @field_validator("status")
    @classmethod
    def _status(cls, value: str) -> str:
        value = value.strip()
        found = {s.lower(): s for s in STATUSES}.get(value.lower())
        if value and found is None:
            raise PydanticCustomError("status", "must be Active, Inactive or Closed")
        return found or ""


def _starts_with(column, term: str, dialect: str):
    """Case-insensitive prefix match, in the form each backend's index serves (revision
    0010): SQLite's LIKE ignores ASCII case and MariaDB's collation ignores case, so the
    column's index (NOCASE on SQLite) serves LIKE; PostgreSQL compares lower() with lower(),
    which is what its ILIKE does, through the index on lower(column)."""
    pattern = term.replace("/", "//").replace("%", "/%").replace("_", "/_") + "%"
    if dialect == "postgresql":
        return func.lower(column).like(func.lower(pattern), escape="/")
    return column.like(pattern, escape="/")


def _matching_ids(term: str, dialect: str):
    """rules §11: the ids of clients whose email, first name, last name, company name or full
    name starts with the term; one prefix match per column, so each uses its own index."""
    c = tblclients.c
    arms = [select(c.id).where(_starts_with(c[name], term, dialect))
            for name in CLIENT_SEARCH_COLUMNS]
    if " " in term:  # without a space, a full name starts with it only if the first does
        # a full name starting with "Ann Smi" has a first name starting with "Ann"
        first_word = term.split(" ", 1)[0]
        arms.append(select(c.id).where(
            _starts_with(c.firstname, first_word, dialect),
            _starts_with(c.firstname + " " + c.lastname, term, dialect)))
    return union(*arms).subquery("matching")


def client_row(r) -> dict:
    return {"id": f.integer(r.id), "firstname": r.firstname or "",
            "lastname": r.lastname or "", "companyname": r.companyname or "",
            "email": r.email or "", "datecreated": f.date(r.datecreated),
            "groupid": f.integer(r.groupid), "status": r.status or ""}


def _clients(p: Params, dialect: str):
    """The clients to count and page: all, or those the search matches, joined by id."""
    term = p.search.strip()
    if not term:
        return tblclients
    matching = _matching_ids(term, dialect)
    return tblclients.join(matching, matching.c.id == tblclients.c.id)


@read_action("GetClients")
def get_clients(conn: Connection, raw: dict) -> dict:
    p = parse(Params, raw)
    c, source = tblclients.c, _clients(p, conn.dialect.name)
    where = and_(True, *([c.status == p.status] if p.status else []))
    column = c[p.orderby]
    ordering = [column.desc(), c.id.desc()] if p.sorting == "desc" else [column, c.id]
    total = conn.execute(select(func.count()).select_from(source).where(where)).scalar()
    rows = []
    if p.limitnum:
        # the page's ids first, then only their rows: a deep limitstart skips ids, not rows
        page = (select(c.id).select_from(source).where(where).order_by(*ordering)
                .limit(min(p.limitnum, MAX_LIMIT)).offset(p.limitstart).subquery("page"))
        query = (select(c.id, c.firstname, c.lastname, c.companyname, c.email, c.datecreated,
                        c.groupid, c.status).join(page, page.c.id == c.id)
                 .order_by(*ordering))
        rows = [client_row(r) for r in conn.execute(query)]
    return {"totalresults": int(total), "startnumber": p.limitstart, "numreturned": len(rows),
            "clients": {"client": rows}}
