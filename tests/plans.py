"""What a backend plans for a statement the code sent: for tests that a read goes through an
index, so that its cost does not grow with the rows a table holds."""

from __future__ import annotations

import contextlib

from sqlalchemy import event


def explained(engine, statement: str, parameters) -> str:
    """The plan the backend makes for one statement, as one text."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
            return "\n".join(r[-1] for r in rows)
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("SET enable_seqscan = off")  # a few rows: it would scan anyway
            plan = "\n".join(r[0] for r in conn.exec_driver_sql("EXPLAIN " + statement,
                                                               parameters))
            conn.rollback()
            return plan
        rows = conn.exec_driver_sql("EXPLAIN " + statement, parameters).mappings()
        # a handful of rows: MariaDB may still read them all, so what counts is that it can
        # use the index (possible_keys) for each arm
        return "\n".join(f"{r['table']} {r['type']} {r['possible_keys']} {r['Extra']}"
                         for r in rows)


@contextlib.contextmanager
def statements(engine, mentioning: str):
    """The (statement, parameters) sent while the block runs that mention ``mentioning``."""
    seen: list[tuple[str, object]] = []

    def record(_conn, _cursor, statement, parameters, _context, _many):
        if mentioning in statement:
            seen.append((statement, parameters))
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)
