"""A chunk's rows in as few round trips and as little parsing as each database allows (rules
§9): the same rows, values and ids the generic Core ``executemany`` writes, faster.

PostgreSQL: one statement per table per chunk whatever its size, the values sent as one
array per column (``INSERT ... SELECT FROM unnest(...)``, ``UPDATE ... FROM unnest(...)``):
the driver parses a query of a dozen parameters instead of one of tens of thousands. SQLite:
the driver's own ``executemany`` (in-process, no round trips), without SQLAlchemy's
per-row parameter handling where the values need none. MariaDB: Core's multi-row VALUES,
as before.
"""

from __future__ import annotations

import datetime as dt
import json
from functools import cache

from sqlalchemy import (
    Column,
    Connection,
    String,
    Table,
    and_,
    any_,
    bindparam,
    func,
    insert,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import mysql, postgresql
from sqlalchemy.sql import ColumnElement

from ..models import own
from ..models.whmcs import tblinvoiceitems


def among(conn: Connection, column: Column, values) -> ColumnElement:
    """``column IN (values)``; on PostgreSQL ``column = ANY(array)``: one parameter, not one
    per value, which the driver would parse out of a long query on every call."""
    values = list(values)
    name = conn.dialect.name
    if name == "postgresql":
        return column == any_(bindparam(None, values, type_=postgresql.ARRAY(column.type)))
    if name == "sqlite" and values:
        # one JSON array, the values as SQLite stores them (dates as ISO text): no statement
        # of a thousand parameters to build and compile per chunk
        process = _processor(conn.dialect, column)
        stored = json.dumps([process(v) if process else v for v in values])
        return column.in_(select(literal_column("value"))
                          .select_from(func.json_each(bindparam(None, stored, type_=String))))
    return column.in_(values)


def periods(conn: Connection, key: tuple, wanted: set[tuple[str, int, dt.date]]):
    """Rows whose (kind, id, period start) ``key`` columns are one of ``wanted``, found through
    an index on those columns (the ledger's key and the lines' index both lead with the period
    start): per kind and period start, the ids."""
    ids_of: dict[tuple[str, dt.date], set[int]] = {}
    for kind, relid, start in wanted:
        ids_of.setdefault((kind, start), set()).add(relid)
    kind_column, relid_column, start_column = key
    return or_(*(and_(kind_column == kind, start_column == start,
                      among(conn, relid_column, ids))
                 for (kind, start), ids in ids_of.items()))


def insert_rows(conn: Connection, table: Table, rows: list[dict]) -> None:
    """Insert rows that all name the same columns."""
    if not rows:
        return
    name = conn.dialect.name
    if name == "postgresql":
        conn.exec_driver_sql(_unnest_insert(conn, table, rows), _arrays(conn, table, rows))
    elif name == "sqlite":
        _sqlite_insert(conn, table, rows)
    else:
        conn.execute(insert(table), rows)


def insert_ids(conn: Connection, table: Table, rows: list[dict]) -> list[int]:
    """Insert rows with a serial ``id``; their new ids in the rows' order."""
    if not rows:
        return []
    name = conn.dialect.name
    if name == "postgresql":
        # ids are drawn in the order the SELECT hands the rows over (ORDER BY ordinality),
        # so sorted ids follow the rows' order, as SQLAlchemy's own sentinel-less RETURNING
        # assumes; concurrent runs may interleave ids, never reorder one statement's
        sql = _unnest_insert(conn, table, rows, ordered=True) + " RETURNING id"
        ids = sorted(r[0] for r in conn.exec_driver_sql(sql, _arrays(conn, table, rows)))
        return ids
    if name == "sqlite":
        # one writer, and this transaction is it (BEGIN IMMEDIATE): AUTOINCREMENT ids are the
        # next ones, in order, which spares SQLAlchemy's one-row-at-a-time RETURNING there
        _sqlite_insert(conn, table, rows)
        last = conn.execute(select(table.c.id).order_by(table.c.id.desc()).limit(1)).scalar()
        return list(range(last - len(rows) + 1, last + 1))
    returning = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    return list(conn.execute(returning, rows).scalars())


def ids_ahead(conn: Connection) -> bool:
    """Whether ``next_ids`` hands out ids on this database."""
    return conn.dialect.name in ("postgresql", "sqlite")


def next_ids(conn: Connection, table: Table, count: int) -> list[int] | None:
    """``count`` new ids of ``table``, handed out before its rows go in, in increasing order,
    never to be handed out again: PostgreSQL draws them from the column's sequence; SQLite's
    one writer, which this transaction is (BEGIN IMMEDIATE), takes the next ones past both
    the AUTOINCREMENT counter and the highest id. None on MariaDB, whose AUTO_INCREMENT
    hands ids out only as rows go in."""
    if not ids_ahead(conn):
        return None
    if conn.dialect.name == "postgresql":
        return sorted(conn.exec_driver_sql(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            (table.name, count)).scalars())
    last = conn.exec_driver_sql(  # SQLite
        "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = ?), 0), "
        f"coalesce((SELECT max(id) FROM {table.name}), 0))", (table.name,)).scalar()
    return list(range(last + 1, last + count + 1))


def insert_ignore(conn: Connection, table: Table, rows: list[dict]) -> int | None:
    """Insert rows, leaving any whose unique key exists; how many went in where the database
    says so exactly (PostgreSQL, SQLite), else None. MariaDB: a no-op ON DUPLICATE KEY
    UPDATE of the first column rather than INSERT IGNORE, which would also swallow
    unrelated errors (and whose affected-rows count, with the driver's found-rows flag,
    counts the rows it left too)."""
    if not rows:
        return 0
    name = conn.dialect.name
    if name == "postgresql":
        sql = _unnest_insert(conn, table, rows) + " ON CONFLICT DO NOTHING"
        return conn.exec_driver_sql(sql, _arrays(conn, table, rows)).rowcount
    if name == "sqlite":
        return _sqlite_insert(conn, table, rows, " ON CONFLICT DO NOTHING").rowcount
    stmt = mysql.insert(table)
    first = next(iter(rows[0]))
    conn.execute(stmt.on_duplicate_key_update({first: stmt.inserted[first]}), rows)
    return None


# PostgreSQL's UPDATE ... FROM unnest(...): the ids once more as an array, which the planner
# estimates row by row, so it fetches those rows through the primary key. Without it the
# default costs had it read and hash the whole table on every chunk (34 against 6 ms for
# 600 of 60,000 services; the same in a long run's prepared statements).
_BY_ID = "t.id = ANY(%b::integer[])"


def move_dates(conn: Connection, table: Table, moves: list[tuple[int, dt.date, dt.date]]):
    """Each (id, old, new): set ``nextinvoicedate`` to new where it still is old."""
    if not moves:
        return
    name = conn.dialect.name
    if name == "postgresql":
        ids, old, new = (list(column) for column in zip(*moves, strict=True))
        conn.exec_driver_sql(
            f"UPDATE {table.name} AS t SET nextinvoicedate = m.new "
            "FROM unnest(%b::integer[], %b::date[], %b::date[]) AS m(id, old, new) "
            f"WHERE t.id = m.id AND t.nextinvoicedate = m.old AND {_BY_ID}", (ids, old, new, ids))
    elif name == "sqlite":
        # the driver's executemany: in-process, one prepared statement, no SQL to build
        conn.exec_driver_sql(
            f"UPDATE {table.name} SET nextinvoicedate = ? WHERE id = ? AND nextinvoicedate = ?",
            [(new.isoformat(), i, old.isoformat()) for i, old, new in moves])
    else:
        _move_by_case(conn, table, moves)


def set_by_id(conn: Connection, table: Table, column: str, values: list[tuple[int, object]]):
    """Each (id, value): set ``column`` of that row. PostgreSQL: one UPDATE ... FROM unnest;
    elsewhere Core's executemany (SQLite in-process; MariaDB as before)."""
    if not values:
        return
    if conn.dialect.name == "postgresql":
        target = table.c[column]
        process = _processor(conn.dialect, target)
        ids = [i for i, _ in values]
        new = [process(v) if process else v for _, v in values]
        conn.exec_driver_sql(
            f"UPDATE {table.name} AS t SET {column} = v.value FROM unnest(%b::integer[], "
            f"%b::{_pg_type(target)}[]) AS v(id, value) WHERE t.id = v.id AND {_BY_ID}",
            (ids, new, ids))
    else:
        conn.execute(update(table).where(table.c.id == bindparam("b_id"))
                     .values({column: bindparam("b_value")}),
                     [{"b_id": i, "b_value": v} for i, v in values])


def set_ledger_invoices(conn: Connection, token: str,
                        billed: list[tuple[str, int, dt.date, int]], invoice_ids: list[int]):
    """Each (kind, relid, period start, invoice id): the invoice that bills a period this
    run claimed (``token``, invoice id still 0), found by the ledger's unique key."""
    if not billed:
        return
    name = conn.dialect.name
    if name == "postgresql":
        kinds, relids, starts, invoices = (list(c) for c in zip(*billed, strict=True))
        conn.exec_driver_sql(
            "UPDATE geninvoices_ledger AS lg SET invoiceid = v.invoiceid "
            "FROM unnest(%b::varchar[], %b::integer[], %b::date[], %b::integer[]) "
            "AS v(kind, relid, period_start, invoiceid) WHERE lg.kind = v.kind "
            "AND lg.relid = v.relid AND lg.period_start = v.period_start "
            "AND lg.run_token = %s AND lg.invoiceid = 0", (kinds, relids, starts, invoices, token))
    elif name == "sqlite":
        conn.exec_driver_sql(
            "UPDATE geninvoices_ledger SET invoiceid = ? WHERE kind = ? AND relid = ? "
            "AND period_start = ? AND run_token = ? AND invoiceid = 0",
            [(inv, kind, relid, start.isoformat(), token) for kind, relid, start, inv in billed])
    else:
        # the chunk's unbilled claims, found through the ledger's unique key (the run's
        # token alone read every claim of the run so far, chunk after chunk), each given
        # the invoice whose line holds its period (a multi-table UPDATE joining the lines
        # deadlocked concurrent workers on MariaDB)
        lg, li = own.ledger, tblinvoiceitems
        line_invoice = (select(func.max(li.c.invoiceid))
                        .where(li.c.type == lg.c.kind, li.c.relid == lg.c.relid,
                               li.c.duedate == lg.c.period_start,
                               li.c.invoiceid.in_(invoice_ids))
                        .scalar_subquery())
        key = (lg.c.kind, lg.c.relid, lg.c.period_start)
        claims = periods(conn, key, {(kind, relid, start) for kind, relid, start, _ in billed})
        conn.execute(update(lg).where(claims, lg.c.run_token == token, lg.c.invoiceid == 0)
                     .values(invoiceid=func.coalesce(line_invoice, 0)))


def _move_by_case(conn: Connection, table: Table, moves: list[tuple[int, dt.date, dt.date]]):
    """One UPDATE for all of them (a CASE by id): one round trip, where the driver would
    send an executemany row by row. Sent to the driver as it is: compiled by SQLAlchemy,
    thousands of parameters cost seconds."""
    pairs = " WHEN %s THEN %s" * len(moves)
    sql = (f"UPDATE {table.name} SET nextinvoicedate = CASE id{pairs} END "
           f"WHERE id IN ({', '.join(['%s'] * len(moves))}) "
           f"AND nextinvoicedate = CASE id{pairs} END")
    params = [v for i, _, new in moves for v in (i, new)]
    params += [i for i, _, _ in moves]
    params += [v for i, old, _ in moves for v in (i, old)]
    conn.exec_driver_sql(sql, tuple(params))


def _sqlite_insert(conn: Connection, table: Table, rows: list[dict], suffix: str = ""):
    """The driver's executemany over tuples: in-process, one prepared statement."""
    names = _names(conn, rows)
    marks = ", ".join("?" * len(rows[0]))
    sql = f"INSERT INTO {table.name} ({names}) VALUES ({marks}){suffix}"
    return conn.exec_driver_sql(sql, list(zip(*_arrays(conn, table, rows), strict=True)))


def _unnest_insert(conn: Connection, table: Table, rows: list[dict], *,
                   ordered: bool = False) -> str:
    columns = [table.c[name] for name in rows[0]]
    names = _names(conn, rows)
    arrays = ", ".join(f"%b::{_pg_type(c)}[]" for c in columns)  # %b: sent in binary
    if not ordered:
        return f"INSERT INTO {table.name} ({names}) SELECT * FROM unnest({arrays})"
    return (f"INSERT INTO {table.name} ({names}) SELECT {names} FROM unnest({arrays}) "
            f"WITH ORDINALITY AS v({names}, n) ORDER BY n")


def _names(conn: Connection, rows: list[dict]) -> str:
    return ", ".join(conn.dialect.identifier_preparer.quote(name) for name in rows[0])


@cache
def _pg_type(column: Column) -> str:
    return column.type.dialect_impl(_PG).compile(dialect=_PG)


_PG = postgresql.dialect()


def _arrays(conn: Connection, table: Table, rows: list[dict]) -> tuple[list, ...]:
    """One list per column, each value as SQLAlchemy's own bind processing would send it."""
    arrays = []
    for name in rows[0]:
        process = _processor(conn.dialect, table.c[name])
        values = [row[name] for row in rows]
        arrays.append(_processed(process, values) if process else values)
    return tuple(arrays)


def _processed(process, values: list) -> list:
    """Each distinct value processed once: a chunk's dates, timestamps and amounts repeat
    (every row's ``created_at`` is the run's), and a type's bind processor is Python."""
    done = {value: process(value) for value in set(values)}
    return [done[value] for value in values]


def _processor(dialect, column: Column):
    return column.type._cached_bind_processor(dialect)
