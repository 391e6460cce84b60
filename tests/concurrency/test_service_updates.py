"""The service-managing actions against a GenInvoices run and against each other (rules
§14.3, §14.4, §9), on every backend."""

from __future__ import annotations

import datetime as dt
import threading
import time

from sqlalchemy import insert, select, update

from geninvoices.db import transaction
from geninvoices.models import own
from geninvoices.models.whmcs import tblcancelrequests, tblclients, tblhosting
from tests import builders as b
from tests.actions.http import Api
from tests.engine.helpers import service

D = dt.date


def _world(engine) -> tuple[int, int]:
    with transaction(engine) as conn:
        cid = b.make_client(conn)
        pid = b.make_product(conn)
        sid = b.make_service(conn, client=cid, product=pid, regdate=D(2026, 1, 1),
                             nextduedate=D(2026, 2, 1))
    return cid, sid


def test_an_update_waits_for_a_run_billing_its_client_and_sees_what_it_billed(engine):
    cid, sid = _world(engine)
    api, replies = Api(engine), []
    with transaction(engine) as conn:  # what a run does: lock the client, claim, move
        conn.execute(select(tblclients.c.id).where(tblclients.c.id == cid).with_for_update())
        conn.execute(insert(own.ledger).values(kind="Hosting", relid=sid,
                                               period_start=D(2026, 2, 1), invoiceid=0,
                                               run_token="r", created_at=dt.datetime(2026, 2, 1)))
        caller = threading.Thread(target=lambda: replies.append(api.json(
            "UpdateClientProduct", serviceid=str(sid), nextduedate="2026-02-15")))
        caller.start()
        time.sleep(1)  # give the update every chance to run between claim and date move
        conn.execute(update(tblhosting).where(tblhosting.c.id == sid)
                     .values(nextinvoicedate=D(2026, 3, 1)))
    caller.join()
    assert replies == [{"result": "error", "message": (
        "Next Due Date 2026-02-15 falls inside the period 2026-02-01 to 2026-02-28 already "
        "invoiced: use 2026-02-01 or a date from 2026-03-01 on")}]
    assert service(engine, sid)["nextinvoicedate"] == D(2026, 3, 1)


def test_racing_cancellation_requests_record_one(engine):
    _, sid = _world(engine)
    api, replies = Api(engine), []
    callers = [threading.Thread(target=lambda: replies.append(api.json(
        "AddCancelRequest", serviceid=str(sid), type="Immediate"))) for _ in range(6)]
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join()
    assert sorted(r["result"] for r in replies) == ["error"] * 5 + ["success"]
    assert {r.get("message") for r in replies} == {None, "Existing Cancellation Request Exists"}
    with engine.connect() as conn:
        assert len(conn.execute(select(tblcancelrequests)).all()) == 1
