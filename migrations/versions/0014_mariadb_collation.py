"""On MariaDB/MySQL, geninvoices' tables in the character set and collation of WHMCS's.

WHMCS's tables carry their own (revision 0001 creates them `utf8mb4` /
`utf8mb4_unicode_ci`; an adopted database keeps whatever its WHMCS used), while the tables
later revisions create took the database's default. A database made with a plain `CREATE
DATABASE` on a server whose default differs (MariaDB 10.11: `utf8mb4_general_ci`; older
servers: `latin1`) then held two collations, and a statement comparing a column of each
failed with "Illegal mix of collations": a run on MariaDB gives the ledger's claims their
invoice ids by joining `geninvoices_ledger.kind` to `tblinvoiceitems.type`, and stopped
with "Database unavailable, please retry".

Each table geninvoices created is converted to the character set and collation of
`tblinvoiceitems.type` (WHMCS's): the `geninvoices_` tables always, and on a database
whose WHMCS tables geninvoices created (revision 0005's `whmcs_tables` record says
"created") every other table too. An adopted WHMCS database's own tables are never
touched. Only where they differ.
PostgreSQL and SQLite compare text the same way whatever created it: nothing to do.

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

ORIGIN_KEY = "whmcs_tables"
OWN_PREFIX = "geninvoices_"


def _whmcs_collation(bind) -> tuple[str, str]:
    return tuple(bind.execute(sa.text(
        "SELECT CHARACTER_SET_NAME, COLLATION_NAME FROM information_schema.COLUMNS "
        "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'tblinvoiceitems' "
        "AND COLUMN_NAME = 'type'")).one())


def _tables_to_convert(bind, collation: str) -> list[str]:
    meta = sa.table("geninvoices_meta", sa.column("key"), sa.column("value"))
    ours_all = bind.execute(sa.select(meta.c.value).where(
        meta.c.key == ORIGIN_KEY)).scalar() == "created"
    rows = bind.execute(sa.text(
        "SELECT TABLE_NAME, TABLE_COLLATION FROM information_schema.TABLES "
        "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'")).all()
    return sorted(name for name, table_collation in rows
                  if table_collation != collation and name != "alembic_version"
                  and (ours_all or name.startswith(OWN_PREFIX)))


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "mysql":
        return
    charset, collation = _whmcs_collation(bind)
    for name in _tables_to_convert(bind, collation):
        op.execute(f"ALTER TABLE `{name}` CONVERT TO CHARACTER SET {charset} "
                   f"COLLATE {collation}")


def downgrade() -> None:
    pass  # the tables keep the collation they share with WHMCS's
