"""WHMCS's product groups, payment gateways and orders; indexes for one client's reads.

Running a business on geninvoices alone (issue 13, rules §6) needs three more WHMCS tables:
`tblproductgroups` (every product belongs to a group: AddProduct requires its `gid`),
`tblpaymentgateways` (the gateways GetPaymentMethods lists, one row per gateway setting) and
`tblorders` (AddOrder's order, which the services, addons and domains it creates point at
through their `orderid`). Every WHMCS database has them; a database geninvoices created or
adopted before this revision does not, so they are created only where absent.

On a database whose WHMCS tables geninvoices created (revision 0005's `whmcs_tables` record):
one product group, so a fresh database can take AddProduct at once (WHMCS's API has no action
that adds a group), and the indexes one client's reads need (GetClientsProducts,
GetClientsDomains, GetClientsAddons, GetOrders by client on a database of 100,000 clients).
An adopted database gets the indexes only from `geninvoices migrate --add-indexes`, and the
group only if this revision created its table.

Columns: the introspection of a WHMCS 8.x database in fleio/whmcs2fleio (`whmcs_models.py`),
as `models/whmcs_schema.sql` names them. Definitions are frozen here (not read from
geninvoices.models), so this revision creates the same tables whatever the models become.

Revision ID: 0007
Revises: 0006
"""
import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

ORIGIN_KEY = "whmcs_tables"
DEFAULT_GROUP = "Default"

# MariaDB/MySQL: WHMCS's DDL as models/whmcs_schema.sql had it when this revision was written.
MYSQL_DDL = {
    "tblproductgroups": """CREATE TABLE `tblproductgroups` (
  `id` int(10) NOT NULL AUTO_INCREMENT,
  `name` text NOT NULL,
  `headline` text DEFAULT NULL,
  `tagline` text DEFAULT NULL,
  `orderfrmtpl` text NOT NULL,
  `disabledgateways` text NOT NULL,
  `hidden` int(1) NOT NULL DEFAULT '0',
  `order` int(10) NOT NULL DEFAULT '0',
  `created_at` timestamp NOT NULL DEFAULT '0000-00-00 00:00:00',
  `updated_at` timestamp NOT NULL DEFAULT '0000-00-00 00:00:00',
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci""",
    "tblpaymentgateways": """CREATE TABLE `tblpaymentgateways` (
  `id` int(10) NOT NULL AUTO_INCREMENT,
  `gateway` text NOT NULL,
  `setting` text NOT NULL,
  `value` text NOT NULL,
  `order` int(1) NOT NULL DEFAULT '0',
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci""",
    "tblorders": """CREATE TABLE `tblorders` (
  `id` int(10) NOT NULL AUTO_INCREMENT,
  `ordernum` bigint(10) NOT NULL DEFAULT '0',
  `userid` int(10) NOT NULL DEFAULT '0',
  `contactid` int(10) NOT NULL DEFAULT '0',
  `date` datetime NOT NULL DEFAULT '0000-00-00 00:00:00',
  `nameservers` text NOT NULL,
  `transfersecret` text NOT NULL,
  `renewals` text NOT NULL,
  `promocode` text NOT NULL,
  `promotype` text NOT NULL,
  `promovalue` text NOT NULL,
  `orderdata` text NOT NULL,
  `amount` decimal(16,2) NOT NULL DEFAULT '0.00',
  `paymentmethod` text NOT NULL,
  `invoiceid` int(10) NOT NULL DEFAULT '0',
  `status` text NOT NULL,
  `ipaddress` text NOT NULL,
  `fraudmodule` text NOT NULL,
  `fraudoutput` text NOT NULL,
  `notes` text NOT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci""",
}

# (name, table, columns): models/whmcs.py's order_indexes() as it was when this was written.
INDEXES = [
    ("gi_orders_userid", "tblorders", ["userid"]),
    ("gi_orders_ordernum", "tblorders", ["ordernum"]),
    ("gi_hosting_userid", "tblhosting", ["userid"]),
    ("gi_hostingaddons_userid", "tblhostingaddons", ["userid"]),
    ("gi_domains_userid", "tbldomains", ["userid"]),
]


def _int(name, *, big=False):
    kind = sa.BigInteger if big else sa.Integer
    return sa.Column(name, kind, nullable=False, server_default=sa.text("0"))


