"""A MariaDB database made with a plain CREATE DATABASE (revision 0014): geninvoices' tables
take the character set and collation of WHMCS's, so a run that compares a column of each
(the ledger's kind with the invoice lines' type) works; an adopted install's other tables
keep their own."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from geninvoices.db import make_engine, transaction
from geninvoices.migrate import migrate
from geninvoices.models import own
from geninvoices.models.whmcs import tblinvoices
from tests import builders as b
from tests.conftest import load_whmcs_schema, unique_name
from tests.engine.helpers import D, run

TODAY = D(2026, 3, 20)
SERVER_DEFAULT = "utf8mb4_general_ci"  # MariaDB 10.11's for utf8mb4; WHMCS uses unicode_ci


@pytest.fixture
def plain_database(server_dbs):
    """A MariaDB database whose default collation is not WHMCS's."""
    server = server_dbs["mariadb"]
    name = unique_name()
    admin = server._admin()
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 "
                          f"COLLATE {SERVER_DEFAULT}"))
    admin.dispose()
    server.names.append(name)
    engine = make_engine(server.admin_url.set(database=name).render_as_string(False))
    yield engine
    engine.dispose()


def _collations(engine) -> dict[str, str]:
    with engine.connect() as conn:
        return dict(conn.execute(text(
            "SELECT TABLE_NAME, TABLE_COLLATION FROM information_schema.TABLES "
            "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME <> 'alembic_version'")).all())


def _bills_one_service(engine) -> None:
    with transaction(engine) as conn:
        client = b.make_client(conn)
        b.make_service(conn, client=client, product=b.make_product(conn), nextduedate=TODAY)
    assert run(engine, TODAY, emails=False).numcreated == 1
    with engine.connect() as conn:
        invoice = conn.execute(select(tblinvoices.c.id)).scalar_one()
        assert conn.execute(select(own.ledger.c.invoiceid)).scalars().all() == [invoice]


def test_a_fresh_database_is_all_in_whmcs_collation(plain_database):
    migrate(plain_database)
    assert set(_collations(plain_database).values()) == {"utf8mb4_unicode_ci"}
    _bills_one_service(plain_database)


def test_an_adopted_database_keeps_its_own_tables(plain_database):
    url = plain_database.url.render_as_string(hide_password=False)
    load_whmcs_schema(url)
    with plain_database.begin() as conn:  # one of WHMCS's many tables geninvoices never uses
        conn.execute(text("CREATE TABLE tbltickets (id INTEGER PRIMARY KEY, title TEXT)"))
    migrate(plain_database, adopt=True)
    collations = _collations(plain_database)
    assert collations.pop("tbltickets") == SERVER_DEFAULT
    ours = {n: c for n, c in collations.items() if n.startswith("geninvoices_")}
    assert ours and set(ours.values()) == {"utf8mb4_unicode_ci"}
    _bills_one_service(plain_database)
