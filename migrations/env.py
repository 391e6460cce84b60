"""Alembic environment: runs on the connection `geninvoices migrate` hands over, or on
GENINVOICES_DATABASE_URL when alembic is called directly."""

from alembic import context

from geninvoices.config import Settings
from geninvoices.db import make_engine

VERSION_TABLE = "geninvoices_alembic_version"


def run() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run_on(connection)
        return
    engine = make_engine(Settings().database_url)
    with engine.connect() as conn:
        _run_on(conn)
    engine.dispose()


def _run_on(connection) -> None:
    context.configure(connection=connection, version_table=VERSION_TABLE,
                      transactional_ddl=connection.dialect.name != "mysql")
    with context.begin_transaction():
        context.run_migrations()


run()
