"""The ledger's unique key in period order, and billable items' periods by item.

The ledger's unique key was (kind, relid, period start): a run's new claims, one per item,
landed next to each item's older periods, on a different index page per item. On a database
with years of history every chunk of a run rewrote nearly every page of that index (SQLite
wrote each page into its log once per chunk; MariaDB read them through its buffer pool), so
a run's time grew with the history held. The same three columns, period start first, make
the same uniqueness, and a run's claims, all for the periods it is billing now, land
together at the index's newest end.

Lookups by item alone no longer go through that key, and two needed one:

- rescheduling (rules §14.3) now steps from period to period through the whole key, and
  looks for a period around the new date within one cycle before it;
- a recurring billable item's oldest period (rules §5.9) has an index of its own on a
  generated column, ``billable_id``: the item's id on its ``Item`` rows, NULL on every other,
  so the rows a run adds for services, domains and addons go in at that index's end too.

On SQLite the table is rebuilt (a constraint cannot be altered there); its rows and ids are
kept.

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

TABLE = "geninvoices_ledger"
KEY = "geninvoices_ledger_period"
BILLABLE_INDEX = "geninvoices_ledger_billable"
BILLABLE = "CASE WHEN kind = 'Item' THEN relid END"
COLUMNS = "id, kind, relid, period_start, invoiceid, run_token, created_at"


def _ledger(name: str, key: list[str], billable: bool) -> sa.Table:
    """The ledger as it stands before (``billable`` False) or after this revision."""
    extra = [sa.Column("billable_id", sa.Integer, sa.Computed(BILLABLE))] if billable else []
    return sa.Table(
        name, sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("relid", sa.Integer, nullable=False),
        sa.Column("period_start", sa.Date, nullable=False),
        sa.Column("invoiceid", sa.Integer, nullable=False),
        sa.Column("run_token", sa.String(32), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        *extra,
        sa.UniqueConstraint(*key, name=KEY),
        sqlite_autoincrement=True,
    )


def _rebuild_sqlite(key: list[str], billable: bool) -> None:
    """SQLite: a new table of the wanted shape, the rows copied with their ids, then renamed."""
    new = _ledger(f"{TABLE}_new", key, billable)
    new.create(op.get_bind())
    op.execute(f"INSERT INTO {TABLE}_new ({COLUMNS}) SELECT {COLUMNS} FROM {TABLE}")
    op.drop_table(TABLE)
    op.rename_table(f"{TABLE}_new", TABLE)
    op.create_index("geninvoices_ledger_run_token", TABLE, ["run_token"])


def _rekey(key: list[str]) -> None:
    op.drop_constraint(KEY, TABLE, type_="unique")
    op.create_unique_constraint(KEY, TABLE, key)


def upgrade() -> None:
    key = ["period_start", "kind", "relid"]
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite(key, billable=True)
    else:
        _rekey(key)
        # stored on PostgreSQL (before 18 it has no virtual columns), virtual on MariaDB
        persisted = True if op.get_bind().dialect.name == "postgresql" else None
        op.add_column(TABLE, sa.Column("billable_id", sa.Integer,
                                       sa.Computed(BILLABLE, persisted=persisted)))
    op.create_index(BILLABLE_INDEX, TABLE, ["billable_id", "period_start"])


def downgrade() -> None:
    key = ["kind", "relid", "period_start"]
    op.drop_index(BILLABLE_INDEX, TABLE)
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite(key, billable=False)
    else:
        op.drop_column(TABLE, "billable_id")
        _rekey(key)
