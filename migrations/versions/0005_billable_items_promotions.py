"""WHMCS's billable items and promotions; the default settings a fresh database holds.

Every WHMCS database has `tblbillableitems` and `tblpromotions`; a database geninvoices
created (or adopted) before this revision may not, so they are created only where absent.
Whether the database's WHMCS tables are geninvoices' own ("created") or an adopted WHMCS
install's ("adopted") is recorded once in `geninvoices_meta` under `whmcs_tables`:
`geninvoices migrate --adopt` says so through the Alembic config (attribute
`geninvoices_adopting`); otherwise a database holding any `tbl*` table geninvoices never
creates (a real WHMCS install has a hundred: tblorders, tbltickets, ...) is adopted.
On a "created" database only: the indexes of rules §6 on WHMCS tables, and WHMCS's default
for every setting the engine reads (missing keys only, never over a value already set), so
that GetConfigurationValue reports what the engine uses. An adopted database keeps its own
settings and gets indexes only from `geninvoices migrate --add-indexes`.

Definitions are frozen here (not read from geninvoices.models), so this revision creates the
same tables whatever the models become.

Revision ID: 0005
Revises: 0004
"""
import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

ORIGIN_KEY = "whmcs_tables"
ADOPTING = "geninvoices_adopting"

# The WHMCS tables geninvoices creates on a fresh database (revisions 0001 and 0005).
OWN_WHMCS_TABLES = {
    "tblclients", "tblcurrencies", "tblproducts", "tblpricing", "tblhosting", "tbladdons",
    "tblhostingaddons", "tbldomains", "tblinvoices", "tblinvoiceitems", "tblaccounts",
    "tblcredit", "tbltax", "tblconfiguration", "tblcancelrequests", "tbladmins",
    "tblbillableitems", "tblpromotions",
}

# MariaDB/MySQL: WHMCS's DDL as models/whmcs_schema.sql had it when this revision was written
# (NOT NULL text columns without defaults, zero-date defaults, as a real install has them).
MYSQL_DDL = {
    "tblbillableitems": """CREATE TABLE `tblbillableitems` (
  `id` int(10) NOT NULL AUTO_INCREMENT,
  `userid` int(10) NOT NULL DEFAULT '0',
  `description` text NOT NULL,
  `hours` decimal(5,1) NOT NULL DEFAULT '0.0',
  `amount` decimal(16,2) NOT NULL DEFAULT '0.00',
  `recur` int(10) NOT NULL DEFAULT '0',
  `recurcycle` text NOT NULL,
  `recurfor` int(10) NOT NULL DEFAULT '0',
  `invoiceaction` int(10) NOT NULL DEFAULT '0',
  `unit` int(10) NOT NULL DEFAULT '0',
  `duedate` date NOT NULL DEFAULT '0000-00-00',
  `invoicecount` int(10) NOT NULL DEFAULT '0',
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci""",
    "tblpromotions": """CREATE TABLE `tblpromotions` (
  `id` int(10) NOT NULL AUTO_INCREMENT,
  `code` text NOT NULL,
  `type` text NOT NULL,
  `recurring` int(1) DEFAULT NULL,
  `value` decimal(16,2) NOT NULL DEFAULT '0.00',
  `cycles` text NOT NULL,
  `appliesto` text NOT NULL,
  `requires` text NOT NULL,
  `requiresexisting` int(1) NOT NULL DEFAULT '0',
  `startdate` date NOT NULL DEFAULT '0000-00-00',
  `expirationdate` date DEFAULT NULL,
  `maxuses` int(10) NOT NULL DEFAULT '0',
  `uses` int(10) NOT NULL DEFAULT '0',
  `lifetimepromo` int(1) NOT NULL DEFAULT '0',
  `applyonce` int(1) NOT NULL DEFAULT '0',
  `newsignups` int(1) NOT NULL DEFAULT '0',
  `existingclient` int(1) NOT NULL DEFAULT '0',
  `onceperclient` int(1) NOT NULL DEFAULT '0',
  `recurfor` int(10) NOT NULL DEFAULT '0',
  `upgrades` int(1) NOT NULL DEFAULT '0',
  `upgradeconfig` text NOT NULL,
  `notes` text NOT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci""",
}


def _int(name, *, nullable=False):
    return sa.Column(name, sa.Integer, nullable=nullable,
                     server_default=None if nullable else sa.text("0"))


def _money(name, precision=16, scale=2):
    zero = "0." + "0" * scale
    return sa.Column(name, sa.Numeric(precision, scale), nullable=False,
                     server_default=sa.text(f"'{zero}'"))


def _text(name):
    return sa.Column(name, sa.Text, nullable=False)


def _date(name):
    # no zero date outside MySQL: unset is NULL (see models/types.py)
    return sa.Column(name, sa.Date, nullable=True)


def _id():
    return sa.Column("id", sa.Integer, primary_key=True, autoincrement=True)


