"""WHMCS's TLD table, `tbldomainpricing`: what a domain's renewal price hangs on.

A domain's standard renewal price (rules §5.10) is the `tblpricing` row of type `domainrenew`
whose `relid` is the id of the domain's extension in `tbldomainpricing`. Every WHMCS database
has that table; a database geninvoices created (or adopted) before this revision does not, so
it is created only where absent, on any database. It gets no index of ours: it holds one row
per TLD sold (hundreds at most), read once per chunk of clients by lower(extension), which
no plain index on the TEXT column would serve.

The downgrade follows revision 0005's record of the database's origin (`whmcs_tables` in
`geninvoices_meta`): on a database whose WHMCS tables geninvoices created, the table is ours
to take back; on an adopted one it may hold the install's TLDs and stays.

Definitions are frozen here (not read from geninvoices.models), so this revision creates the
same table whatever the models become.

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

ORIGIN_KEY = "whmcs_tables"
NAME = "tbldomainpricing"

# MariaDB/MySQL: WHMCS's DDL as models/whmcs_schema.sql had it when this revision was written.
MYSQL_DDL = {
    NAME: """CREATE TABLE `tbldomainpricing` (
  `id` int(10) NOT NULL AUTO_INCREMENT,
  `extension` text NOT NULL,
  `dnsmanagement` int(1) NOT NULL DEFAULT '0',
  `emailforwarding` int(1) NOT NULL DEFAULT '0',
  `idprotection` int(1) NOT NULL DEFAULT '0',
  `eppcode` int(1) NOT NULL DEFAULT '0',
  `autoreg` text NOT NULL,
  `order` int(10) NOT NULL DEFAULT '0',
  `group` varchar(5) NOT NULL,
  `grace_period` int(10) NOT NULL DEFAULT '0',
  `grace_period_fee` decimal(16,2) NOT NULL DEFAULT '0.00',
  `redemption_grace_period` int(10) NOT NULL DEFAULT '0',
  `redemption_grace_period_fee` decimal(16,2) NOT NULL DEFAULT '0.00',
  `created_at` timestamp NOT NULL DEFAULT '0000-00-00 00:00:00',
  `updated_at` timestamp NOT NULL DEFAULT '0000-00-00 00:00:00',
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci""",
}


def _int(name):
    return sa.Column(name, sa.Integer, nullable=False, server_default=sa.text("0"))


def _money(name):
    return sa.Column(name, sa.Numeric(16, 2), nullable=False, server_default=sa.text("'0.00'"))


def _stamp(name):
    # no zero date-time outside MySQL: unset is NULL (see models/types.py)
    return sa.Column(name, sa.DateTime, nullable=True)


def _portable_table(metadata):
    """SQLite and PostgreSQL: the same columns, as models/whmcs.py builds them."""
    return sa.Table(
        NAME, metadata, sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("extension", sa.Text, nullable=False), _int("dnsmanagement"),
        _int("emailforwarding"), _int("idprotection"), _int("eppcode"),
        sa.Column("autoreg", sa.Text, nullable=False), _int("order"),
        sa.Column("group", sa.String(5), nullable=False), _int("grace_period"),
        _money("grace_period_fee"), _int("redemption_grace_period"),
        _money("redemption_grace_period_fee"), _stamp("created_at"), _stamp("updated_at"),
        sqlite_autoincrement=True)


def upgrade() -> None:
    bind = op.get_bind()
    if NAME in sa.inspect(bind).get_table_names():
        return
    if bind.dialect.name not in ("mysql", "mariadb"):
        _portable_table(sa.MetaData()).create(bind)
        return
    mode = bind.exec_driver_sql("SELECT @@SESSION.sql_mode").scalar()
    bind.exec_driver_sql("SET SESSION sql_mode = ''")  # the zero-date defaults
    try:
        bind.exec_driver_sql(MYSQL_DDL[NAME])
    finally:
        bind.exec_driver_sql("SET SESSION sql_mode = %s", (mode,))


def downgrade() -> None:
    bind = op.get_bind()
    meta = sa.table("geninvoices_meta", sa.column("key"), sa.column("value"))
    origin = bind.execute(sa.select(meta.c.value).where(meta.c.key == ORIGIN_KEY)).scalar()
    if origin == "created" and NAME in sa.inspect(bind).get_table_names():
        op.drop_table(NAME)
