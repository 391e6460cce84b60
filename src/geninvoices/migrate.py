"""`geninvoices migrate`: a fresh database, an adopted WHMCS database, and their indexes.

Rules §6: WHMCS's tables (revision 0001) are created only on a fresh database. A database that
already holds them but none of ours is refused until the operator says `--adopt`, which
records 0001 as done without touching WHMCS's tables and then creates only ours.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect, text

from .errors import MigrationRefused
from .models import whmcs

# The repository's top-level migrations/, shipped inside the package as geninvoices.migrations
# (a wheel or `pip install .` has no source tree): the scripts, their versions/ and the
# frozen/ copy revision 0001 builds from.
MIGRATIONS = Path(str(files("geninvoices.migrations")))
VERSION_TABLE = "geninvoices_alembic_version"
WHMCS_REVISION = "0001"


def alembic_config(connection) -> Config:
    """What alembic.ini says, without the file: the repository's alembic.ini is for
    developers running `alembic` by hand; `geninvoices migrate` needs only the package."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("version_table", VERSION_TABLE)
    cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    """The newest revision this version ships."""
    return ScriptDirectory.from_config(alembic_config(None)).get_current_head()


def current_revision(conn: Connection) -> str | None:
    context = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
    return context.get_current_revision()


def migrate(engine: Engine, *, adopt: bool = False) -> str:
    """Bring the database to the newest revision; returns what was done, in words."""
    with engine.begin() as conn:
        tables = set(inspect(conn).get_table_names())
        has_ours = VERSION_TABLE in tables
        has_whmcs = "tblclients" in tables or "tblinvoices" in tables
        cfg = alembic_config(conn)
        head = head_revision()
        if not has_ours and has_whmcs:
            return _adopt(cfg, tables, adopt, head)
        if not has_ours and adopt:
            raise MigrationRefused(
                "--adopt expects a WHMCS database, but this one has none of WHMCS's tables "
                "(tblclients, tblinvoices, ...): check GENINVOICES_DATABASE_URL, or run "
                "`geninvoices migrate` without --adopt to create a new database")
        before = current_revision(conn) if has_ours else None
        command.upgrade(cfg, "head")
    if before is None:
        return f"created a new database (WHMCS's tables and geninvoices', revision {head})"
    if before == head:
        return f"already up to date (revision {head})"
    return f"upgraded from revision {before} to {head}"


def _adopt(cfg: Config, tables: set[str], adopt: bool, head: str) -> str:
    """rules §6: WHMCS's tables stay untouched; revision 0001 is recorded as done."""
    if not adopt:
        raise MigrationRefused(
            "this database already holds WHMCS's tables: run `geninvoices migrate "
            "--adopt` to add geninvoices' own tables without touching WHMCS's")
    missing = [t for t in whmcs.WHMCS_TABLE_NAMES if t not in tables]
    if missing:
        raise MigrationRefused("cannot adopt: WHMCS tables missing: " + ", ".join(missing))
    command.stamp(cfg, WHMCS_REVISION)
    # revision 0005 records the database as adopted: its settings stay its own
    cfg.attributes["geninvoices_adopting"] = True
    command.upgrade(cfg, "head")
    return f"adopted the WHMCS database and created geninvoices' tables (revision {head})"


def add_indexes(engine: Engine) -> list[str]:
    """Create the indexes geninvoices needs on WHMCS's tables where they are missing (on
    MariaDB/MySQL with GetClients' order keys, ``models/whmcs.py:client_order_key_sql``)."""
    created = []
    with engine.begin() as conn:
        inspector = inspect(conn)
        for index in whmcs.whmcs_indexes(conn.dialect.name):
            existing = {i["name"] for i in inspector.get_indexes(index.table.name)}
            if index.name not in existing:
                index.create(conn)
                created.append(index.name)
        if conn.dialect.name == "mysql":
            created += _add_client_order_keys(conn)
    return created


def _add_client_order_keys(conn: Connection) -> list[str]:
    """Each TEXT column's order key and its index where missing, in the column's own
    character set and collation (an adopted database may not use WHMCS's)."""
    inspector = inspect(conn)
    keys = {c["name"] for c in inspector.get_columns("tblclients")}
    indexes = {i["name"] for i in inspector.get_indexes("tblclients")}
    created = []
    for column in whmcs.CLIENT_ORDER_KEY_COLUMNS:
        key, index = whmcs.client_order_key(column), whmcs.client_order_index(column)
        if key in keys and index not in indexes:  # the key without its index: add the index
            conn.exec_driver_sql(f"CREATE INDEX {index} ON tblclients ({key}, id)")
        elif key not in keys:
            charset, collation = conn.execute(text(
                "SELECT CHARACTER_SET_NAME, COLLATION_NAME FROM information_schema.COLUMNS "
                "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'tblclients' "
                "AND COLUMN_NAME = :name"), {"name": column}).one()
            conn.exec_driver_sql(whmcs.client_order_key_sql(column, charset, collation))
        else:
            continue
        created.append(index)
    return created