def _portable_tables(metadata):
    """SQLite and PostgreSQL: the same columns, as models/whmcs.py builds them."""
    return {
        "tblbillableitems": sa.Table(
            "tblbillableitems", metadata, _id(), _int("userid"), _text("description"),
            _money("hours", 5, 1), _money("amount"), _int("recur"), _text("recurcycle"),
            _int("recurfor"), _int("invoiceaction"), _int("unit"), _date("duedate"),
            _int("invoicecount"), sqlite_autoincrement=True),
        "tblpromotions": sa.Table(
            "tblpromotions", metadata, _id(), _text("code"), _text("type"),
            _int("recurring", nullable=True), _money("value"), _text("cycles"),
            _text("appliesto"), _text("requires"), _int("requiresexisting"), _date("startdate"),
            _date("expirationdate"), _int("maxuses"), _int("uses"), _int("lifetimepromo"),
            _int("applyonce"), _int("newsignups"), _int("existingclient"),
            _int("onceperclient"), _int("recurfor"), _int("upgrades"), _text("upgradeconfig"),
            _text("notes"), sqlite_autoincrement=True),
    }


# (name, table, columns, tables it needs created by geninvoices): models/whmcs.py's
# billable_item_indexes() as they were when this revision was written.
INDEXES = [
    ("gi_billableitems_invoiceaction_duedate", "tblbillableitems", ["invoiceaction", "duedate"]),
    ("gi_billableitems_userid_invoiceaction", "tblbillableitems", ["userid", "invoiceaction"]),
    ("gi_pricing_type_relid_currency", "tblpricing", ["type", "relid", "currency"]),
]

# WHMCS's default for every setting the engine reads (docs.whmcs.com where it gives one;
# otherwise the value that means what the engine does when the setting is absent). A copy
# of geninvoices.models.defaults.DEFAULT_SETTINGS as it was when this revision was written.
DEFAULT_SETTINGS = {
    "DateFormat": "DD/MM/YYYY",
    "CreateInvoiceDaysBefore": "14",
    "CreateInvoiceDaysBeforeMonthly": "",
    "CreateInvoiceDaysBeforeQuarterly": "",
    "CreateInvoiceDaysBeforeSemiAnnually": "",
    "CreateInvoiceDaysBeforeAnnually": "",
    "CreateInvoiceDaysBeforeBiennially": "",
    "CreateInvoiceDaysBeforeTriennially": "",
    "CreateDomainInvoiceDaysBefore": "",
    "ContinuousInvoiceGeneration": "",
    "NoAutoApplyCredit": "",
    "TaxEnabled": "",
    "TaxType": "Exclusive",
    "TaxDomains": "",
    "TaxBillableItems": "on",
    "TaxL2Compound": "",
    "TaxCustomInvoiceNumbering": "",
    "TaxCustomInvoiceNumberFormat": "{NUMBER}",
    "TaxNextCustomInvoiceNumber": "1",
    "SequentialInvoiceNumbering": "",
    "SequentialInvoiceNumberFormat": "{NUMBER}",
    "SequentialInvoiceNumberValue": "1",
}


def upgrade() -> None:
    bind = op.get_bind()
    existing = set(sa.inspect(bind).get_table_names())
    origin = _origin(bind, existing)
    created = [name for name in MYSQL_DDL if name not in existing]
    _create_tables(bind, created)
    inspector = sa.inspect(bind)
    for name, table, columns in INDEXES:
        ours = origin == "created" or table in created
        if ours and name not in {i["name"] for i in inspector.get_indexes(table)}:
            op.create_index(name, table, columns)
    if origin == "created":
        _seed_settings(bind)


def _origin(bind, existing: set[str]) -> str:
    meta = sa.table("geninvoices_meta", sa.column("key"), sa.column("value"))
    found = bind.execute(sa.select(meta.c.value).where(meta.c.key == ORIGIN_KEY)).scalar()
    if found:
        return found
    config = op.get_context().config
    adopting = bool(config is not None and config.attributes.get(ADOPTING))
    foreign = any(t.startswith("tbl") and t not in OWN_WHMCS_TABLES for t in existing)
    origin = "adopted" if adopting or foreign else "created"
    bind.execute(sa.insert(meta).values(key=ORIGIN_KEY, value=origin))
    return origin


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


def _seed_settings(bind) -> None:
    config = sa.table("tblconfiguration", sa.column("setting"), sa.column("value"),
                      sa.column("created_at"), sa.column("updated_at"))
    present = set(bind.execute(sa.select(config.c.setting)).scalars())
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    rows = [{"setting": k, "value": v, "created_at": now, "updated_at": now}
            for k, v in DEFAULT_SETTINGS.items() if k not in present]
    if rows:
        bind.execute(sa.insert(config), rows)


def downgrade() -> None:
    # On a database whose WHMCS tables we created, the two tables are ours to take back; on
    # an adopted one they may hold the install's data, and only the marker goes.
    bind = op.get_bind()
    meta = sa.table("geninvoices_meta", sa.column("key"), sa.column("value"))
    origin = bind.execute(sa.select(meta.c.value).where(meta.c.key == ORIGIN_KEY)).scalar()
    if origin == "created":
        existing = set(sa.inspect(bind).get_table_names())
        for name in MYSQL_DDL:
            if name in existing:
                op.drop_table(name)
    bind.execute(sa.delete(meta).where(meta.c.key == ORIGIN_KEY))
