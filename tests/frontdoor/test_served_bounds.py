"""The promises of SECURITY.md against a real `geninvoices serve --workers 2` (issue 11,
defects 1 and 5): a credential revoked, an admin disabled or an admin's password changed while
a client keeps using it is refused by every worker within the cache bound; parallel guesses
never get more verifications than the lockout allows."""

from __future__ import annotations

import hashlib
import http.client
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode, urlsplit

import httpx
import psutil
import pytest
from sqlalchemy import func, select, update

from geninvoices import access
from geninvoices.db import transaction
from geninvoices.models import own
from geninvoices.models.whmcs import tbladmins
from tests import builders as b
from tests.net import start_server, stop, wait_until_up

CACHE_SECONDS = 2.0
MARGIN = 1.0  # for the poll in flight and a loaded machine; the bound itself is the cache's


@pytest.fixture
def serve(database_url):
    started = []

    def start(**env):
        server, url = start_server(database_url, workers=2, env={
            "GENINVOICES_CREDENTIAL_CACHE_SECONDS": str(CACHE_SECONDS), **env})
        started.append(server)
        wait_until_up(url)
        return server, url
    yield start
    for server in started:
        stop(server)


def cli(database_url: str, *args: str, stdin: str = "") -> None:
    done = subprocess.run([sys.executable, "-m", "geninvoices.cli", *args], input=stdin,
                          env={**os.environ, "GENINVOICES_DATABASE_URL": database_url},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


class Poller:
    """One kept-alive connection to a known worker, polling with the same credentials."""

    def __init__(self, url: str, server: subprocess.Popen, body: dict):
        parts = urlsplit(url)
        self.port, self.path, self.server = parts.port, parts.path, server
        self.body = urlencode(body)
        self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)

    def status(self) -> int:
        try:
            return self._post()
        except (http.client.HTTPException, OSError):  # closed by the server meanwhile
            self.connection.close()
            return self._post()

    def _post(self) -> int:
        self.connection.request("POST", self.path, self.body, {
            "content-type": "application/x-www-form-urlencoded"})
        reply = self.connection.getresponse()
        reply.read()
        return reply.status

    def worker(self) -> int:
        """The pid of the worker process that holds this connection's other end."""
        mine = self.connection.sock.getsockname()[1]
        for child in psutil.Process(self.server.pid).children(recursive=True):
            for c in child.net_connections(kind="tcp"):
                if c.laddr and c.laddr.port == self.port and c.raddr and c.raddr.port == mine:
                    return child.pid
        raise AssertionError("no worker holds this connection")


def pollers_on_every_worker(url, server, body) -> list[Poller]:
    """A connection to each worker: opened eight at a time, as one worker may win every
    accept of connections that come one by one."""
    found: dict[int, Poller] = {}
    for attempt in range(60):  # a loaded machine may leave one worker slow to accept
        time.sleep(0.05 * (attempt % 5))
        batch = [Poller(url, server, body) for _ in range(8)]
        with ThreadPoolExecutor(8) as pool:
            assert set(pool.map(Poller.status, batch)) == {200}
        for poller in batch:
            found.setdefault(poller.worker(), poller)
        for poller in found.values():  # used, so the server keeps it open
            assert poller.status() == 200
        if len(found) == 2:
            return list(found.values())
    raise AssertionError("every connection went to one worker")


def _credential(engine, database_url):
    with transaction(engine) as conn:
        ident, secret = access.create_credential(conn, allow=None)
    return ({"identifier": ident, "secret": secret},
            lambda: cli(database_url, "credentials", "revoke", ident))


def _admin(engine, database_url, change):
    with transaction(engine) as conn:
        access.create_admin(conn, "alice", "old-password")
    login = {"username": "alice", "password": hashlib.md5(b"old-password").hexdigest()}
    if change == "password":
        return login, lambda: cli(database_url, "admins", "set-password", "alice",
                                  stdin="new-password\n")

    def disable():  # what WHMCS's admin area does; geninvoices has no command for it
        with transaction(engine) as conn:
            conn.execute(update(tbladmins).where(tbladmins.c.username == "alice")
                         .values(disabled=1))
    return login, disable


@pytest.mark.parametrize("what", ["revoked credential", "admin password", "disabled admin"])
def test_a_login_in_use_dies_within_the_cache_bound_on_every_worker(
        engine, database_url, serve, what):
    with transaction(engine) as conn:
        b.set_config(conn, CompanyName="Acme")
    if what == "revoked credential":
        login, withdraw = _credential(engine, database_url)
    else:
        login, withdraw = _admin(engine, database_url, what.split()[1])
    server, url = serve()
    pollers = pollers_on_every_worker(url, server, {
        "action": "GetConfigurationValue", "setting": "CompanyName", **login})
    done = threading.Event()
    withdrawing = threading.Thread(target=lambda: (withdraw(), done.set()))
    withdrawing.start()
    while not done.is_set():  # a client that keeps using it meanwhile
        assert {p.status() for p in pollers} <= {200, 403}
        time.sleep(0.2)
    deadline = time.monotonic() + CACHE_SECONDS + MARGIN
    while time.monotonic() < deadline:
        assert {p.status() for p in pollers} <= {200, 403}
        time.sleep(0.2)
    for poller in pollers:  # past the bound: refused, by both workers
        assert [poller.status() for _ in range(3)] == [403] * 3
    assert len({p.worker() for p in pollers}) == 2


def test_parallel_guesses_get_no_more_than_the_lockout_allows(engine, database_url, serve):
    with transaction(engine) as conn:
        ident, secret = access.create_credential(conn, allow=None)
    _, url = serve(GENINVOICES_LOCKOUT_ATTEMPTS="10")
    start = threading.Barrier(8)

    def guess() -> None:
        with httpx.Client(timeout=120) as http:
            start.wait()
            for n in range(6):
                http.post(url, data={"action": "GetConfigurationValue", "identifier": ident,
                                     "secret": f"guess-{n}"})
    guessers = [threading.Thread(target=guess) for _ in range(8)]
    for g in guessers:
        g.start()
    for g in guessers:
        g.join()
    with engine.connect() as conn:  # a guess verified and wrong is a failure, kept
        verified = conn.execute(select(func.count()).select_from(own.auth_failures)).scalar()
    assert verified <= 10
    for _ in range(10 - verified):  # what is left of the allowance, one at a time
        httpx.post(url, data={"identifier": ident, "secret": "last-guess"})
    refused = httpx.post(url, data={"action": "GetConfigurationValue", "identifier": ident,
                                    "secret": secret, "responsetype": "json"})
    assert (refused.status_code, refused.json()["message"]) == (403, "Authentication Failed")
