"""WHMCS's own tables, defined by the DDL file beside this module.

``whmcs_schema.sql`` is WHMCS's schema as public sources show it (see its header); it is the
one definition of these tables. On MySQL/MariaDB a fresh database holds it as it is (NOT NULL
text columns without defaults, zero-date defaults: the same strict-mode traps a real WHMCS
database sets). On SQLite and PostgreSQL the same columns are described by the ``Table``
objects built here, with unset dates as NULL since those databases have no zero
date: a date column the DDL makes NOT NULL is nullable here, and its ``info`` says
``MYSQL_NOT_NULL``, how it stands on MySQL/MariaDB. Every NOT NULL column gets a Python-side
default, so an INSERT that names only the columns it cares about still fills the rest, as WHMCS
itself does.

A NOT NULL text column (WHMCS gives none a default) has the server default ``''`` on a
database whose WHMCS tables geninvoices created (revision 0008, rules §6), so a plain SQL
INSERT naming only the columns it knows works there too; its ``info`` says ``FRESH_DEFAULT``,
since an adopted WHMCS database keeps its own definition, without that default.

Revision 0001 created the tables from a frozen copy of this file (``migrations/frozen/``), so
editing it changes no old revision: a change here needs a revision of its own, and
``tests/test_schema.py`` fails until the migrated schema matches again.
"""

from __future__ import annotations

import re
from decimal import Decimal
from importlib import resources

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    func,
    text,
)

from .types import WhmcsDate, WhmcsDateTime, WhmcsTimestamp

metadata = MetaData()

# Column.info key: NOT NULL on MySQL/MariaDB (unset is the zero date), nullable elsewhere.
MYSQL_NOT_NULL = "mysql_not_null"
# Column.info key: this server default exists only where geninvoices created WHMCS's tables.
FRESH_DEFAULT = "fresh_default"

_TABLE = re.compile(r"^CREATE TABLE `(\w+)` \($")
_COLUMN = re.compile(
    r"^\s*`(\w+)` ([a-z]+)(?:\((\d+)(?:,(\d+))?\))?( unsigned)?(.*?),?\s*(?:--.*)?$")


def schema_sql() -> str:
    return resources.files(__package__).joinpath("whmcs_schema.sql").read_text("utf-8")


def schema_statements() -> list[str]:
    """The DDL file as single statements, comments and session SETs left out."""
    lines = (line.split(" -- ")[0] for line in schema_sql().splitlines()
             if not line.lstrip().startswith("--"))
    return [sql for statement in "\n".join(lines).split(";")
            if (sql := statement.strip()) and not sql.upper().startswith("SET ")]


def _column(name: str, kind: str, size, scale, rest: str) -> Column:
    not_null = "NOT NULL" in rest
    default = re.search(r"DEFAULT '([^']*)'", rest)
    if name == "id":
        return Column("id", Integer, primary_key=True, autoincrement=True)
    if kind in ("int", "bigint"):
        value = int(default.group(1)) if default else None
        return Column(name, BigInteger if kind == "bigint" else Integer, nullable=not not_null,
                      default=value if not_null else None,
                      server_default=text(str(value)) if default else None)
    if kind == "decimal":
        value = Decimal(default.group(1)) if default else None
        return Column(name, Numeric(int(size), int(scale), asdecimal=True), nullable=not not_null,
                      default=value if not_null else None,
                      server_default=text(f"'{value}'") if default else None)
    if kind in ("text", "varchar"):
        type_ = Text() if kind == "text" else String(int(size))
        if not not_null:
            return Column(name, type_, nullable=True)
        return Column(name, type_, nullable=False, default="", server_default=text("''"),
                      info={FRESH_DEFAULT: True})
    zero_date = {MYSQL_NOT_NULL: True} if not_null else {}
    if kind == "date":
        return Column(name, WhmcsDate(), nullable=True, info=zero_date)
    if kind == "datetime":
        return Column(name, WhmcsDateTime(), nullable=True, info=zero_date)
    if kind == "timestamp":
        return Column(name, WhmcsTimestamp(), nullable=True, info=zero_date)
    raise ValueError(f"whmcs_schema.sql: unknown type {kind} for {name}")


def _load() -> None:
    table_name, columns = None, []
    for line in schema_sql().splitlines():
        if match := _TABLE.match(line):
            table_name, columns = match.group(1), []
        elif table_name and line.startswith(")"):
            primary = any(c.primary_key for c in columns)
            Table(table_name, metadata, *columns, sqlite_autoincrement=primary)
            table_name = None
        elif table_name and (match := _COLUMN.match(line)):
            columns.append(_column(*match.group(1, 2, 3, 4), match.group(6)))
        elif table_name and "UNIQUE KEY" in line:
            columns[0].unique = True  # tblconfiguration.setting, its only key


_load()

