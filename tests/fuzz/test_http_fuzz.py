"""2 x 2,600 seeded hostile requests through the ASGI app (issue 11): never a 5xx, never a
traceback in a reply or a log, every reply well-formed in its format (the one asked for when
the query string named it), one escaped access line per call, and a refused request changes
no row (a failed login adds its failure row and nothing else)."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import logging
import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import insert, select

from geninvoices import access, actions
from geninvoices.actions.registry import Context
from geninvoices.app import create_app
from geninvoices.config import Settings
from geninvoices.db import transaction
from geninvoices.models.whmcs import tblconfiguration, tblinvoices
from tests import builders as b
from tests.asgi import Reply, call
from tests.conftest import ALL_TABLES
from tests.fuzz.hostile import Generator, Hostile

REQUESTS = 2600  # per seed: two seeds, so pytest -n 2 runs them side by side
HOSTILE_TEXT = 'a<b>&c]]>"\'\x01\x0b\u2028 end'
FORMATS = {"application/json": "json", "text/xml": "xml", "text/plain": "nvp"}


class Captured(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        if not record.name.startswith(("httpx", "httpcore", "asyncio", "hypothesis")):
            self.records.append(record)


def seed_world(engine) -> tuple[list[dict[str, str]], dict[str, list[int]]]:
    """Credentials (full, one action, an admin's legacy login), clients with hostile text and
    due items, and invoices made by the GenInvoices action; returns credentials and ids."""
    today, ids = dt.date.today(), {"client": [], "service": []}
    with transaction(engine) as conn:
        full = access.create_credential(conn, allow=None)
        narrow = access.create_credential(conn, allow=["GetInvoices"])
        access.create_admin(conn, "fuzzadmin", "pw")
        b.make_currency(conn)
        b.set_config(conn, CompanyName=HOSTILE_TEXT, TaxEnabled="on")
        b.make_tax(conn, rate="17.500")
        for i in range(3):
            cid = b.make_client(conn, firstname=HOSTILE_TEXT, companyname=f"<co{i}>")
            pid = b.make_product(conn, name=HOSTILE_TEXT, tax=1)
            sid = b.make_service(conn, client=cid, product=pid, amount="9.95",
                                 regdate=today - dt.timedelta(days=40),
                                 nextduedate=today + dt.timedelta(days=i))
            b.make_addon(conn, client=cid, service=sid, name=HOSTILE_TEXT,
                         nextduedate=today + dt.timedelta(days=30 * i))
            b.make_domain(conn, client=cid, domain=f"d{i}.example",
                          nextduedate=today + dt.timedelta(days=3))
            ids["client"].append(cid)
            ids["service"].append(sid)
        conn.execute(insert(tblconfiguration).values(setting="Odd\x01", value="\x1f\x01"))
    actions.find("GenInvoices").run(Context(engine, Settings(database_url="sqlite://")),
                                    {"noemails": "1"})
    with engine.connect() as conn:
        ids["invoice"] = list(conn.execute(select(tblinvoices.c.id)).scalars())
    md5 = hashlib.md5(b"pw").hexdigest()
    return [{"identifier": full[0], "secret": full[1]},
            {"identifier": narrow[0], "secret": narrow[1]},
            {"identifier": "fuzzadmin", "secret": md5}], ids


class Changes:
    """Which tables changed since the last look: every table's rows as a checksum, read
    through the driver. On SQLite, whose data_version moves whenever another connection
    commits, the checksums are only taken when something may have changed."""

    def __init__(self, engine):
        self.raw = engine.raw_connection()
        self.sqlite = engine.dialect.name == "sqlite"
        self.quote = engine.dialect.identifier_preparer.quote
        self.version = self._version()
        self.sums = self._checksums()

    def since_last(self) -> set[str]:
        version = self._version()
        if self.sqlite and version == self.version:
            return set()
        self.version, before, self.sums = version, self.sums, self._checksums()
        return {name for name in before if before[name] != self.sums[name]}

    def _version(self):
        return self._rows("PRAGMA data_version") if self.sqlite else None

    def _rows(self, sql: str) -> list:
        cursor = self.raw.cursor()
        cursor.execute(sql)
        rows = cursor.fetchall()
        cursor.close()
        if not self.sqlite:
            self.raw.rollback()  # the next look starts a new snapshot of what was committed
        return rows

    def _checksums(self) -> dict[str, str]:
        return {t.name: hashlib.sha256(repr(sorted(map(repr, self._rows(
            f"SELECT * FROM {self.quote(t.name)}")))).encode()).hexdigest() for t in ALL_TABLES}

    def close(self) -> None:
        self.raw.close()


def parse_reply(reply: Reply) -> tuple[str, dict]:
    """(format, fields) of a reply that must be one of the three formats, well-formed."""
    kind = reply.headers["content-type"].split(";")[0]
    fmt = FORMATS[kind]
    if fmt == "json":
        body = json.loads(reply.text)
    elif fmt == "xml":
        root = ET.fromstring(reply.content)
        assert root.tag == "whmcsapi"
        body = {child.tag: child.text for child in root}
    else:
        assert reply.text.endswith(";")
        body = dict(p.split("=", 1) for p in reply.text[:-1].split(";"))
    assert body["result"] in ("success", "error"), reply.text[:300]
    return fmt, body


def check_reply(req: Hostile, reply: Reply) -> dict | None:
    assert reply.status_code < 500, (req, reply.text[:500])
    assert "Traceback" not in reply.text and 'File "' not in reply.text, req
    if req.method not in ("GET", "POST"):
        assert reply.status_code == 405 or req.method == "HEAD", (req, reply.status_code)
        return None
    fmt, body = parse_reply(reply)
    if req.expect_format:
        assert fmt == req.expect_format, (req, reply.text[:300])
    return body


def check_logs(req: Hostile, records: list[logging.LogRecord]) -> None:
    bad = [r for r in records if r.exc_info or r.levelno >= logging.ERROR]
    assert not bad, (req, [r.getMessage() for r in bad])
    lines = [r.getMessage() for r in records if r.name == "geninvoices.access"]
    if req.method in ("GET", "POST"):
        assert len(lines) == 1, (req, lines)
    assert all(len(line.splitlines()) == 1 and "\r" not in line for line in lines), lines


def check_rows(req: Hostile, body: dict | None, changed: set[str]) -> None:
    if body is None or body["result"] == "success":
        return
    allowed = {"geninvoices_auth_failures"} if body["message"] == "Authentication Failed" else set()
    assert changed <= allowed, (req, body["message"], changed)


async def fuzz(apps, generator: Generator, changes: Changes, captured: Captured,
               count: int) -> dict:
    stats = {"requests": 0, "cases": set(), "errors": 0, "successes": 0, "messages": set()}
    for _ in range(count):
        req = generator.request()
        app = apps[generator.rng.randrange(len(apps))]
        captured.records.clear()
        reply = await call(app, req.method, req.query, req.body, req.headers, req.client)
        body = check_reply(req, reply)
        check_logs(req, captured.records)
        check_rows(req, body, changes.since_last())
        stats["requests"] += 1
        stats["cases"].add(req.case)
        if body is not None:
            stats["successes" if body["result"] == "success" else "errors"] += 1
            stats["messages"].add(body.get("message", "")[:40])
    return stats


def run_fuzz(engine, seed: int, count: int) -> dict:
    credentials, ids = seed_world(engine)
    common = dict(database_url="sqlite://", lockout_attempts=10**6, max_body_bytes=65536,
                  max_params=200, max_array_elements=50)
    apps = [create_app(Settings(**common), engine),
            create_app(Settings(**common, trusted_proxies=["127.0.0.1"], access_key="k-fuzz-1",
                                default_responsetype="json"), engine)]
    captured, changes = Captured(), Changes(engine)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(captured)
    root.setLevel(logging.INFO)
    try:
        stats = asyncio.run(fuzz(apps, Generator(seed, credentials, ids), changes, captured, count))
    finally:
        root.removeHandler(captured)
        root.setLevel(old_level)
        changes.close()
    return {"requests": stats["requests"], "cases": len(stats["cases"]),
            "successes": stats["successes"], "errors": stats["errors"],
            "distinct_errors": len(stats["messages"])}


@pytest.mark.parametrize("seed", [20261125, 11])
def test_http_fuzz(sqlite_engine, record_property, tmp_path, seed):
    summary = run_fuzz(sqlite_engine, seed, REQUESTS)
    for name, value in summary.items():
        record_property(f"fuzz_{name}", value)
    (tmp_path / "summary.json").write_text(json.dumps(summary))
    assert summary["requests"] == REQUESTS
    assert summary["successes"] > 250 and summary["errors"] > 1000  # both paths exercised
    assert summary["distinct_errors"] > 30


def test_http_fuzz_on_every_backend(engine, record_property):
    """Fewer requests, on each database: NUL, surrogates and odd values meet its driver."""
    summary = run_fuzz(engine, 5, 300)
    for name, value in summary.items():
        record_property(f"fuzz_{name}", value)
    assert summary["successes"] > 20 and summary["errors"] > 100
