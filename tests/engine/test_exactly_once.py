"""Exactly once (rules §5.1 and §9): the ledger's unique key, racing runs, isolated failures."""

from __future__ import annotations

import datetime as dt
import os
import threading
from decimal import Decimal

from sqlalchemy import insert, update

from geninvoices import faults
from geninvoices.db import make_engine, transaction
from geninvoices.models import own
from geninvoices.models.whmcs import tblhosting
from tests import builders as b
from tests.engine.helpers import (
    D,
    client,
    credits,
    invoices,
    ledger,
    lines,
    outbox,
    rows,
    run,
    service,
    until_held_up,
)

TODAY = D(2026, 3, 20)


def _clients_with_services(engine, n, *, credit="0.00"):
    with transaction(engine) as conn:
        b.make_currency(conn)
        pid = b.make_product(conn)
        ids = []
        for i in range(n):
            cid = b.make_client(conn, email=f"c{i}@example.com", credit=credit)
            b.make_service(conn, client=cid, product=pid, nextduedate=D(2026, 3, 25))
            b.make_domain(conn, client=cid, nextduedate=D(2026, 3, 25), domain=f"d{i}.org")
            ids.append(cid)
    return ids


def test_the_ledger_refuses_a_period_even_when_the_dates_say_otherwise(engine):
    [cid] = _clients_with_services(engine, 1)
    assert run(engine, TODAY).numcreated == 1
    sid = lines(engine)[0]["relid"]
    with transaction(engine) as conn:  # as if a run had read the item before the first wrote
        conn.execute(update(tblhosting).where(tblhosting.c.id == sid)
                     .values(nextinvoicedate=D(2026, 3, 25)))
    assert run(engine, TODAY).numcreated == 0
    assert len(lines(engine)) == 2  # the service's and the domain's, once each
    assert service(engine, sid)["nextinvoicedate"] == D(2026, 4, 25)


def test_racing_runs_bill_each_period_once(engine):
    ids = _clients_with_services(engine, 30, credit="4.00")
    results, errors = [], []

    def one_run():
        try:
            results.append(run(engine, TODAY, chunk_size=7).numcreated)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=one_run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sum(results) == 30 and len(invoices(engine)) == 30
    assert len(lines(engine)) == 60 and len(ledger(engine)) == 60
    assert len({(ln["type"], ln["relid"], ln["duedate"]) for ln in lines(engine)}) == 60
    assert len(credits(engine)) == 30 and len(outbox(engine)) == 30
    assert all(client(engine, c)["credit"] == Decimal("0.00") for c in ids)


def test_a_failing_client_never_rolls_back_its_neighbours(engine, monkeypatch):
    ids = _clients_with_services(engine, 5)
    monkeypatch.setenv("GENINVOICES_TESTING", "1")
    monkeypatch.setenv("GENINVOICES_FAIL", f"write_client:{ids[2]}")
    faults.arm(os.environ)
    result = run(engine, TODAY)
    assert result.numcreated == 4
    assert {i["userid"] for i in invoices(engine)} == set(ids) - {ids[2]}
    assert any(f"client {ids[2]} skipped" in s for s in result.skipped)
    assert not [r for r in ledger(engine) if r["invoiceid"] == 0]  # its claims rolled back
    assert len(outbox(engine)) == 4  # no email for an invoice that was never committed
    monkeypatch.delenv("GENINVOICES_FAIL")
    faults.arm(os.environ)
    assert run(engine, TODAY).numcreated == 1  # billed on the next run


def test_a_client_with_bad_data_is_reported_and_its_chunk_neighbours_billed(engine):
    ids = _clients_with_services(engine, 4)
    with transaction(engine) as conn:
        broken = b.make_client(conn, email="broken@example.com")
        b.make_service(conn, client=broken, product=424242, nextduedate=D(2026, 3, 25))
        b.make_domain(conn, client=broken, years=99, nextduedate=D(2026, 3, 25))
    result = run(engine, TODAY, chunk_size=10)  # all five clients in one chunk
    assert result.numcreated == 4
    assert {i["userid"] for i in invoices(engine)} == set(ids)
    assert len(result.skipped) == 2 and all(f"(client {broken})" in s for s in result.skipped)


def test_a_period_claimed_while_a_run_plans_is_left_to_its_claimant(engine, backend,
                                                                   database_url):
    """Another transaction claims a period after the run has read the ledger (so the run
    plans it) and before the run's claim: the run waits for it, then bills only the rest,
    whether it claims with its invoice ids or first (rules §9). SQLite's one writer lets no
    claim in while a run writes: one committed before is found. A found period's date moves
    past it; MariaDB's claim-first path leaves it for the next run to find."""
    [cid] = _clients_with_services(engine, 1)
    sid = rows(engine, tblhosting)[0]["id"]
    due = service(engine, sid)["nextinvoicedate"]
    claim = insert(own.ledger).values(kind="Hosting", relid=sid, period_start=due, invoiceid=0,
                                      run_token="other", created_at=dt.datetime(2026, 3, 20))
    if backend == "sqlite":
        with transaction(engine) as other:
            other.execute(claim)
        assert run(engine, TODAY).numcreated == 1
    else:
        watcher = make_engine(database_url)  # a connection of its own, whatever the pool
        try:
            _claim_while_the_run_waits(engine, watcher, claim)
        finally:
            watcher.dispose()
    if backend == "mysql":  # MariaDB claims first: the period left, its date where it was
        assert service(engine, sid)["nextinvoicedate"] == due
    else:  # claimed with invoice ids: the chunk then reads the ledger, finds the period
        assert service(engine, sid)["nextinvoicedate"] == D(2026, 4, 25)
    assert [ln["type"] for ln in lines(engine)] == ["Domain"]
    claims = {row["kind"]: row for row in ledger(engine)}
    assert claims["Hosting"]["run_token"] == "other" and claims["Hosting"]["invoiceid"] == 0
    assert claims["Domain"]["invoiceid"] == invoices(engine)[0]["id"]


def _claim_while_the_run_waits(engine, watcher, claim):
    outcome = []
    with transaction(engine) as other:
        other.execute(claim)
        racer = threading.Thread(target=lambda: outcome.append(run(engine, TODAY)))
        racer.start()
        until_held_up(watcher, "INSERT INTO geninvoices_ledger", racer)  # the other claim
    racer.join()
    assert outcome[0].numcreated == 1
