"""Fuzzing: a SQLite database of its own, so the fuzzers run once, not once per backend."""

from __future__ import annotations

import pytest

from geninvoices.db import make_engine
from geninvoices.migrate import migrate
from tests.conftest import new_database_url, reset


@pytest.fixture(scope="session")
def sqlite_session_engine(tmp_path_factory):
    engine = make_engine(new_database_url("sqlite", None, tmp_path_factory),
                         lock_timeout_seconds=5)
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def sqlite_engine(sqlite_session_engine):
    reset(sqlite_session_engine)
    return sqlite_session_engine
