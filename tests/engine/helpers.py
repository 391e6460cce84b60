from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from geninvoices.billing.due import Selection
from geninvoices.billing.generator import generate
from geninvoices.billing.run import RunConfig
from geninvoices.models import own
from geninvoices.models.whmcs import (
    tblclients,
    tblcredit,
    tbldomains,
    tblhosting,
    tblhostingaddons,
    tblinvoiceitems,
    tblinvoices,
)

D = dt.date


def config(today: dt.date, now: dt.datetime | None = None, **kw) -> RunConfig:
    """A run's context as the edge builds it, at ``now`` (default 09:00 UTC on that day)."""
    return RunConfig(today=today, now=now or dt.datetime.combine(today, dt.time(9)), **kw)


def run(engine, today, *, clientid=None, serviceids=None, domainids=None, addonids=None,
        emails=True, default_gateway="", chunk_size=200, now=None):
    selection = Selection.of(clientid, serviceids, domainids, addonids)
    return generate(engine, selection, config(today, now, emails=emails,
                                              default_gateway=default_gateway,
                                              chunk_size=chunk_size))


def rows(engine, table, *where, order=None):
    with engine.connect() as conn:
        query = select(table).where(*where)
        query = query.order_by(order if order is not None else list(table.primary_key)[0]
                               if table.primary_key else table.c[0])
        return conn.execute(query).mappings().all()


def invoices(engine, *where):
    return rows(engine, tblinvoices, *where)


def lines(engine, *where):
    return rows(engine, tblinvoiceitems, *where)


def service(engine, sid):
    return rows(engine, tblhosting, tblhosting.c.id == sid)[0]


def addon(engine, aid):
    return rows(engine, tblhostingaddons, tblhostingaddons.c.id == aid)[0]


def domain(engine, did):
    return rows(engine, tbldomains, tbldomains.c.id == did)[0]


def client(engine, cid):
    return rows(engine, tblclients, tblclients.c.id == cid)[0]


def credits(engine):
    return rows(engine, tblcredit)


def ledger(engine):
    return rows(engine, own.ledger)


def outbox(engine):
    return rows(engine, own.outbox)


def held_up_in(watcher, statement: str) -> bool:
    """Another session of this database is held up in a statement containing ``statement``:
    on PostgreSQL waiting for a lock; on MariaDB still running it (it waits for a row lock
    while planning or inserting, which its processlist shows as the statement running)."""
    if watcher.dialect.name == "postgresql":
        sql = ("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
               "AND wait_event_type = 'Lock' AND query LIKE %(pattern)s")
    else:
        sql = ("SELECT count(*) FROM information_schema.processlist WHERE db = DATABASE() "
               "AND command = 'Query' AND id <> CONNECTION_ID() AND info LIKE %(pattern)s")
    with watcher.connect() as conn:
        return conn.exec_driver_sql(sql, {"pattern": f"%{statement}%"}).scalar() > 0


def until_held_up(watcher, statement: str, runner) -> None:
    """Until ``runner``'s run is held up in ``statement`` (30 s at most)."""
    for _ in range(600):
        if held_up_in(watcher, statement):
            return
        runner.join(0.05)
    raise AssertionError(f"the run was never held up in {statement!r}")