t = metadata.tables
tblclients = t["tblclients"]
tblcurrencies = t["tblcurrencies"]
tblproducts = t["tblproducts"]
tblpricing = t["tblpricing"]
tblhosting = t["tblhosting"]
tbladdons = t["tbladdons"]
tblhostingaddons = t["tblhostingaddons"]
tbldomains = t["tbldomains"]
tblinvoices = t["tblinvoices"]
tblinvoiceitems = t["tblinvoiceitems"]
tblaccounts = t["tblaccounts"]
tblcredit = t["tblcredit"]
tbltax = t["tbltax"]
tblconfiguration = t["tblconfiguration"]
tblcancelrequests = t["tblcancelrequests"]
tbladmins = t["tbladmins"]
tblbillableitems = t["tblbillableitems"]
tblpromotions = t["tblpromotions"]
tbldomainpricing = t["tbldomainpricing"]
tblproductgroups = t["tblproductgroups"]
tblpaymentgateways = t["tblpaymentgateways"]
tblorders = t["tblorders"]
del t

# Tables geninvoices created with a revision after 0001 (0005: billable items and promotions;
# 0006: the TLDs a domain's renewal price hangs on; 0007: product groups, payment gateways and
# orders): every WHMCS database has them, but a database geninvoices created or adopted before
# may not. Those revisions create them where they are absent, so adoption does not require them.
LATER_TABLE_NAMES = ("tblbillableitems", "tblpromotions", "tbldomainpricing",
                     "tblproductgroups", "tblpaymentgateways", "tblorders")
# What `migrate --adopt` requires of a WHMCS database.
WHMCS_TABLE_NAMES = tuple(name for name in metadata.tables if name not in LATER_TABLE_NAMES)

# Indexes geninvoices needs on WHMCS's tables: created with the tables on a fresh database,
# and on an adopted one only by `geninvoices migrate --add-indexes` (the README says why).
# They are not attached to the Table objects, so an adopted database is never touched by
# accident; `migrations` and `--add-indexes` both create them from this list.
def _detached(indexes: list[Index]) -> list[Index]:
    """Fresh Index objects, detached again from their tables so that a later
    ``metadata.create_all`` or an adopted database never picks them up by accident."""
    for index in indexes:
        index.table.indexes.discard(index)
    return indexes


def billable_item_indexes() -> list[Index]:
    """Revision 0005's indexes (it freezes their definitions; keep the two in step)."""
    return _detached([
        # the run's scan for what is due: nextcron/duedate/recur items by due date
        Index("gi_billableitems_invoiceaction_duedate", tblbillableitems.c.invoiceaction,
              tblbillableitems.c.duedate),
        # one client's items (whole-client scans, nextinvoice items riding on an invoice)
        Index("gi_billableitems_userid_invoiceaction", tblbillableitems.c.userid,
              tblbillableitems.c.invoiceaction),
        # a promotion's standard price: the product's (or domain's) row per currency
        Index("gi_pricing_type_relid_currency", tblpricing.c.type, tblpricing.c.relid,
              tblpricing.c.currency),
    ])


def order_indexes() -> list[Index]:
    """Revision 0007's indexes (it freezes their definitions; keep the two in step)."""
    return _detached([
        # GetOrders: one client's orders, an order by its number
        Index("gi_orders_userid", tblorders.c.userid),
        Index("gi_orders_ordernum", tblorders.c.ordernum),
        # GetClientsProducts / GetClientsAddons / GetClientsDomains: one client's items
        Index("gi_hosting_userid", tblhosting.c.userid),
        Index("gi_hostingaddons_userid", tblhostingaddons.c.userid),
        Index("gi_domains_userid", tbldomains.c.userid),
    ])


def listing_indexes() -> list[Index]:
    """Revision 0012's indexes (it freezes their definitions; keep the two in step)."""
    return _detached([
        # GetOrders: a page's line items, by the orders they belong to
        Index("gi_hosting_orderid", tblhosting.c.orderid),
        Index("gi_hostingaddons_orderid", tblhostingaddons.c.orderid),
        Index("gi_domains_orderid", tbldomains.c.orderid),
        # GetOrders and GetClients by status: the count, and the page in id order
        Index("gi_orders_status_id", tblorders.c.status, tblorders.c.id,
              mysql_length={"status": 16}),
        Index("gi_clients_status_id", tblclients.c.status, tblclients.c.id),
    ])


# GetClients' search (rules §11): a case-insensitive prefix match on each of these columns.
CLIENT_SEARCH_COLUMNS = ("email", "firstname", "lastname", "companyname")
# MariaDB/MySQL index only a prefix of a TEXT column; 64 characters tell clients apart.
CLIENT_SEARCH_PREFIX = 64


