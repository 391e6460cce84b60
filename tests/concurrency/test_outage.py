"""A database that goes away mid-run (issue 4.3): the caller gets "Database unavailable,
please retry" (HTTP 503) or `generate` exit 75; nothing committed is lost, and the retry
duplicates nothing."""

from __future__ import annotations

import os
import threading
import time

import httpx
from sqlalchemy.engine import make_url

from geninvoices import access
from geninvoices.billing.due import Selection
from geninvoices.billing.generator import generate
from geninvoices.db import make_engine, transaction
from geninvoices.migrate import migrate
from tests.concurrency.world import (
    TODAY,
    build_world,
    cli,
    numbers_are_gapless,
    snapshot,
    without_numbers,
)
from tests.engine.helpers import config
from tests.net import start_server, stop, wait_until_up
from tests.tcpproxy import TcpProxy

CLIENTS, CHUNK = 40, 8


def _expected(tmp_path):
    url = f"sqlite:///{tmp_path / 'ref.db'}"
    engine = make_engine(url)
    migrate(engine)
    build_world(engine, CLIENTS)
    generate(engine, Selection(), config(TODAY, chunk_size=CHUNK))
    state = snapshot(engine)
    engine.dispose()
    return state


def _wait_for(path, seconds=60) -> None:
    deadline = time.monotonic() + seconds
    while not os.path.exists(path):
        assert time.monotonic() < deadline, "the run never reached its pause"
        time.sleep(0.02)


def _through(proxy: TcpProxy, url: str) -> str:
    return make_url(url).set(host="127.0.0.1", port=proxy.port).render_as_string(
        hide_password=False)


def _env(marker) -> dict:
    return {"GENINVOICES_TESTING": "1", "GENINVOICES_PAUSE": "after_invoices:2:2",
            "GENINVOICES_PAUSE_FILE": str(marker), "GENINVOICES_CHUNK_SIZE": str(CHUNK)}


def test_database_gone_mid_run(fresh_db, engine_of, tmp_path, backend):
    url = fresh_db()
    if backend == "sqlite":
        return _sqlite_file_gone(url, tmp_path)
    expected = _expected(tmp_path)
    engine = engine_of(url)
    build_world(engine, CLIENTS)
    with transaction(engine) as conn:
        ident, secret = access.create_credential(conn, allow=["GenInvoices"])
    target = make_url(url).port

    # generate: the connection cut while its second chunk is being written
    proxy = TcpProxy(target)
    run = cli(_through(proxy, url), "generate", "--date", TODAY.isoformat(),
              env=_env(tmp_path / "g.paused"))
    _wait_for(tmp_path / "g.paused")
    proxy.cut()
    _, err = run.communicate(timeout=120)
    assert run.returncode == 75, err
    assert err.strip().splitlines()[-1].startswith("error: Database unavailable, please retry")
    assert "Traceback" not in err
    half = snapshot(engine)
    assert 0 < sum(half["invoices"].values()) < sum(expected["invoices"].values())
    proxy.close()

    # the server: the same cut gives the caller a 503
    proxy = TcpProxy(target)
    server, endpoint = start_server(_through(proxy, url), env=_env(tmp_path / "s.paused"))
    replies = []
    try:
        wait_until_up(endpoint)
        caller = threading.Thread(target=lambda: replies.append(httpx.post(
            endpoint, timeout=120, data={"action": "GenInvoices", "identifier": ident,
                                         "secret": secret, "responsetype": "json"})))
        caller.start()
        _wait_for(tmp_path / "s.paused")
        proxy.cut()
        caller.join()
    finally:
        stop(server)
        proxy.close()
    assert (replies[0].status_code, replies[0].json()) == (
        503, {"result": "error", "message": "Database unavailable, please retry"})

    # the retry, with the database back: exactly one run's result
    retry = cli(url, "generate", "--date", TODAY.isoformat(),
                env={"GENINVOICES_CHUNK_SIZE": str(CHUNK)})
    _, err = retry.communicate(timeout=120)
    assert retry.returncode == 0, err
    state = snapshot(engine)
    assert without_numbers(state) == without_numbers(expected)
    assert numbers_are_gapless(state)


def _sqlite_file_gone(url: str, tmp_path) -> None:
    """SQLite has no server to lose (a held lock is its "busy", tests/engine/test_locks.py).
    A database file that is not there is a setup error a retry cannot fix: exit 1, with the
    command that fixes it, and no empty file created in its place."""
    missing = tmp_path / "no-such-dir" / "geninvoices.db"
    run = cli(f"sqlite:///{missing}", "generate", "--date", TODAY.isoformat())
    _, err = run.communicate(timeout=120)
    assert run.returncode == 1 and "geninvoices migrate" in err, err
    assert not missing.exists()
