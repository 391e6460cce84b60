"""The ledger is never read by item alone (rules §9, revision 0015): its key leads with the
period start, so that a run's claims go in at the newest end of its index, and every read of
it goes through that key or through the billable items' index. A read that scanned the
ledger would cost more with every month of history; these tests look at the plan each
backend makes for the statements the code sends."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from geninvoices.billing import due, reschedule
from geninvoices.billing.kinds import SERVICE
from geninvoices.db import transaction
from geninvoices.models.whmcs import tblhosting
from tests import builders as b
from tests.engine.helpers import D, ledger, run
from tests.plans import explained, statements

LEDGER = "geninvoices_ledger"
# how SQLite's plan shows a search through each index, by the columns it constrains
SQLITE_KEYS = {"geninvoices_ledger_period": "_ledger_1 (period_start",
               "geninvoices_ledger_billable": "geninvoices_ledger_billable (billable_id=?"}


@pytest.fixture
def billed(engine):
    """A client with a monthly service billed once (its invoice unpaid) and a monthly billable
    item billed twice."""
    with transaction(engine) as conn:
        cid = b.make_client(conn)
        pid = b.make_product(conn)
        sid = b.make_service(conn, client=cid, product=pid, nextduedate=D(2026, 1, 31))
        bid = b.make_billable(conn, client=cid, action="recur", duedate=D(2026, 1, 31),
                              recur=1, recurcycle="Months")
    for day in (D(2026, 1, 31), D(2026, 2, 28)):
        run(engine, day, clientid=cid)
    assert len(ledger(engine)) == 3
    return cid, sid, bid


def through_an_index(engine, statement: str, parameters, index: str) -> None:
    plan = explained(engine, statement, parameters)
    dialect = engine.dialect.name
    if dialect == "sqlite":  # SQLite names its own index for the unique key
        searches = [r for r in plan.splitlines() if LEDGER in r]
        assert searches and all(r.startswith(f"SEARCH {LEDGER} USING") and SQLITE_KEYS[index]
                                in r for r in searches), plan
    elif dialect == "postgresql":
        assert f"Seq Scan on {LEDGER}" not in plan, plan
        assert index in plan, plan
    else:
        # the ledger's row names the index; or MariaDB probed the unique key for a key it
        # does not hold, found nothing, and says so instead of planning a read
        ledger_rows = [r for r in plan.splitlines() if r.startswith(LEDGER)]
        assert (ledger_rows and all(index in r for r in ledger_rows)
                or "Impossible WHERE noticed after reading const tables" in plan), plan


def test_a_run_looks_periods_up_by_the_whole_key(engine, billed):
    _, sid, bid = billed
    wanted = {("Hosting", sid, D(2026, 1, 31)), ("Hosting", sid, D(2026, 2, 28)),
              ("Item", bid, D(2026, 2, 28)), ("Item", bid, D(2026, 3, 31))}
    with statements(engine, LEDGER) as sent, engine.connect() as conn:
        assert due.in_ledger(conn, wanted) == {("Hosting", sid, D(2026, 1, 31)),
                                               ("Item", bid, D(2026, 2, 28))}
    for statement, parameters in sent:
        through_an_index(engine, statement, parameters, "geninvoices_ledger_period")


def test_a_billable_items_oldest_period_is_read_through_its_own_index(engine, billed):
    with statements(engine, LEDGER) as sent, engine.connect() as conn:
        [item] = due.load_items(conn, [billed[0]], D(2026, 4, 30), due.Selection())[-1:]
    assert (item.kind.type, item.regdate) == ("Item", D(2026, 1, 31))  # the anchor: the 31st
    [(statement, parameters)] = sent
    through_an_index(engine, statement, parameters, "geninvoices_ledger_billable")


@pytest.mark.parametrize("new", [D(2026, 1, 31), D(2026, 2, 15)])
def test_rescheduling_reads_the_ledger_by_period(engine, billed, new):
    with statements(engine, LEDGER) as sent, engine.connect() as conn:
        row = conn.execute(select(tblhosting).where(tblhosting.c.id == billed[1])).one()
        if new == D(2026, 2, 15):  # inside the period from 31 January
            with pytest.raises(reschedule.BusinessError, match="2026-01-31 to 2026-02-27"):
                reschedule.new_due_date(conn, SERVICE, row, new)
        else:
            reschedule.new_due_date(conn, SERVICE, row, new)
    assert sent
    for statement, parameters in sent:
        through_an_index(engine, statement, parameters, "geninvoices_ledger_period")
