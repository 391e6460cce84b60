"""Number counters kept in ``tblconfiguration`` (custom and sequential invoice numbers).

Allocated inside the transaction that uses them, under a row lock on the counter: lock, read,
update (MariaDB has no UPDATE ... RETURNING), so concurrent runs never share or skip a
number. Runs serialize at that moment only; on SQLite the whole write already does.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, insert, select, update

from ..errors import BusinessError
from ..models.whmcs import tblconfiguration as cfg


def allocate(conn: Connection, setting: str, count: int, now: dt.datetime) -> int:
    """Reserve ``count`` numbers; returns the first. ``now`` stamps a counter created here."""
    if count <= 0:
        return 0
    query = select(cfg.c.value).where(cfg.c.setting == setting)
    if conn.dialect.name != "sqlite":
        query = query.with_for_update()
    value = conn.execute(query).scalar()
    if value is None:
        conn.execute(insert(cfg).values(setting=setting, value=str(1 + count),
                                        created_at=now, updated_at=now))
        return 1
    text = (value or "").strip() or "1"
    if not text.isdigit():
        raise BusinessError(f"{setting} is not a number: {value!r}")
    first = int(text)
    conn.execute(update(cfg).where(cfg.c.setting == setting).values(value=str(first + count)))
    return first
