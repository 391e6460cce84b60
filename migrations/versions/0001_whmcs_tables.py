"""WHMCS's tables, on a fresh database only, with the indexes geninvoices needs.

An existing WHMCS database never runs this revision: `geninvoices migrate --adopt` records it
as done without touching WHMCS's tables (rules §6).

Frozen: the tables and indexes come from `migrations/frozen/whmcs_0001.*`, a copy of WHMCS's
DDL and of the code that built it when this revision was written, never from the live model,
so a later edit of `models/whmcs_schema.sql` cannot change what this revision creates. A change
to WHMCS's tables gets a revision of its own.

Revision ID: 0001
Revises:
"""
import importlib.util
from pathlib import Path

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

FROZEN = Path(__file__).resolve().parents[1] / "frozen" / "whmcs_0001.py"


def frozen_schema():
    """The frozen module, loaded from its path: migrations/ is not an importable package."""
    spec = importlib.util.spec_from_file_location("geninvoices_frozen_whmcs_0001", FROZEN)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def upgrade() -> None:
    bind = op.get_bind()
    schema = frozen_schema()
    tables = schema.metadata()
    if bind.dialect.name == "mysql":
        _run_schema_sql(bind, schema.statements())
    else:
        tables.create_all(bind)
    for index in schema.indexes(tables):
        index.create(bind)


def _run_schema_sql(bind, statements) -> None:
    # The DDL as it is, zero-date defaults included, which a NO_ZERO_DATE sql_mode would
    # refuse: relax the mode for these statements only.
    mode = bind.exec_driver_sql("SELECT @@SESSION.sql_mode").scalar()
    bind.exec_driver_sql("SET SESSION sql_mode = ''")
    try:
        for sql in statements:
            bind.exec_driver_sql(sql)
    finally:
        bind.exec_driver_sql("SET SESSION sql_mode = %s", (mode,))


def downgrade() -> None:
    frozen_schema().metadata().drop_all(op.get_bind())
