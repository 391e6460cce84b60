from __future__ import annotations

import pytest
from sqlalchemy.engine import make_url

from geninvoices.db import make_engine
from geninvoices.migrate import migrate
from tests.conftest import new_database_url

BACKEND = {"sqlite": "sqlite", "postgresql": "postgresql", "mysql": "mariadb"}


@pytest.fixture
def fresh_db(database_url, server_dbs, tmp_path_factory):
    """A factory of new, migrated databases on the backend under test."""
    backend = BACKEND[make_url(database_url).get_backend_name()]

    def make() -> str:
        url = new_database_url(backend, server_dbs, tmp_path_factory)
        engine = make_engine(url)
        migrate(engine)
        engine.dispose()
        return url
    return make


@pytest.fixture
def engine_of():
    engines = []

    def make(url):
        engines.append(make_engine(url))
        return engines[-1]
    yield make
    for engine in engines:
        engine.dispose()
