from __future__ import annotations

import pytest
from sqlalchemy.engine import make_url

from geninvoices.db import make_engine
from geninvoices.migrate import migrate
from tests.conftest import new_database_url

BACKEND = {"sqlite": "sqlite", "postgresql": "postgresql", "mysql": "mariadb"}


@pytest.fixture
def fresh_db(database_url, server_dbs, tmp_path_factory):
    """A factory of new databases on the backend under test, migrated unless told not to."""
    backend = BACKEND[make_url(database_url).get_backend_name()]

    def make(migrated: bool = True) -> str:
        url = new_database_url(backend, server_dbs, tmp_path_factory)
        engine = make_engine(url)
        if migrated:
            migrate(engine)
        else:
            engine.connect().close()  # SQLite: the file, with no tables in it
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
