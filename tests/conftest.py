"""Test databases: each test run creates its own uniquely named databases on the PostgreSQL
and MariaDB servers (and a SQLite file), migrates them once, and drops them at the end.

``GENINVOICES_TEST_BACKENDS`` picks the backends (default: sqlite,postgresql,mariadb);
``GENINVOICES_TEST_PG_URL`` / ``GENINVOICES_TEST_MARIADB_URL`` point at the servers. A server
that is down fails the run: nothing is skipped.

Between tests every table is emptied and the seeds of migrations 0002 and 0005 put back (the
role `full`, the loopback allow-list, WHMCS's default settings), so every test starts on what
a fresh database holds and never sees another test's rows.
"""

from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import create_engine, delete, insert, text
from sqlalchemy.engine import make_url

from geninvoices.db import make_engine
from geninvoices.migrate import migrate
from geninvoices.models import own, whmcs
from geninvoices.models.defaults import DEFAULT_SETTINGS

PG_URL = os.environ.get("GENINVOICES_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
MARIADB_URL = os.environ.get("GENINVOICES_TEST_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306/test")
BACKENDS = [b.strip() for b in os.environ.get(
    "GENINVOICES_TEST_BACKENDS", "sqlite,postgresql,mariadb").split(",") if b.strip()]

os.environ.setdefault("GENINVOICES_TESTING", "1")


def unique_name(prefix: str = "gi_test") -> str:
    return f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"


class ServerDatabases:
    """Creates and drops uniquely named databases on one server."""

    def __init__(self, admin_url: str):
        self.admin_url = make_url(admin_url)
        self.names: list[str] = []

    def _admin(self):
        return create_engine(self.admin_url, isolation_level="AUTOCOMMIT")

    def create(self, name: str | None = None) -> str:
        name = name or unique_name()
        engine = self._admin()
        with engine.connect() as conn:
            if self.admin_url.get_backend_name() == "postgresql":
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            else:
                conn.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 "
                                  "COLLATE utf8mb4_unicode_ci"))
        engine.dispose()
        self.names.append(name)
        return self.admin_url.set(database=name).render_as_string(hide_password=False)

    def drop(self, name: str) -> None:
        engine = self._admin()
        with engine.connect() as conn:
            if self.admin_url.get_backend_name() == "postgresql":
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            else:
                conn.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
        engine.dispose()

    def drop_all(self) -> None:
        for name in self.names:
            self.drop(name)
        self.names.clear()


@pytest.fixture(scope="session")
def server_dbs():
    servers = {"postgresql": ServerDatabases(PG_URL), "mariadb": ServerDatabases(MARIADB_URL)}
    yield servers
    for server in servers.values():
        server.drop_all()


def new_database_url(backend: str, server_dbs, tmp_path_factory) -> str:
    """A new, empty database on ``backend``; dropped when the session ends."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'geninvoices.db'}"
    return server_dbs[backend].create()


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request, server_dbs, tmp_path_factory) -> str:
    """A migrated database per backend, shared by the tests of this session."""
    url = new_database_url(request.param, server_dbs, tmp_path_factory)
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def session_engine(database_url):
    engine = make_engine(database_url, lock_timeout_seconds=5)
    yield engine
    engine.dispose()


@pytest.fixture
def engine(session_engine):
    """The backend's engine with every table emptied and the migration seeds put back."""
    reset(session_engine)
    return session_engine


ALL_TABLES = [*reversed(own.metadata.sorted_tables), *whmcs.metadata.sorted_tables]


def reset(engine) -> None:
    with engine.begin() as conn:
        install = conn.execute(own.meta.select()).mappings().all()
        for table in ALL_TABLES:
            conn.execute(delete(table))
        conn.execute(insert(own.roles).values(id=1, name=own.FULL_ROLE, description="every action"))
        conn.execute(insert(own.role_actions).values(role_id=1, action=own.ALL_ACTIONS))
        for address in ("127.0.0.1", "::1"):
            conn.execute(insert(own.allowed_ips).values(address=address,
                                                        created_at=_now()))
        if install:
            conn.execute(insert(own.meta), [dict(r) for r in install])
        now = _now()
        conn.execute(insert(whmcs.tblconfiguration), [
            {"setting": k, "value": v, "created_at": now, "updated_at": now}
            for k, v in DEFAULT_SETTINGS.items()])


def _now():
    import datetime as dt
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def load_whmcs_schema(url: str) -> None:
    """Make a MariaDB database look like a WHMCS install: WHMCS's DDL as it is."""
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("SET SESSION sql_mode = ''")
        for sql in whmcs.schema_statements():
            conn.exec_driver_sql(sql)
    engine.dispose()


@pytest.fixture
def backend(engine) -> str:
    return engine.dialect.name


def pytest_terminal_summary(terminalreporter):
    """A closing section with what each fuzzer did, from the tests' ``fuzz_*`` properties
    (pytest-xdist carries them from its workers, so this lives in the root conftest)."""
    lines = []
    for report in terminalreporter.stats.get("passed", []) + \
            terminalreporter.stats.get("failed", []):
        figures = [f"{k[5:]}={v}" for k, v in report.user_properties if k.startswith("fuzz_")]
        if figures and report.when == "call":
            lines.append(f"{report.nodeid}: " + " ".join(figures))
    if lines:
        terminalreporter.section("fuzzing")
        for line in sorted(lines):
            terminalreporter.write_line(line)
