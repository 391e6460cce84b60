"""Reads answered in batches (api/batches.py): many calls at once in one worker each get their
own answer, their own permission check and their own lockout count; and the driver-level
statements (db.Prepared) read what SQLAlchemy reads, on every backend."""

from __future__ import annotations

import asyncio
import datetime as dt

import httpx
import pytest
from sqlalchemy import exc, insert, select

from geninvoices import access
from geninvoices.actions.get_configuration_value import _VALUE
from geninvoices.app import create_app
from geninvoices.config import Settings
from geninvoices.db import Prepared, transaction
from geninvoices.models.whmcs import tblconfiguration

LOCAL = ("127.0.0.1", 40000)
REMOTE = ("203.0.113.9", 40000)


def _settings(conn, **values) -> None:
    now = dt.datetime(2026, 1, 1)
    conn.execute(insert(tblconfiguration), [
        {"setting": k, "value": v, "created_at": now, "updated_at": now}
        for k, v in values.items()])


def _gcv(who, setting):
    return {"action": "GetConfigurationValue", "setting": setting, "responsetype": "json", **who}


async def _many(app, calls):
    """Every call at once, each from its client address: they meet in the read batches."""
    http = {client: httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=client),
                                      base_url="http://api") for _, client in calls}
    try:
        return await asyncio.gather(*(http[client].post("/includes/api.php", data=data)
                                      for data, client in calls))
    finally:
        for each in http.values():
            await each.aclose()


def _run(app, calls):
    async def go():
        async with app.router.lifespan_context(app):
            # first call of each caller verifies its secret; the rest come from the cache
            await _many(app, calls[:1])
            return await _many(app, calls)
    return asyncio.run(go())


def test_calls_read_together_each_get_their_own_answer(engine, database_url):
    with transaction(engine) as conn:
        _settings(conn, **{f"Setting{i}": f"value {i}" for i in range(40)})
        ident, secret = access.create_credential(conn, allow=["GetConfigurationValue"])
        other_ident, other_secret = access.create_credential(conn, allow=["GetInvoices"])
        access.add_allowed_ip(conn, REMOTE[0])
        for _ in range(3):  # REMOTE is locked out; LOCAL is not
            access.record_failure(conn, REMOTE[0], "someone")
    reader = {"identifier": ident, "secret": secret}
    refused = {"identifier": other_ident, "secret": other_secret}
    app = create_app(Settings(database_url=database_url, lockout_attempts=3))
    calls = [(_gcv(reader, f"Setting{i}"), LOCAL) for i in range(40)]
    calls += [(_gcv(reader, "NoSuchSetting"), LOCAL), (_gcv(refused, "Setting1"), LOCAL),
              (_gcv(reader, "Setting2"), REMOTE)]
    replies = _run(app, calls)
    for i in range(40):
        assert replies[i].json() == {"result": "success", "setting": f"Setting{i}",
                                     "value": f"value {i}"}
    missing, not_permitted, locked = (r.json() for r in replies[40:])
    assert missing == {"result": "error", "message": "Invalid setting: NoSuchSetting"}
    assert replies[41].status_code == 403 and not_permitted["result"] == "error"
    assert "permission" in not_permitted["message"].lower()
    assert (replies[42].status_code, locked["message"]) == (403, "Authentication Failed")


def test_prepared_statements_read_what_sqlalchemy_reads(engine):
    with transaction(engine) as conn:
        _settings(conn, CompanyName="Ünïcode & Co", Empty="")
        access.add_allowed_ip(conn, "198.51.100.0/24")
        access.record_failure(conn, "198.51.100.7", "someone")
    with transaction(engine, write=False) as conn:
        for setting in ("CompanyName", "Empty", "Missing"):
            assert _VALUE.rows(conn, {"s": setting}) == [
                tuple(r) for r in conn.execute(_VALUE.statement, {"s": setting}).all()]
        assert access.gate(conn, "198.51.100.7", None, 600) == (True, 1)
        assert access.gate(conn, "198.51.100.7", "someone", 600) == (True, 1)
        assert access.gate(conn, "198.51.100.7", "another", 600) == (True, 0)
        assert access.gate(conn, "192.0.2.1", None, 600) == (False, 0)


def test_a_driver_error_is_raised_as_sqlalchemy_raises_it(engine):
    broken = Prepared(select(tblconfiguration.c.value).where(
        tblconfiguration.c.setting == "x").where(tblconfiguration.c.value.op("=~~=")("y")))
    with engine.connect() as conn, pytest.raises(exc.DBAPIError):
        broken.rows(conn, {})
    with transaction(engine, write=False) as conn:  # the pool's connection is still good
        assert _VALUE.rows(conn, {"s": "Missing"}) == []
