"""A fresh database takes a plain INSERT: WHMCS's NOT NULL text columns default to ''.

WHMCS declares its text columns NOT NULL without a default (rules §6), so on a database that
geninvoices created, an `INSERT INTO tblclients (firstname, lastname, email, country,
currency, status) VALUES (...)` typed into sqlite3, psql or the mariadb client failed on the
first text column it did not name (`uuid`, `address1`, `cardnum`, ...). Every other column
already has a neutral value there: numbers default to 0, and dates to NULL (SQLite,
PostgreSQL) or to the zero date (MariaDB/MySQL, as WHMCS declares them). This revision gives
every NOT NULL text column without a default the default '' (the empty text WHMCS itself
writes into the columns it does not use).

Only where geninvoices created WHMCS's tables (revision 0005's `whmcs_tables` record is
`created`); an adopted WHMCS database keeps its own definitions. The columns are found by
looking at the live database, not at geninvoices' models, so the revision does the same
whatever the models become, and covers every `tbl*` table the earlier revisions made
(0001, 0005, 0006, 0007).

MariaDB and PostgreSQL change a default in place (one ALTER TABLE per table); SQLite cannot,
so Alembic's batch mode rebuilds each table it changes, keeping its rows, indexes and
AUTOINCREMENT. MySQL (not MariaDB) takes a TEXT default only as an expression, `('')`.

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

ORIGIN_KEY = "whmcs_tables"
EMPTY = "''"


def _origin(bind) -> str | None:
    meta = sa.table("geninvoices_meta", sa.column("key"), sa.column("value"))
    return bind.execute(sa.select(meta.c.value).where(meta.c.key == ORIGIN_KEY)).scalar()


def _is_text(column: dict) -> bool:
    return isinstance(column["type"], sa.String)  # TEXT, VARCHAR, and their dialect kinds


def _without_default(column: dict) -> bool:
    default = column.get("default")
    return default is None or str(default).strip().upper() == "NULL"


def _has_empty_default(column: dict) -> bool:
    # '' as each backend reports it: '' (SQLite, MariaDB), ''::text (PostgreSQL), ('') (MySQL)
    text = str(column.get("default") or "").split("::")[0].strip()
    return text.strip("()") in ("''", "_utf8mb4\\'\\'")


def _columns(bind, wanted) -> dict[str, list[dict]]:
    """{table: [column, ...]} of the WHMCS tables' NOT NULL text columns ``wanted`` picks."""
    inspector = sa.inspect(bind)
    found = {}
    for table in sorted(inspector.get_table_names()):
        if not table.startswith("tbl"):
            continue
        columns = [c for c in inspector.get_columns(table)
                   if not c["nullable"] and _is_text(c) and wanted(c)]
        if columns:
            found[table] = columns
    return found


def _set_defaults(bind, found: dict[str, list[dict]], default: str | None) -> None:
    if bind.dialect.name == "sqlite":
        _rebuild_sqlite(bind, found, default)
        return
    quote = bind.dialect.identifier_preparer.quote
    mysql_text = bind.dialect.name == "mysql" and not getattr(bind.dialect, "is_mariadb", False)
    for table, columns in found.items():
        clauses = []
        for column in columns:
            value = default
            if value is not None and mysql_text and not isinstance(column["type"], sa.VARCHAR):
                value = f"({value})"
            action = "DROP DEFAULT" if value is None else f"SET DEFAULT {value}"
            clauses.append(f"ALTER COLUMN {quote(column['name'])} {action}")
        bind.exec_driver_sql(f"ALTER TABLE {quote(table)} " + ", ".join(clauses))


def _rebuild_sqlite(bind, found: dict[str, list[dict]], default: str | None) -> None:
    for table, columns in found.items():
        sql = bind.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).scalar()
        keep = {"sqlite_autoincrement": "AUTOINCREMENT" in (sql or "").upper()}
        with op.batch_alter_table(table, recreate="always", table_kwargs=keep) as batch:
            for column in columns:
                batch.alter_column(column["name"], existing_type=column["type"],
                                   existing_nullable=False,
                                   server_default=None if default is None else sa.text(default))


def upgrade() -> None:
    bind = op.get_bind()
    if _origin(bind) == "created":
        _set_defaults(bind, _columns(bind, _without_default), EMPTY)


def downgrade() -> None:
    bind = op.get_bind()
    if _origin(bind) == "created":
        _set_defaults(bind, _columns(bind, _has_empty_default), None)
