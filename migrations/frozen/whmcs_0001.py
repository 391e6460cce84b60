"""WHMCS's tables exactly as revision 0001 created them, frozen beside that revision.

``whmcs_0001.sql`` is a copy of ``models/whmcs_schema.sql`` as it was when 0001 was written,
and this module is a copy of how the model turned it into tables then. Neither may change:
databases migrated by 0001 hold exactly this, whatever the live model (``geninvoices.models``)
says later. A later change to WHMCS's tables gets a revision of its own. This module imports
nothing from geninvoices.

On MySQL/MariaDB the DDL runs as it is (zero-date defaults, TEXT NOT NULL without a default).
On SQLite and PostgreSQL the same columns are created from ``Table`` objects, unset dates as
NULL since those databases have no zero date.
"""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import (
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    text,
)

DDL = Path(__file__).with_suffix(".sql")

_TABLE = re.compile(r"^CREATE TABLE `(\w+)` \($")
_COLUMN = re.compile(r"^\s*`(\w+)` ([a-z]+)(?:\((\d+)(?:,(\d+))?\))?( unsigned)?"
                     r"(.*?),?\s*(?:--.*)?$")

# The indexes geninvoices needed on WHMCS's tables when 0001 was written:
# (name, table, columns, mysql_length).
INDEXES = (
    ("gi_invoiceitems_type_relid_duedate", "tblinvoiceitems", ("type", "relid", "duedate"), None),
    ("gi_invoiceitems_invoiceid", "tblinvoiceitems", ("invoiceid",), None),
    ("gi_hosting_nextinvoicedate", "tblhosting", ("nextinvoicedate",), None),
    ("gi_hostingaddons_nextinvoicedate", "tblhostingaddons", ("nextinvoicedate",), None),
    ("gi_domains_nextinvoicedate", "tbldomains", ("nextinvoicedate",), None),
    ("gi_hostingaddons_hostingid", "tblhostingaddons", ("hostingid",), None),
    ("gi_cancelrequests_relid", "tblcancelrequests", ("relid",), None),
    ("gi_invoices_userid_status", "tblinvoices", ("userid", "status"), {"status": 16}),
    ("gi_invoices_status_duedate", "tblinvoices", ("status", "duedate"), {"status": 16}),
    ("gi_accounts_invoiceid", "tblaccounts", ("invoiceid",), None),
    ("gi_credit_clientid", "tblcredit", ("clientid",), None),
)


def ddl() -> str:
    return DDL.read_text("utf-8")


def statements() -> list[str]:
    """The DDL file as single statements, comments and session SETs left out."""
    lines = (line.split(" -- ")[0] for line in ddl().splitlines()
             if not line.lstrip().startswith("--"))
    return [sql for statement in "\n".join(lines).split(";")
            if (sql := statement.strip()) and not sql.upper().startswith("SET ")]


def table_names() -> list[str]:
    return [m.group(1) for line in ddl().splitlines() if (m := _TABLE.match(line))]


def _column(name: str, kind: str, size, scale, rest: str) -> Column:
    not_null = "NOT NULL" in rest
    default = re.search(r"DEFAULT '([^']*)'", rest)
    if name == "id":
        return Column("id", Integer, primary_key=True, autoincrement=True)
    if kind == "int":
        return Column(name, Integer, nullable=not not_null,
                      server_default=text(str(int(default.group(1)))) if default else None)
    if kind == "decimal":
        return Column(name, Numeric(int(size), int(scale)), nullable=not not_null,
                      server_default=text(f"'{default.group(1)}'") if default else None)
    if kind in ("text", "varchar"):
        return Column(name, Text() if kind == "text" else String(int(size)),
                      nullable=not not_null)
    if kind == "date":
        return Column(name, Date(), nullable=True)
    if kind in ("datetime", "timestamp"):
        return Column(name, DateTime(), nullable=True)
    raise ValueError(f"whmcs_0001.sql: unknown type {kind} for {name}")


def metadata() -> MetaData:
    """The 0001 tables, as created on SQLite and PostgreSQL."""
    meta = MetaData()
    table_name, columns = None, []
    for line in ddl().splitlines():
        if match := _TABLE.match(line):
            table_name, columns = match.group(1), []
        elif table_name and line.startswith(")"):
            primary = any(c.primary_key for c in columns)
            Table(table_name, meta, *columns, sqlite_autoincrement=primary)
            table_name = None
        elif table_name and (match := _COLUMN.match(line)):
            columns.append(_column(*match.group(1, 2, 3, 4), match.group(6)))
        elif table_name and "UNIQUE KEY" in line:
            columns[0].unique = True  # tblconfiguration.setting, its only key
    return meta


def indexes(meta: MetaData) -> list[Index]:
    """The 0001 indexes on ``meta``'s tables, created after every table."""
    return [Index(name, *(meta.tables[table].c[c] for c in columns),
                  **({"mysql_length": length} if length else {}))
            for name, table, columns, length in INDEXES]
