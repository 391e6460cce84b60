"""`geninvoices migrate`: a fresh database, an adopted WHMCS database, and their indexes.

Rules §6: WHMCS's tables (revision 0001) are created only on a fresh database. A database that
already holds them but none of ours is refused until the operator says `--adopt`, which
records 0001 as done without touching WHMCS's tables and then creates only ours.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, inspect

from .errors import MigrationRefused
from .models import whmcs

ROOT = Path(__file__).resolve().parents[2]
VERSION_TABLE = "geninvoices_alembic_version"
WHMCS_REVISION = "0001"


def alembic_config(connection) -> Config:
    ini = ROOT / "alembic.ini"
    if not ini.exists():
        raise MigrationRefused(f"alembic.ini not found beside {ROOT}: install geninvoices with "
                               "`pip install -e .` from its source tree")
    cfg = Config(str(ini))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.attributes["connection"] = connection
    return cfg


def migrate(engine: Engine, *, adopt: bool = False) -> str:
    """Bring the database to the newest revision; returns what was done, in words."""
    with engine.begin() as conn:
        tables = set(inspect(conn).get_table_names())
        has_ours = VERSION_TABLE in tables
        has_whmcs = "tblclients" in tables or "tblinvoices" in tables
        cfg = alembic_config(conn)
        if not has_ours and has_whmcs:
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
            return "adopted the WHMCS database and created geninvoices' tables"
        command.upgrade(cfg, "head")
    return "database is up to date"


def add_indexes(engine: Engine) -> list[str]:
    """Create the indexes geninvoices needs on WHMCS's tables where they are missing."""
    created = []
    with engine.begin() as conn:
        inspector = inspect(conn)
        for index in whmcs.whmcs_indexes():
            existing = {i["name"] for i in inspector.get_indexes(index.table.name)}
            if index.name not in existing:
                index.create(conn)
                created.append(index.name)
    return created
