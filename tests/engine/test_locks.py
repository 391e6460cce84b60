"""Locks that do not serialize the world (rules §9): a held client does not stop the others,
and a run that cannot get its lock in time gives the retryable error instead of waiting."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from geninvoices.db import make_engine, transaction
from geninvoices.errors import LockTimeout
from geninvoices.models.whmcs import tblclients
from tests import builders as b
from tests.engine.helpers import D, invoices, run

TODAY = D(2026, 3, 20)


@pytest.fixture
def quick_engine(engine, database_url):
    """The same database with a one-second lock timeout."""
    quick = make_engine(database_url, lock_timeout_seconds=1)
    yield quick
    quick.dispose()


def _two_clients(engine):
    with transaction(engine) as conn:
        pid = b.make_product(conn)
        ids = []
        for name in ("held", "free"):
            cid = b.make_client(conn, email=f"{name}@example.com")
            b.make_service(conn, client=cid, product=pid, nextduedate=D(2026, 3, 25))
            ids.append(cid)
    return ids


def test_locks_hold_one_client_not_the_world(quick_engine, backend):
    if backend == "sqlite":
        _sqlite_serializes_and_times_out(quick_engine)
    else:
        _held_client_does_not_stop_the_others(quick_engine)


def _held_client_does_not_stop_the_others(engine):
    held, free = _two_clients(engine)
    with transaction(engine) as holder:  # another transaction holds one client
        holder.execute(select(tblclients).where(tblclients.c.id == held).with_for_update())
        assert run(engine, TODAY, clientid=free).numcreated == 1
        assert run(engine, TODAY).numcreated == 0  # the scan skips the held client
        with pytest.raises(LockTimeout, match="Another run holds these records"):
            run(engine, TODAY, clientid=held)  # a run for it gives up after the timeout
    assert run(engine, TODAY).numcreated == 1  # released: billed now
    assert {i["userid"] for i in invoices(engine)} == {held, free}


def _sqlite_serializes_and_times_out(engine):
    _two_clients(engine)
    # BEGIN IMMEDIATE: SQLite's one writer
    with transaction(engine), pytest.raises(LockTimeout,
                                            match="Another run holds these records"):
        run(engine, TODAY)
    assert run(engine, TODAY).numcreated == 2
