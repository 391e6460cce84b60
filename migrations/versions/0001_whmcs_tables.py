"""WHMCS's tables, on a fresh database only, with the indexes geninvoices needs.

An existing WHMCS database never runs this revision: `geninvoices migrate --adopt` records it
as done without touching WHMCS's tables (rules §6). The tables are WHMCS's fixed schema
(`models/whmcs_schema.sql`); a later change to them gets a revision of its own.

Revision ID: 0001
Revises:
"""
from alembic import op

from geninvoices.models import whmcs

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "mysql":
        _run_schema_sql(bind)
    else:
        whmcs.metadata.create_all(bind)
    for index in whmcs.whmcs_indexes():
        index.create(bind)


def _run_schema_sql(bind) -> None:
    # The DDL as it is, zero-date defaults included, which a NO_ZERO_DATE sql_mode would
    # refuse: relax the mode for these statements only.
    mode = bind.exec_driver_sql("SELECT @@SESSION.sql_mode").scalar()
    bind.exec_driver_sql("SET SESSION sql_mode = ''")
    try:
        for sql in whmcs.schema_statements():
            bind.exec_driver_sql(sql)
    finally:
        bind.exec_driver_sql("SET SESSION sql_mode = %s", (mode,))


def downgrade() -> None:
    whmcs.metadata.drop_all(op.get_bind())
