"""A chunk, or an order, that the database ends as a deadlock's victim is billed again
(rules §9).

A real deadlock, on the servers that have them: another writer holds the custom-number
counter row that a chunk takes last, the chunk waits for it, and then the other writer asks
for the client row the chunk holds. The database rolls the chunk's whole transaction back;
the run bills that chunk again once the other writer is done, instead of stopping with
"Database unavailable, please retry"."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, insert, select

from geninvoices.db import make_engine, transaction
from geninvoices.migrate import migrate
from geninvoices.models import own
from geninvoices.models.whmcs import (
    tblclients,
    tblconfiguration,
    tblcredit,
    tblinvoices,
    tblorders,
)
from tests import builders as b
from tests.conftest import new_database_url
from tests.engine.helpers import D, run, until_held_up
from tests.orders.shop import api, make_shop

TODAY = D(2026, 3, 20)
COUNTER = "TaxNextCustomInvoiceNumber"


def _the_waiter_is_the_victim(engine, other) -> None:
    """PostgreSQL ends the transaction that finds the deadlock: the first whose
    `deadlock_timeout` passes once the cycle has formed. The run's (or order's) connections
    look 5 s after they start to wait, by when the other writer waits too however slow the
    machine; the other writer would look after a minute. (MariaDB ends the lighter one.)"""
    if engine.dialect.name != "postgresql":
        return
    with engine.begin() as conn:
        conn.exec_driver_sql(f'ALTER DATABASE "{engine.url.database}" SET deadlock_timeout '
                             "= '5s'")
    engine.dispose()  # the setting holds for connections made from here on
    other.exec_driver_sql("SET LOCAL deadlock_timeout = '60s'")


@pytest.mark.parametrize("server", ["postgresql", "mariadb"])
def test_a_chunk_ended_by_a_deadlock_is_billed_again(server, server_dbs, tmp_path_factory):
    engine = make_engine(new_database_url(server, server_dbs, tmp_path_factory),
                         lock_timeout_seconds=20)
    try:
        migrate(engine)
        with transaction(engine) as conn:
            b.set_config(conn, TaxCustomInvoiceNumbering="on", **{COUNTER: "100"})
            client = b.make_client(conn)
            b.make_service(conn, client=client, product=b.make_product(conn),
                           nextduedate=TODAY)
        outcome: list = []
        runner = threading.Thread(target=lambda: outcome.append(_run(engine, client)))
        with engine.connect() as other, other.begin():
            _the_waiter_is_the_victim(engine, other)
            # heavier than the chunk, so that MariaDB picks the chunk as the victim
            other.execute(insert(tblcredit), [{"clientid": client, "date": TODAY,
                                               "description": "ballast", "amount": 0}] * 200)
            other.execute(select(tblconfiguration.c.value).where(
                tblconfiguration.c.setting == COUNTER).with_for_update())
            runner.start()
            until_held_up(engine, "FROM tblconfiguration", runner)  # the counter
            other.execute(select(tblclients.c.id).where(tblclients.c.id == client)
                          .with_for_update())  # the deadlock: the chunk holds this row
            other.rollback()
        runner.join(60)
        assert not runner.is_alive()
        assert [type(o) for o in outcome] == [int], outcome
        assert outcome == [1]
        with engine.connect() as conn:
            assert conn.execute(select(tblinvoices.c.invoicenum)).scalars().all() == ["100"]
            assert conn.execute(select(func.count()).select_from(own.ledger)).scalar() == 1
    finally:
        engine.dispose()


def _run(engine, client: int):
    try:
        return run(engine, TODAY, clientid=client, emails=False).numcreated
    except Exception as error:  # noqa: BLE001 - reported by the test's assertion
        return error


@pytest.mark.parametrize("server", ["postgresql", "mariadb"])
def test_an_order_ended_by_a_deadlock_is_placed_again(server, server_dbs, tmp_path_factory):
    """The same deadlock, met by AddOrder, whose first invoice takes the counter last too:
    the order is placed again from the start, once, instead of answering 'please retry'."""
    engine = make_engine(new_database_url(server, server_dbs, tmp_path_factory),
                         lock_timeout_seconds=20)
    try:
        migrate(engine)
        shop = make_shop(engine)
        with transaction(engine) as conn:
            b.set_config(conn, TaxCustomInvoiceNumbering="on", **{COUNTER: "100"})
        outcome: list = []
        runner = threading.Thread(target=lambda: outcome.append(_order(engine, shop.client,
                                                                       shop.pid)))
        with engine.connect() as other, other.begin():
            _the_waiter_is_the_victim(engine, other)
            other.execute(insert(tblcredit), [{"clientid": shop.client, "date": TODAY,
                                               "description": "ballast", "amount": 0}] * 200)
            other.execute(select(tblconfiguration.c.value).where(
                tblconfiguration.c.setting == COUNTER).with_for_update())
            runner.start()
            until_held_up(engine, "FROM tblconfiguration", runner)  # the counter
            other.execute(select(tblclients.c.id).where(tblclients.c.id == shop.client)
                          .with_for_update())  # the deadlock: the order holds this row
            other.rollback()
        runner.join(60)
        assert not runner.is_alive()
        [reply] = outcome
        assert reply.get("result") == "success", reply
        with engine.connect() as conn:
            assert conn.execute(select(tblorders.c.id)).scalars().all() == [int(reply["orderid"])]
            assert conn.execute(select(tblinvoices.c.id, tblinvoices.c.invoicenum)).all() == [
                (int(reply["invoiceid"]), "100")]
            assert conn.execute(select(func.count()).select_from(own.ledger)).scalar() == 1
    finally:
        engine.dispose()


def _order(engine, client: int, pid: int) -> dict:
    return api(engine).json("AddOrder", clientid=str(client), paymentmethod="banktransfer",
                            **{"pid[0]": str(pid), "billingcycle[0]": "monthly"})
