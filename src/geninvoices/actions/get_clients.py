"""GetClients [doc]: a page of clients, searched, filtered and ordered (rules §11)."""

from __future__ import annotations

from pydantic import field_validator
from pydantic_core import PydanticCustomError
from sqlalchemy import Connection, String, and_, column, func, select, union

from ..db import index_names
from ..models.whmcs import (
    CLIENT_ORDER_KEY_COLUMNS,
    CLIENT_ORDER_KEY_LENGTH,
    CLIENT_SEARCH_COLUMNS,
    client_order_index,
    client_order_key,
    tblclients,
)
from . import fields as f
from .client_fields import STATUSES
from .params import ActionParams, Text, WholeNumber, direction, order_by, parse
from .registry import read_action

MAX_LIMIT = 1000
ID_INDEX = "gi_clients_id"  # MariaDB/MySQL, revision 0013
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
    """Case-insensitive prefix match, in the form each backend's index serves (revision
    0010): SQLite's LIKE ignores ASCII case and MariaDB's collation ignores case, so the
    column's index (NOCASE on SQLite) serves LIKE; PostgreSQL compares lower() with lower(),
    which is what its ILIKE does, through the index on lower(column)."""
    pattern = term.replace("/", "//").replace("%", "/%").replace("_", "/_") + "%"
    if dialect == "postgresql":
        return func.lower(column).like(func.lower(pattern), escape="/")
    return column.like(pattern, escape="/")


def _matching_ids(conn: Connection, term: str):
    """rules §11: the ids of clients whose email, first name, last name, company name or full
    name starts with the term; one prefix match per column, so each uses its own index."""
    c, dialect = tblclients.c, conn.dialect.name
    arms = [select(c.id).where(_starts_with(_searched(conn, name, term), term, dialect))
            for name in CLIENT_SEARCH_COLUMNS]
    if " " in term:  # without a space, a full name starts with it only if the first does
        # a full name starting with "Ann Smi" has a first name starting with "Ann"
        first_word = term.split(" ", 1)[0]
        arms.append(select(c.id).where(
            _starts_with(_searched(conn, "firstname", first_word), first_word, dialect),
            _starts_with(c.firstname + " " + c.lastname, term, dialect)))
    return union(*arms).subquery("matching")


def _searched(conn: Connection, name: str, term: str):
    """What a prefix match on column ``name`` looks at: on MariaDB, where the column has an
    order key (its first 64 characters, revision 0013) and the term is no longer than that,
    the key; LIKE matches one character for one, so a term of up to 64 characters starts the
    key exactly when it starts the column, and the key's index answers alone (the column's
    own index holds a prefix, so each match found there is checked on the client's row)."""
    if len(term) <= CLIENT_ORDER_KEY_LENGTH and _has_order_key(conn, name):
        return column(client_order_key(name), String)
    return tblclients.c[name]


def _keyed_search(conn: Connection) -> bool:
    """Whether every searched column matches through its order key (MariaDB, revision
    0013): the matches are then cheap to find twice, for the count and for the page, and
    cheaper than sending every matching id to be counted here."""
    return all(_has_order_key(conn, name) for name in CLIENT_SEARCH_COLUMNS)


def client_row(r) -> dict:
    return {"id": f.integer(r.id), "firstname": r.firstname or "",
            "lastname": r.lastname or "", "companyname": r.companyname or "",
            "email": r.email or "", "datecreated": f.date(r.datecreated),
            "groupid": f.integer(r.groupid), "status": r.status or ""}


def _count_and_page(conn: Connection, p: Params):
    """The count of the clients wanted and the ids of the page asked for, the matches of a
    search joined to tblclients by id (a search in id order without a status goes through
    ``_search_by_id`` instead)."""
    c, term = tblclients.c, p.search.strip()
    limit = min(p.limitnum, MAX_LIMIT)
    matching = _matching_ids(conn, term) if term else None
    if matching is not None and not p.status and p.orderby == "id":  # the ids alone will do
        return (select(func.count()).select_from(matching),
                select(matching.c.id).order_by(*_ordering(p, matching.c.id))
                .limit(limit).offset(p.limitstart))
    source = tblclients if matching is None else tblclients.join(
        matching, matching.c.id == c.id)
    where = and_(True, *([c.status == p.status] if p.status else []))
    count = select(func.count()).select_from(source).where(where)
    if matching is None and p.limitnum and _has_order_key(conn, p.orderby):
        return count, _keyed_page(conn, p, where)
    page = (select(c.id).select_from(source).where(where).order_by(*_ordering(p))
            .limit(limit).offset(p.limitstart))
    if matching is None and not p.status and p.orderby == "id" and _has_index(conn, ID_INDEX):
        # MariaDB would skip whole rows along the primary key; this index holds ids alone
        page = page.with_hint(tblclients, f"FORCE INDEX ({ID_INDEX})", "mysql")
    return count, page


