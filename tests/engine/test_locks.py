"""Locks that do not serialize the world (rules §9): a held client does not stop the others,
and a run that cannot get its lock in time gives the retryable error instead of waiting."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from geninvoices.db import make_engine, transaction
from geninvoices.errors import LockTimeout
from geninvoices.models.whmcs import tblclients
from tests import builders as b
from tests.conftest import new_database_url
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


def test_postgresql_plans_a_chunk_for_its_own_ids(server_dbs, tmp_path_factory):
    """psycopg prepares a statement run five times, and PostgreSQL then reuses one generic
    plan for any parameters; for a chunk's ``userid = ANY(ids)`` that plan walked every due
    item, so each chunk's load grew with the database (rules §9). Every connection plans
    each execution for its own values."""
    engine = make_engine(new_database_url("postgresql", server_dbs, tmp_path_factory))
    try:
        with engine.connect() as conn:
            for _ in range(7):  # past psycopg's prepare threshold: still a custom plan
                mode = conn.exec_driver_sql("SHOW plan_cache_mode").scalar()
                conn.exec_driver_sql("SELECT 1 WHERE 1 = ANY(%(a)s)", {"a": [1, 2]})
            assert mode == "force_custom_plan"
    finally:
        engine.dispose()