def client_search_indexes(dialect: str) -> list[Index]:
    """Revision 0010's indexes (it freezes their definitions; keep the two in step), one per
    column of ``CLIENT_SEARCH_COLUMNS``, each of the kind its backend's case-insensitive
    prefix match can use: PostgreSQL ``lower(col) LIKE lower('term%')`` an expression index
    with ``text_pattern_ops``; SQLite ``col LIKE 'term%'`` (case-insensitive for ASCII) an
    index in the NOCASE collation; MariaDB/MySQL, whose collation already ignores case, a plain
    index on the column's first characters."""
    indexes = []
    for name in CLIENT_SEARCH_COLUMNS:
        column, index_name = tblclients.c[name], f"gi_clients_{name}_search"
        if dialect == "postgresql":
            lowered = func.lower(column).label(f"{name}_lower")
            indexes.append(Index(index_name, lowered,
                                 postgresql_ops={f"{name}_lower": "text_pattern_ops"}))
        elif dialect == "sqlite":
            indexes.append(Index(index_name, column.collate("NOCASE")))
        else:
            indexes.append(Index(index_name, column,
                                 mysql_length={name: CLIENT_SEARCH_PREFIX}))
    return _detached(indexes)


def read_indexes(dialect: str) -> list[Index]:
    """Revision 0013's indexes (it freezes their definitions; keep the two in step)."""
    indexes = [
        # GetClientsProducts by domain (TEXT on MariaDB/MySQL: its first 64 characters)
        Index("gi_hosting_domain", tblhosting.c.domain, mysql_length={"domain": 64}),
        # GetClientsProducts by product: the count, and the page in id order
        Index("gi_hosting_packageid", tblhosting.c.packageid),
    ]
    if dialect == "mysql":
        # InnoDB keeps a table's rows in its primary key, so skipping clients in id order
        # (a deep page of GetClients) read whole rows; this index holds the ids alone
        indexes.append(Index("gi_clients_id", tblclients.c.id))
    return _detached(indexes)


# GetClients in the order of a TEXT column on MariaDB/MySQL (rules §11): no index can give
# the order of a TEXT column there, so each of these gets a generated, invisible column
# holding its first 64 characters in the column's own collation, indexed with the id
# (revision 0013). The other backends index nothing for it: they sort 100,000 rows in time.
CLIENT_ORDER_KEY_COLUMNS = ("email", "firstname", "lastname", "companyname")
CLIENT_ORDER_KEY_LENGTH = 64


def client_order_key(column: str) -> str:
    """The generated column holding the first characters of ``column``."""
    return f"gi_{column}_key"


def client_order_index(column: str) -> str:
    return f"gi_clients_{column}_order"


def client_order_key_sql(column: str, charset: str, collation: str) -> str:
    """MariaDB/MySQL: the ALTER TABLE that adds ``column``'s key and its index; ``charset``
    and ``collation`` are the column's own, so the key sorts as the column does. INVISIBLE:
    ``SELECT *`` and an INSERT without a column list (WHMCS's or anyone's) do not see it."""
    key, length = client_order_key(column), CLIENT_ORDER_KEY_LENGTH
    return (f"ALTER TABLE tblclients ADD COLUMN {key} VARCHAR({length}) CHARACTER SET "
            f"{charset} COLLATE {collation} AS (LEFT({column}, {length})) VIRTUAL INVISIBLE, "
            f"ADD INDEX {client_order_index(column)} ({key}, id)")


def whmcs_indexes(dialect: str) -> list[Index]:
    """Every index geninvoices puts on WHMCS's tables on ``dialect``, detached (see
    ``_detached``)."""
    return _detached([
        # "already billed": a line of this type and relid for this due date; the date
        # first, so a run's new lines land together at the index's end (revision 0016)
        Index("gi_invoiceitems_duedate_type_relid", tblinvoiceitems.c.duedate,
              tblinvoiceitems.c.type, tblinvoiceitems.c.relid),
        Index("gi_invoiceitems_invoiceid", tblinvoiceitems.c.invoiceid),
        # what is due: the scans by next invoice date
        Index("gi_hosting_nextinvoicedate", tblhosting.c.nextinvoicedate),
        Index("gi_hostingaddons_nextinvoicedate", tblhostingaddons.c.nextinvoicedate),
        Index("gi_domains_nextinvoicedate", tbldomains.c.nextinvoicedate),
        Index("gi_hostingaddons_hostingid", tblhostingaddons.c.hostingid),
        Index("gi_cancelrequests_relid", tblcancelrequests.c.relid),
        # read-back: GetInvoices by client and status, payments by invoice
        Index("gi_invoices_userid_status", tblinvoices.c.userid, tblinvoices.c.status,
              mysql_length={"status": 16}),
        Index("gi_invoices_status_duedate", tblinvoices.c.status, tblinvoices.c.duedate,
              mysql_length={"status": 16}),
        Index("gi_accounts_invoiceid", tblaccounts.c.invoiceid),
        Index("gi_credit_clientid", tblcredit.c.clientid),
        *billable_item_indexes(),
        *order_indexes(),
        *client_search_indexes(dialect),
        *listing_indexes(),
        *read_indexes(dialect),
    ])