def _has_order_key(conn: Connection, name: str) -> bool:
    """Whether ``name`` is a TEXT column with its order key (MariaDB/MySQL, revision 0013; an
    adopted database only after `migrate --add-indexes`)."""
    return name in CLIENT_ORDER_KEY_COLUMNS and _has_index(conn, client_order_index(name))


def _has_index(conn: Connection, name: str) -> bool:
    """Whether MariaDB/MySQL's ``tblclients`` holds index ``name`` (one of revision 0013's;
    an adopted database only after `migrate --add-indexes`): asked once per engine."""
    return conn.dialect.name == "mysql" and name in index_names(conn, "tblclients")


def _keyed_page(conn: Connection, p: Params, where):
    """rules §11: a page in the order of a TEXT column on MariaDB, without sorting every
    client. The column's key (its first 64 characters, revision 0013) is indexed with the
    id: the keys of the page's rows in key order are read from that index alone, and the
    page is among the clients whose key lies between the first and the last of them. A
    client whose key is above that range (below, ascending) comes before every one in it,
    the key ordering as the column does (what MariaDB's own prefix indexes take for
    granted), so those are counted and skipped and only the range is sorted by the whole
    column and the id. The cost is the range's size: the clients sharing the page's keys."""
    c, key = tblclients.c, column(client_order_key(p.orderby), String)
    limit, desc = min(p.limitnum, MAX_LIMIT), p.sorting == "desc"
    keys = conn.execute(select(key).select_from(tblclients).where(where)
                        .order_by(*([key.desc(), c.id.desc()] if desc else [key, c.id]))
                        .limit(limit).offset(p.limitstart)).scalars().all()
    if not keys:
        return None
    first, last = keys[0], keys[-1]
    before = conn.execute(select(func.count()).select_from(tblclients).where(
        where, key > first if desc else key < first)).scalar()
    between = key.between(last, first) if desc else key.between(first, last)
    return (select(c.id).where(where, between).order_by(*_ordering(p))
            .limit(limit).offset(p.limitstart - before))


def _search_by_id(conn: Connection, p: Params) -> tuple[int, list[int]]:
    """A search in id order without a status, answered from the matching ids alone, read
    once: their number is the count and the page is a slice of them (no client row is read
    but the page's; evaluating the union once for the count and again for the page cost
    MariaDB twice the time on a broad term)."""
    matching = _matching_ids(conn, p.search.strip())
    ids = sorted(conn.execute(select(matching.c.id)).scalars(), reverse=p.sorting == "desc")
    return len(ids), ids[p.limitstart:p.limitstart + min(p.limitnum, MAX_LIMIT)]


def _ordering(p: Params, ids=None) -> list:
    """rules §11: ``orderby``, ties broken by the id (``ids``: the id column to use)."""
    ids = tblclients.c.id if ids is None else ids
    if p.orderby == "id":
        return [ids.desc()] if p.sorting == "desc" else [ids]
    ordered = tblclients.c[p.orderby]
    return [ordered.desc(), ids.desc()] if p.sorting == "desc" else [ordered, ids]


@read_action("GetClients")
def get_clients(conn: Connection, raw: dict) -> dict:
    p = parse(Params, raw)
    c = tblclients.c
    if p.search.strip() and not p.status and p.orderby == "id" and not _keyed_search(conn):
        total, ids = _search_by_id(conn, p)
        page = select(c.id).where(c.id.in_(ids)) if ids else None
    else:
        count, page = _count_and_page(conn, p)
        total = conn.execute(count).scalar()
    rows = []
    if p.limitnum and page is not None:
        # the page's ids first, then only their rows: a deep limitstart skips ids, not rows
        page = page.subquery("page")
        query = (select(c.id, c.firstname, c.lastname, c.companyname, c.email, c.datecreated,
                        c.groupid, c.status).join(page, page.c.id == c.id)
                 .order_by(*_ordering(p)))
        rows = [client_row(r) for r in conn.execute(query)]
    return {"totalresults": int(total), "startnumber": p.limitstart, "numreturned": len(rows),
            "clients": {"client": rows}}
