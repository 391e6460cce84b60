"""A real `geninvoices serve --workers 2` on loopback: what every worker must share."""

from __future__ import annotations

import time

import httpx
import pytest

from geninvoices import access
from geninvoices.db import transaction
from tests.net import start_server, stop, wait_until_up


@pytest.fixture
def served(engine, database_url):
    with transaction(engine) as conn:
        ident, secret = access.create_credential(conn, allow=None)
        from tests import builders as b
        b.set_config(conn, CompanyName="Acme")
    server, url = start_server(database_url, workers=2, env={
        "GENINVOICES_LOCKOUT_ATTEMPTS": "5", "GENINVOICES_CREDENTIAL_CACHE_SECONDS": "1"})
    try:
        wait_until_up(url)
        yield url, ident, secret
    finally:
        stop(server)


def call(url, ident, secret):
    # a new connection each time, so calls spread over both workers
    return httpx.post(url, data={"action": "GetConfigurationValue", "setting": "CompanyName",
                                 "identifier": ident, "secret": secret,
                                 "responsetype": "json"}, headers={"connection": "close"})


def test_lockout_is_shared_by_the_workers(served):
    url, ident, secret = served
    assert call(url, ident, secret).json()["value"] == "Acme"
    for _ in range(5):
        assert call(url, ident, "wrong").status_code == 403
    for _ in range(6):  # whichever worker answers, the identifier is locked
        reply = call(url, ident, secret)
        assert (reply.status_code, reply.json()["message"]) == (403, "Authentication Failed")


def test_revocation_reaches_every_worker_within_the_cache_bound(served, engine):
    url, ident, secret = served
    for _ in range(10):  # warm both workers' caches
        assert call(url, ident, secret).status_code == 200
    with transaction(engine) as conn:
        access.revoke_credential(conn, ident)
    time.sleep(1.5)
    assert {call(url, ident, secret).status_code for _ in range(10)} == {403}
