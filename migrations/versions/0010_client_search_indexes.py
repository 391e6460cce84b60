"""Indexes for GetClients' search: a case-insensitive prefix match on a client's columns.

GetClients' `search` (rules §11) matches clients whose email, first name, last name, company
name or full name starts with the term, ignoring case. Without an index each call read the
whole of `tblclients`: 68 ms (email) and 86 ms (name) at p95 on 100,000 clients on SQLite,
over issue 13's 50 ms. The search is one index-friendly prefix match per column (a UNION), and
each column gets the index its backend's case-insensitive match can use:

- PostgreSQL: `lower(col) LIKE lower('term%')` uses an expression index on `lower(col)` with
  `text_pattern_ops` (the pattern operator class: a LIKE prefix is a range whatever the
  database's collation);
- SQLite: `col LIKE 'term%'` ignores ASCII case (`case_sensitive_like` off) and uses an index
  on the column in the NOCASE collation;
- MariaDB/MySQL: WHMCS's collation (`utf8mb4_unicode_ci`) already ignores case, so `LIKE
  'term%'` uses a plain index; these are TEXT columns, so only their first 64 characters are
  indexed (the rest is checked on the row).

The full name needs no index of its own: a full name starting with "Ann Smi" has a first name
starting with "Ann" (the term up to its first space), so that arm narrows by the first name's
index.

As revision 0007's: created on a database whose WHMCS tables geninvoices created (revision
0005's `whmcs_tables` record); an adopted WHMCS database gets them only from `geninvoices
migrate --add-indexes`, by the same names (models/whmcs.py:client_search_indexes, which
this revision freezes). Only where missing, by name, so running twice or after
`--add-indexes` does nothing.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

ORIGIN_KEY = "whmcs_tables"
TABLE = "tblclients"
COLUMNS = ("email", "firstname", "lastname", "companyname")
MYSQL_PREFIX = 64


def index_name(column: str) -> str:
    return f"gi_clients_{column}_search"


def index_sql(dialect: str, column: str) -> str:
    """The CREATE INDEX statement for ``column`` on ``dialect``, frozen here."""
    name = index_name(column)
    if dialect == "postgresql":
        return f"CREATE INDEX {name} ON {TABLE} (lower({column}) text_pattern_ops)"
    if dialect == "sqlite":
        return f"CREATE INDEX {name} ON {TABLE} ({column} COLLATE NOCASE)"
    return f"CREATE INDEX {name} ON {TABLE} ({column}({MYSQL_PREFIX}))"


def _origin(bind) -> str | None:
    meta = sa.table("geninvoices_meta", sa.column("key"), sa.column("value"))
    return bind.execute(sa.select(meta.c.value).where(meta.c.key == ORIGIN_KEY)).scalar()


def _existing(bind) -> set[str]:
    return {i["name"] for i in sa.inspect(bind).get_indexes(TABLE)}


def upgrade() -> None:
    bind = op.get_bind()
    if _origin(bind) != "created":
        return  # an adopted database: `geninvoices migrate --add-indexes`
    existing = _existing(bind)
    for column in COLUMNS:
        if index_name(column) not in existing:
            bind.exec_driver_sql(index_sql(bind.dialect.name, column))


def downgrade() -> None:
    bind = op.get_bind()
    if _origin(bind) != "created":
        return  # on an adopted database the operator's --add-indexes made them: they stay
    existing = _existing(bind)
    for column in COLUMNS:
        if index_name(column) in existing:
            op.drop_index(index_name(column), table_name=TABLE)
