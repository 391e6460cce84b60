"""A database that hangs stalls only the calls that need it (issue 8.3): while one call waits
on it, the same worker answers at once the calls it can refuse without it (no usable
credentials from an address allowed lately, a forwarded address that does not parse) and a
request over a limit. A real `geninvoices serve` with one worker on loopback. On PostgreSQL
and MariaDB the database hangs behind a TCP proxy the test holds, under a quick read by a
caller verified lately (the call that used to run on the event loop). SQLite's readers wait
for nobody (WAL), so there a wrong guess, which is written down before it is verified, waits
for the write lock the test holds."""

from __future__ import annotations

import sqlite3
import threading
import time
from urllib.parse import urlencode

import httpx
from sqlalchemy.engine import make_url

from geninvoices import access
from geninvoices.db import transaction
from tests import builders as b
from tests.net import start_server, stop, wait_until_up
from tests.tcpproxy import TcpProxy

PATIENCE = 30.0  # seconds: generous, for a loaded machine; "at once" is milliseconds


class Hang:
    """The served database, and a way to make it hang and let it go."""

    def __init__(self, database_url: str):
        parsed = make_url(database_url)
        self.proxy = self.holder = None
        self.url = database_url
        if parsed.get_backend_name() != "sqlite":
            self.proxy = TcpProxy(parsed.port)
            self.url = parsed.set(host="127.0.0.1", port=self.proxy.port).render_as_string(
                hide_password=False)
        self.path = parsed.database

    def start(self) -> None:
        if self.proxy:
            return self.proxy.hold()
        self.holder = sqlite3.connect(self.path, isolation_level=None, timeout=PATIENCE)
        self.holder.execute("BEGIN IMMEDIATE")

    def call_that_waits(self, good: dict) -> tuple[dict, str]:
        """What to send, and the message or value it gets once the database is back."""
        if self.proxy:
            return good, "Acme"
        return {**good, "secret": "wrong"}, "Authentication Failed"

    def wait_until_someone_waits(self) -> None:
        if self.proxy is None:  # nothing to watch: time enough to reach the database
            time.sleep(1.0)
            return
        deadline = time.monotonic() + PATIENCE
        while self.proxy.held_chunks == 0:
            assert time.monotonic() < deadline, "the call never reached the database"
            time.sleep(0.01)

    def release(self) -> None:
        if self.proxy:
            self.proxy.release()
        elif self.holder:
            self.holder.execute("ROLLBACK")
            self.holder.close()
            self.holder = None

    def close(self) -> None:
        self.release()
        if self.proxy:
            self.proxy.close()


def post(endpoint: str, data, **kw) -> httpx.Response:
    return httpx.post(endpoint, data=data, timeout=PATIENCE, **kw)


def test_a_hung_database_stalls_only_the_calls_that_need_it(engine, database_url):
    with transaction(engine) as conn:
        ident, secret = access.create_credential(conn, allow=None)
        b.set_config(conn, CompanyName="Acme")
    good = {"action": "GetConfigurationValue", "setting": "CompanyName",
            "responsetype": "json", "identifier": ident, "secret": secret}
    hang = Hang(database_url)
    server, endpoint = start_server(hang.url, workers=1, env={
        "GENINVOICES_LOCK_TIMEOUT_SECONDS": "300", "GENINVOICES_MAX_PARAMS": "20",
        "GENINVOICES_TRUSTED_PROXIES": "127.0.0.1"})
    pending: list[httpx.Response] = []
    try:
        wait_until_up(endpoint)
        assert post(endpoint, good).json()["value"] == "Acme"  # verified, and cached
        hang.start()
        waits, answer = hang.call_that_waits(good)
        waiter = threading.Thread(target=lambda: pending.append(httpx.post(
            endpoint, data=waits, timeout=PATIENCE * 4)))
        waiter.start()
        hang.wait_until_someone_waits()
        _refused_at_once(endpoint, good)
        assert waiter.is_alive() and not pending  # the call that needs it still waits
    finally:
        hang.release()
        waiter.join(PATIENCE * 4)
        stop(server)
        hang.close()
    reply = pending[0].json()
    assert reply.get("value", reply.get("message")) == answer


def _refused_at_once(endpoint: str, good: dict) -> None:
    refused = {
        "no secret": post(endpoint, {**good, "secret": ""}),
        "secret as an array": httpx.post(endpoint, timeout=PATIENCE, content=urlencode([
            *[(k, v) for k, v in good.items() if k != "secret"],
            ("secret[]", "wrong"), ("secret[]", good["secret"])]),
            headers={"content-type": "application/x-www-form-urlencoded"}),
    }
    for what, reply in refused.items():
        assert (reply.status_code, reply.json()["message"]) == (
            403, "Authentication Failed"), what
    forwarded = post(endpoint, good, headers={"x-forwarded-for": "unknown"})
    assert (forwarded.status_code, forwarded.json()["message"]) == (403, "Invalid IP unknown")
    too_many = post(endpoint + "?responsetype=json",
                    {**good, **{f"p{i}": "1" for i in range(30)}})
    assert too_many.json()["message"] == "Request too large: more than 20 parameters"
