"""A real `geninvoices serve --workers 2` on loopback: what every worker must share."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx
import pytest

from geninvoices import access
from geninvoices.db import transaction
from tests.smtp import free_port


@pytest.fixture
def served(engine, database_url):
    with transaction(engine) as conn:
        ident, secret = access.create_credential(conn, allow=None)
        from tests import builders as b
        b.set_config(conn, CompanyName="Acme")
    port = free_port()
    env = {**os.environ, "GENINVOICES_DATABASE_URL": database_url,
           "GENINVOICES_LOCKOUT_ATTEMPTS": "5", "GENINVOICES_CREDENTIAL_CACHE_SECONDS": "1"}
    server = subprocess.Popen([sys.executable, "-m", "geninvoices.cli", "serve", "--workers", "2",
                               "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/includes/api.php"
    try:
        for _ in range(200):
            try:
                httpx.post(url, data={}, timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.05)
        yield url, ident, secret
    finally:
        server.terminate()
        server.wait(20)


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