def _text(name, *, nullable=False):
    return sa.Column(name, sa.Text, nullable=nullable)


def _stamp(name):
    # no zero date-time outside MySQL: unset is NULL (see models/types.py)
    return sa.Column(name, sa.DateTime, nullable=True)


def _id():
    return sa.Column("id", sa.Integer, primary_key=True, autoincrement=True)


def _portable_tables(metadata):
    """SQLite and PostgreSQL: the same columns, as models/whmcs.py builds them."""
    return {
        "tblproductgroups": sa.Table(
            "tblproductgroups", metadata, _id(), _text("name"),
            _text("headline", nullable=True), _text("tagline", nullable=True),
            _text("orderfrmtpl"), _text("disabledgateways"), _int("hidden"), _int("order"),
            _stamp("created_at"), _stamp("updated_at"), sqlite_autoincrement=True),
        "tblpaymentgateways": sa.Table(
            "tblpaymentgateways", metadata, _id(), _text("gateway"), _text("setting"),
            _text("value"), _int("order"), sqlite_autoincrement=True),
        "tblorders": sa.Table(
            "tblorders", metadata, _id(), _int("ordernum", big=True), _int("userid"),
            _int("contactid"), _stamp("date"), _text("nameservers"), _text("transfersecret"),
            _text("renewals"), _text("promocode"), _text("promotype"), _text("promovalue"),
            _text("orderdata"),
            sa.Column("amount", sa.Numeric(16, 2), nullable=False,
                      server_default=sa.text("'0.00'")),
            _text("paymentmethod"), _int("invoiceid"), _text("status"), _text("ipaddress"),
            _text("fraudmodule"), _text("fraudoutput"), _text("notes"),
            sqlite_autoincrement=True),
    }


def _origin(bind) -> str | None:
    meta = sa.table("geninvoices_meta", sa.column("key"), sa.column("value"))
    return bind.execute(sa.select(meta.c.value).where(meta.c.key == ORIGIN_KEY)).scalar()


def _create_tables(bind, names: list[str]) -> None:
    if not names:
        return
    if bind.dialect.name in ("mysql", "mariadb"):
        mode = bind.exec_driver_sql("SELECT @@SESSION.sql_mode").scalar()
        bind.exec_driver_sql("SET SESSION sql_mode = ''")  # the zero-date defaults
        try:
            for name in names:
                bind.exec_driver_sql(MYSQL_DDL[name])
        finally:
            bind.exec_driver_sql("SET SESSION sql_mode = %s", (mode,))
        return
    tables = _portable_tables(sa.MetaData())
    for name in names:
        tables[name].create(bind)


def _seed_group(bind) -> None:
    groups = sa.table("tblproductgroups", sa.column("name"), sa.column("orderfrmtpl"),
                      sa.column("disabledgateways"), sa.column("hidden"), sa.column("order"),
                      sa.column("created_at"), sa.column("updated_at"))
    if bind.execute(sa.select(sa.func.count()).select_from(groups)).scalar():
        return
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    bind.execute(sa.insert(groups).values(
        name=DEFAULT_GROUP, orderfrmtpl="", disabledgateways="", hidden=0, order=1,
        created_at=now, updated_at=now))


def upgrade() -> None:
    bind = op.get_bind()
    existing = set(sa.inspect(bind).get_table_names())
    created = [name for name in MYSQL_DDL if name not in existing]
    _create_tables(bind, created)
    ours = _origin(bind) == "created"
    inspector = sa.inspect(bind)
    for name, table, columns in INDEXES:
        if (ours or table in created) and name not in {
                i["name"] for i in inspector.get_indexes(table)}:
            op.create_index(name, table, columns)
    if ours or "tblproductgroups" in created:
        _seed_group(bind)


def downgrade() -> None:
    # On a database whose WHMCS tables we created, the tables are ours to take back; on an
    # adopted one they hold the install's catalogue and orders, and stay.
    bind = op.get_bind()
    existing = set(sa.inspect(bind).get_table_names())
    if _origin(bind) != "created":
        return
    inspector = sa.inspect(bind)
    for name, table, _ in INDEXES:
        if table in existing and table not in MYSQL_DDL and name in {
                i["name"] for i in inspector.get_indexes(table)}:
            op.drop_index(name, table_name=table)
    for name in MYSQL_DDL:
        if name in existing:
            op.drop_table(name)
