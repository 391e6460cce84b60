"""A real `geninvoices serve --workers 2` on loopback: what every worker must share."""

from __future__ import annotations

import contextlib
import os
import socket
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


def _children(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as listing:
        return [int(p) for p in listing.read().split()]


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        with contextlib.suppress(OSError):
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    return inodes


def _tcp_sockets(port: int) -> dict[str, str]:
    """inode -> state ("0A" listening, "01" established) of the sockets on local ``port``."""
    found = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as rows:
            for row in list(rows)[1:]:
                fields = row.split()
                if int(fields[1].rsplit(":", 1)[1], 16) == port:
                    found[fields[9]] = fields[3]
    return found


def test_each_worker_listens_on_a_socket_of_its_own(database_url):
    """serve --workers 2: a SO_REUSEPORT socket per worker (listeners.py), so connections that
    a client opens together spread over both workers instead of all going to the first one
    awake."""
    server, url = start_server(database_url, workers=2)
    port = int(url.split(":")[2].split("/")[0])
    opened = []
    try:
        wait_until_up(url)
        for _ in range(300):  # until both workers listen
            sockets = _tcp_sockets(port)
            listening = {pid: _socket_inodes(pid) & {i for i, s in sockets.items() if s == "0A"}
                         for pid in _children(server.pid)}
            if sum(1 for found in listening.values() if found) == 2:
                break
            time.sleep(0.1)
        workers = {pid: found for pid, found in listening.items() if found}
        assert len(workers) == 2 and all(len(found) == 1 for found in workers.values())
        assert len(set().union(*workers.values())) == 2  # two sockets, not one shared
        opened = [socket.create_connection(("127.0.0.1", port)) for _ in range(32)]
        for _ in range(100):  # until both have accepted some
            sockets = _tcp_sockets(port)
            accepted = {pid: len(_socket_inodes(pid) & {i for i, s in sockets.items()
                                                         if s == "01"}) for pid in workers}
            if sum(accepted.values()) == 32:
                break
            time.sleep(0.1)
        assert sum(accepted.values()) == 32 and min(accepted.values()) > 0, accepted
    finally:
        for each in opened:
            each.close()
        stop(server)
