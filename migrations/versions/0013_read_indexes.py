"""An index for GetClientsProducts by domain, and GetClients' order keys on MariaDB/MySQL.

Issue 13 (every read under 50 ms at p95 on 100,000 clients) measured reads on MariaDB that
no index served:

- GetClientsProducts' `domain` filter read the whole of `tblhosting` (76 ms at p95): an index
  on `tblhosting.domain` on every backend (TEXT on MariaDB/MySQL, so its first 64 characters,
  as revision 0010's); and its `pid` filter, counted and paged by reading every service: an
  index on `tblhosting.packageid` (with the id an index holds anyway, in id order);
- a deep page of GetClients in id order skipped whole rows on MariaDB (InnoDB keeps them in
  the primary key): on MariaDB/MySQL an index on `tblclients.id`, which holds the ids alone;
- GetClients in the order of a TEXT column (`orderby` `lastname`, `firstname`, `companyname`,
  `email`) sorted every client (106 ms at p95): no index gives the order of a TEXT column
  there. Each of these columns gets a generated column (`gi_<column>_key`: its first 64
  characters, VIRTUAL, INVISIBLE so that `SELECT *` and an INSERT without a column list do
  not see it, in the column's own character set and collation) indexed with the id
  (`gi_clients_<column>_order`); GetClients finds a page's bounds in that index and sorts
  only the clients between them (rules §11). PostgreSQL and SQLite sort 100,000 clients in
  time and get nothing.

As revisions 0010 and 0012: created on a database whose WHMCS tables geninvoices created
(revision 0005's `whmcs_tables` record); an adopted WHMCS database gets them only from
`geninvoices migrate --add-indexes`, by the same names (models/whmcs.py:read_indexes and
client_order_key_sql, which this revision freezes). Only where missing, by name.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

ORIGIN_KEY = "whmcs_tables"
# (name, table, columns, MySQL prefix lengths, only on MySQL/MariaDB)
INDEXES = [
    ("gi_hosting_domain", "tblhosting", ["domain"], {"domain": 64}, False),
    ("gi_hosting_packageid", "tblhosting", ["packageid"], {}, False),
    ("gi_clients_id", "tblclients", ["id"], {}, True),
]
ORDER_KEY_COLUMNS = ("email", "firstname", "lastname", "companyname")
ORDER_KEY_LENGTH = 64


def order_key_sql(column: str, charset: str, collation: str) -> str:
    key, length = f"gi_{column}_key", ORDER_KEY_LENGTH
    return (f"ALTER TABLE tblclients ADD COLUMN {key} VARCHAR({length}) CHARACTER SET "
            f"{charset} COLLATE {collation} AS (LEFT({column}, {length})) VIRTUAL INVISIBLE, "
            f"ADD INDEX gi_clients_{column}_order ({key}, id)")


def _origin(bind) -> str | None:
    meta = sa.table("geninvoices_meta", sa.column("key"), sa.column("value"))
    return bind.execute(sa.select(meta.c.value).where(meta.c.key == ORIGIN_KEY)).scalar()


def _existing(bind, table: str) -> set[str]:
    return {i["name"] for i in sa.inspect(bind).get_indexes(table)}


def _columns(bind) -> set[str]:
    return {c["name"] for c in sa.inspect(bind).get_columns("tblclients")}


def _charset_and_collation(bind, column: str) -> tuple[str, str]:
    return tuple(bind.execute(sa.text(
        "SELECT CHARACTER_SET_NAME, COLLATION_NAME FROM information_schema.COLUMNS "
        "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'tblclients' "
        "AND COLUMN_NAME = :name"), {"name": column}).one())


def upgrade() -> None:
    bind = op.get_bind()
    if _origin(bind) != "created":
        return  # an adopted database: `geninvoices migrate --add-indexes`
    for name, table, columns, lengths, mysql_only in INDEXES:
        if mysql_only and bind.dialect.name != "mysql":
            continue
        if name not in _existing(bind, table):
            op.create_index(name, table, columns, mysql_length=lengths or None)
    if bind.dialect.name != "mysql":
        return
    for column in ORDER_KEY_COLUMNS:
        if f"gi_{column}_key" not in _columns(bind):
            bind.exec_driver_sql(order_key_sql(column, *_charset_and_collation(bind, column)))


def downgrade() -> None:
    bind = op.get_bind()
    if _origin(bind) != "created":
        return  # on an adopted database the operator's --add-indexes made them: they stay
    for name, table, *_ in INDEXES:
        if name in _existing(bind, table):
            op.drop_index(name, table_name=table)
    if bind.dialect.name != "mysql":
        return
    for column in ORDER_KEY_COLUMNS:
        index = f"gi_clients_{column}_order"
        if index in _existing(bind, "tblclients"):  # dropping the key alone would leave (id)
            op.drop_index(index, table_name="tblclients")
        if f"gi_{column}_key" in _columns(bind):
            bind.exec_driver_sql(f"ALTER TABLE tblclients DROP COLUMN gi_{column}_key")
