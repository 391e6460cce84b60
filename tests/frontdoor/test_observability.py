"""/metrics, /healthz and the one log line per API call, through the ASGI app (README "Health
and metrics"). The served, multi-worker side is in tests/test_mail_served.py."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import socket

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from geninvoices import access
from geninvoices.app import create_app
from geninvoices.config import Settings
from geninvoices.db import make_engine, transaction
from tests import builders as b
from tests.net import free_port

TODAY = dt.date.today()


def get(app, path, *, data=None):
    async def go():
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as http:
            if data is None:
                return await http.get(path)
            return await http.post(path, data=data)
    return asyncio.run(go())


def samples(app) -> dict:
    reply = get(app, "/metrics")
    assert reply.status_code == 200 and reply.headers["content-type"].startswith("text/plain")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(reply.text) for s in family.samples}


def value(found: dict, name: str, **labels) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
def app(engine):
    with transaction(engine) as conn:
        ident, secret = access.create_credential(conn, allow=None)
        pid = b.make_product(conn)
        for _ in range(2):
            cid = b.make_client(conn)
            b.make_service(conn, client=cid, product=pid, regdate=TODAY,
                           nextduedate=TODAY + dt.timedelta(days=3))
    settings = Settings(database_url="sqlite://", lockout_attempts=2)
    return create_app(settings, engine), {"identifier": ident, "secret": secret}


def test_metrics_count_calls_refusals_lockouts_and_runs(app):
    app, auth = app
    before = samples(app)
    assert get(app, "/includes/api.php", data={"action": "GenInvoices", **auth,
                                               "noemails": "1"}).status_code == 200
    get(app, "/includes/api.php", data={"action": "No<Such>Action", **auth})
    for _ in range(2):
        get(app, "/includes/api.php", data={**auth, "action": "GenInvoices", "secret": "no"})
    assert get(app, "/includes/api.php", data={"action": "GenInvoices", **auth}
               ).status_code == 403  # locked out now
    after = samples(app)

    def grew(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)
    requests = "geninvoices_api_requests_total"
    assert grew(requests, action="geninvoices", result="success") == 1
    assert grew(requests, action="geninvoices", result="error") == 3
    assert grew(requests, action="unknown", result="error") == 1  # never the caller's text
    assert grew("geninvoices_auth_failures_total") == 3
    assert grew("geninvoices_lockouts_total") == 1
    assert grew("geninvoices_invoices_created_total") == 2
    assert grew("geninvoices_invoice_lines_created_total") == 2
    assert grew("geninvoices_run_duration_seconds_count") == 1


def test_one_log_line_per_call_that_no_input_can_forge(app, caplog):
    app, auth = app
    caplog.set_level(logging.INFO, logger="geninvoices.access")
    forged = "x\nINFO geninvoices.access: api action=genInvoices status=200"
    get(app, "/includes/api.php?secret=hidden", data={
        "action": forged, "identifier": "a b\r\nc=d", "secret": auth["secret"]})
    [line] = [r.getMessage() for r in caplog.records if r.name == "geninvoices.access"]
    assert "\n" not in line and "\r" not in line
    assert line.startswith('api action="x\\ninfo geninvoices.access: api action=geninvoices')
    assert 'caller=- ' in line  # the caller was never identified
    assert "status=403 outcome=error error=AuthenticationFailed duration_ms=" in line
    assert auth["secret"] not in line and "hidden" not in line


def test_healthz_ok_when_the_database_is_migrated(app):
    app, _ = app
    reply = get(app, "/healthz")
    assert (reply.status_code, reply.json()) == (200, {"status": "ok"})


def test_healthz_503_when_migrations_are_behind(app, engine):
    app, _ = app
    with transaction(engine) as conn:
        current = conn.execute(text("SELECT version_num FROM geninvoices_alembic_version")
                               ).scalar()
        conn.execute(text("UPDATE geninvoices_alembic_version SET version_num = '0004'"))
    try:
        reply = get(app, "/healthz")
    finally:
        with transaction(engine) as conn:
            conn.execute(text("UPDATE geninvoices_alembic_version SET version_num = :v"),
                         {"v": current})
    assert reply.status_code == 503
    assert reply.json()["status"] == "unavailable"
    assert "0004" in reply.json()["reason"] and "geninvoices migrate" in reply.json()["reason"]


def test_healthz_503_when_the_database_does_not_answer():
    nowhere = make_engine(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/none")
    app = create_app(Settings(database_url="sqlite://"), nowhere)
    reply = get(app, "/healthz")
    assert reply.status_code == 503
    assert reply.json()["reason"].startswith("database unavailable")
    nowhere.dispose()


def test_healthz_never_blocks_the_event_loop():
    """A database that accepts the connection and never answers: /healthz gives up after
    its limit, and meanwhile the same event loop answers other requests."""
    with socket.create_server(("127.0.0.1", 0)) as hole:  # the kernel accepts; nobody reads
        port = hole.getsockname()[1]
        silent = make_engine(f"postgresql+psycopg://postgres@127.0.0.1:{port}/none")
        app = create_app(Settings(database_url="sqlite://"), silent)
        finished = []

        async def go():
            transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))
            async with httpx.AsyncClient(transport=transport, base_url="http://api",
                                         timeout=60) as http:
                async def health():
                    reply = await http.get("/healthz")
                    finished.append("healthz")
                    return reply

                async def other():
                    await asyncio.sleep(0.5)
                    assert (await http.get("/metrics")).status_code == 200
                    finished.append("metrics")
                return (await asyncio.gather(health(), other()))[0]
        reply = asyncio.run(go())
        silent.dispose()
    assert finished == ["metrics", "healthz"]
    assert reply.status_code == 503 and "did not answer" in reply.json()["reason"]
