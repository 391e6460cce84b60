"""The operator's commands on every backend (issue 12 points 2, 3 and 6): migrate says what
it did, --adopt refuses a database that is not WHMCS's, config list and validated config set,
lockouts list and clear, ranges in the allow-list."""

from __future__ import annotations

import pytest
from alembic import command

from geninvoices.db import make_engine
from geninvoices.migrate import alembic_config
from tests.conftest import BACKENDS, new_database_url
from tests.test_cli import gi, one_error_line


@pytest.fixture(params=BACKENDS)
def new_url(request, server_dbs, tmp_path_factory):
    return new_database_url(request.param, server_dbs, tmp_path_factory)


def test_migrate_says_what_it_did(new_url):
    created = gi(new_url, "migrate")
    assert created.returncode == 0, created.stderr
    assert created.stdout.startswith("created a new database"), created.stdout
    again = gi(new_url, "migrate")
    assert again.stdout.strip() == "already up to date (revision 0005)"


def test_migrate_names_the_revisions_it_upgraded(new_url):
    engine = make_engine(new_url)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0004")
    engine.dispose()
    upgraded = gi(new_url, "migrate")
    assert upgraded.stdout.strip() == "upgraded from revision 0004 to 0005", upgraded.stderr


def test_adopt_refuses_a_database_without_whmcs_tables(new_url):
    line = one_error_line(gi(new_url, "migrate", "--adopt"), 1)
    assert "--adopt expects a WHMCS database" in line and "tblclients" in line
    assert "without --adopt" in line
    # nothing was created: a plain migrate still finds a new database
    assert gi(new_url, "migrate").stdout.startswith("created a new database")
