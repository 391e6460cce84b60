"""The migrated schema equals the models, on every backend, and old revisions are frozen.

The comparison is Alembic's autogenerate (``compare_metadata``) with ``compare_type`` and
``compare_server_default`` on: it reports tables, columns, types, nullability, server defaults,
indexes, unique constraints and foreign keys that differ. Only Alembic's own version table is
left out. No type normalisation is needed: Alembic's MySQL comparison already takes
``tinyint(1)`` for Boolean and ignores display widths and ``unsigned`` (``int(10) unsigned`` is
an Integer), so no ``compare_type`` hook is installed.

"The models" for a fresh database are WHMCS's tables (``models.whmcs``) with the indexes
geninvoices puts on them (``whmcs_indexes(dialect)``, kept off the tables on purpose) plus our own
tables (``models.own``). On MySQL/MariaDB a date column the model marks ``MYSQL_NOT_NULL`` is
NOT NULL with the zero date as its default, as WHMCS's DDL makes it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import (
    Column,
    Computed,
    DefaultClause,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    inspect,
    text,
)
from sqlalchemy.sql.visitors import replacement_traverse

from geninvoices.db import make_engine
from geninvoices.migrate import VERSION_TABLE, add_indexes, alembic_config, migrate
from geninvoices.models import own, whmcs
from geninvoices.models.types import ZERO_DATE, ZERO_DATETIME, WhmcsDate
from tests.conftest import BACKENDS, load_whmcs_schema, new_database_url

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"

# What revision 0001 created when it was written, spelled out here rather than read from any
# code, so that a change to the model or to the frozen copy shows.
TABLES_0001 = {
    "tblcurrencies", "tblclients", "tblproducts", "tblpricing", "tblhosting", "tbladdons",
    "tblhostingaddons", "tbldomains", "tblinvoices", "tblinvoiceitems", "tblaccounts",
    "tblcredit", "tbltax", "tblconfiguration", "tblcancelrequests", "tbladmins",
}
INDEXES_0001 = {
    "gi_invoiceitems_type_relid_duedate", "gi_invoiceitems_invoiceid",
    "gi_hosting_nextinvoicedate", "gi_hostingaddons_nextinvoicedate",
    "gi_domains_nextinvoicedate", "gi_hostingaddons_hostingid", "gi_cancelrequests_relid",
    "gi_invoices_userid_status", "gi_invoices_status_duedate", "gi_accounts_invoiceid",
    "gi_credit_clientid",
}


def expected_schema(dialect: str, *, adopted: bool = False) -> MetaData:
    """A fresh database as the models describe it on ``dialect``, in a MetaData of its own;
    ``adopted``: a WHMCS install's, whose text columns have no default of ours."""
    target = MetaData()
    for table in [*whmcs.metadata.tables.values(), *own.metadata.tables.values()]:
        table.to_metadata(target)
    for index in whmcs.whmcs_indexes(dialect):
        table = target.tables[index.table.name]
        Index(index.name, *(_on(table, e) for e in index.expressions), **index.dialect_kwargs)
    if dialect in ("mysql", "mariadb"):  # GetClients' order keys (revision 0013)
        clients = target.tables["tblclients"]
        for name in whmcs.CLIENT_ORDER_KEY_COLUMNS:
            key = Column(whmcs.client_order_key(name), String(whmcs.CLIENT_ORDER_KEY_LENGTH),
                         Computed(f"left(`{name}`,{whmcs.CLIENT_ORDER_KEY_LENGTH})",
                                  persisted=False))
            clients.append_column(key)
            Index(whmcs.client_order_index(name), key, clients.c.id)
    if dialect == "postgresql":  # the ledger's billable_id as PostgreSQL spells it back
        ledger = target.tables[own.ledger.name]
        ledger.c.billable_id.computed.sqltext = text(
            "CASE WHEN ((kind)::text = 'Item'::text) THEN relid ELSE NULL::integer END")
    for column in (c for t in target.tables.values() for c in t.columns):
        if adopted and column.info.get(whmcs.FRESH_DEFAULT):
            column.server_default = None
    if dialect in ("mysql", "mariadb"):
        for table in target.tables.values():
            for column in table.columns:
                if column.info.get(whmcs.MYSQL_NOT_NULL):
                    column.nullable = False
                    column.server_default = DefaultClause(text(f"'{_zero(column)}'"))
    return target


def _on(table: Table, expression):
    """An index's column or expression (``lower(email)``) over ``table``'s own columns."""
    return replacement_traverse(
        expression, {}, lambda e: table.c[e.name] if isinstance(e, Column) else None)


def _zero(column: Column) -> str:
    return ZERO_DATE if isinstance(column.type, WhmcsDate) else ZERO_DATETIME


def _not_alembic_version(name, type_, parent_names) -> bool:
    return not (type_ == "table" and name == VERSION_TABLE)


def schema_diff(engine, target: MetaData) -> list:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={
            "compare_type": True, "compare_server_default": True,
            "include_name": _not_alembic_version})
        return compare_metadata(context, target)


def what_differs(diff: list) -> set[tuple]:
    """(operation, table, column or index or constraint) for each difference found."""
    found = set()
    for entry in diff:
        for op in entry if isinstance(entry, list) else [entry]:  # modify_* come in lists
            kind, subject = op[0], op[1]
            if kind.startswith("modify_"):
                found.add((kind, op[2], op[3]))
            elif kind.endswith("_table"):
                found.add((kind, subject.name, None))
            elif kind.endswith("_column"):
                found.add((kind, op[2], op[3].name))
            else:
                found.add((kind, subject.table.name, subject.name))
    return found


@pytest.fixture(scope="module", params=BACKENDS)
def migrated(request, server_dbs, tmp_path_factory):
    """A new database on each backend, brought to the newest revision by `geninvoices migrate`."""
    engine = make_engine(new_database_url(request.param, server_dbs, tmp_path_factory))
    migrate(engine)
    yield engine
    engine.dispose()


def test_the_migrated_schema_equals_the_models(migrated):
    assert schema_diff(migrated, expected_schema(migrated.dialect.name)) == []


def test_the_comparison_reports_drift(migrated):
    target = expected_schema(migrated.dialect.name)
    ledger, outbox = target.tables["geninvoices_ledger"], target.tables["geninvoices_outbox"]
    ledger.append_column(Column("note", String(32), nullable=True))
    Index("gi_invoices_paymethodid", target.tables["tblinvoices"].c.paymethodid)
    outbox.c.status.type = String(32)
    outbox.c.last_error.nullable = False
    target.tables["tblpricing"].c.monthly.server_default = DefaultClause(text("'-1.00'"))
    target.tables["geninvoices_payment_keys"].append_constraint(
        UniqueConstraint("invoiceid", name="geninvoices_payment_keys_invoiceid"))
    target.remove(target.tables["geninvoices_meta"])
    found = what_differs(schema_diff(migrated, target))
    assert found == {
        ("add_column", "geninvoices_ledger", "note"),
        ("add_index", "tblinvoices", "gi_invoices_paymethodid"),
        ("modify_type", "geninvoices_outbox", "status"),
        ("modify_nullable", "geninvoices_outbox", "last_error"),
        ("modify_default", "tblpricing", "monthly"),
        ("add_constraint", "geninvoices_payment_keys", "geninvoices_payment_keys_invoiceid"),
        ("remove_table", "geninvoices_meta", None),
    }


def test_an_adopted_whmcs_database_with_its_indexes_equals_the_models(server_dbs):
    # WHMCS runs on MySQL/MariaDB only: its live DDL, adopted, then `migrate --add-indexes`.
    url = server_dbs["mariadb"].create()
    load_whmcs_schema(url)
    engine = make_engine(url)
    try:
        migrate(engine, adopt=True)
        add_indexes(engine)
        assert schema_diff(engine, expected_schema(engine.dialect.name, adopted=True)) == []
    finally:
        engine.dispose()


@pytest.fixture(params=BACKENDS)
def fresh_engine(request, server_dbs, tmp_path_factory):
    engine = make_engine(new_database_url(request.param, server_dbs, tmp_path_factory))
    yield engine
    engine.dispose()


@pytest.fixture
def a_later_whmcs_table(monkeypatch):
    """The live model grown by a table, in both of its forms (Table and DDL), as a later
    version of WHMCS's schema would grow it."""
    table = Table("tblnotyet", whmcs.metadata, Column("id", Integer, primary_key=True))
    ddl = "CREATE TABLE `tblnotyet` (`id` int(10) NOT NULL AUTO_INCREMENT, PRIMARY KEY (`id`))"
    monkeypatch.setattr(whmcs, "schema_statements", lambda: [ddl])
    monkeypatch.setattr(whmcs, "WHMCS_TABLE_NAMES", (*whmcs.WHMCS_TABLE_NAMES, "tblnotyet"))
    yield table
    whmcs.metadata.remove(table)


def test_revision_0001_creates_what_it_created_when_written(fresh_engine, a_later_whmcs_table):
    with fresh_engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0001")
    inspector = inspect(fresh_engine)
    tables = set(inspector.get_table_names()) - {VERSION_TABLE}
    assert tables == TABLES_0001
    indexes = {i["name"] for t in tables for i in inspector.get_indexes(t) if not i["unique"]}
    assert indexes == INDEXES_0001


def test_the_frozen_ddl_holds_the_0001_tables():
    frozen = (MIGRATIONS / "frozen" / "whmcs_0001.sql").read_text("utf-8")
    assert {line.split("`")[1] for line in frozen.splitlines()
            if line.startswith("CREATE TABLE")} == TABLES_0001


@pytest.mark.parametrize("path", sorted([*MIGRATIONS.glob("versions/*.py"),
                                         *MIGRATIONS.glob("frozen/*.py")]),
                         ids=lambda p: p.name)
def test_a_revision_imports_nothing_from_geninvoices(path):
    # What a revision creates must not move when geninvoices' code does.
    tree = ast.parse(path.read_text("utf-8"))
    imported = [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names]
    imported += [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
    assert not [name for name in imported if name.split(".")[0] == "geninvoices"]


def test_downgrading_every_revision_leaves_no_table(fresh_engine):
    with fresh_engine.begin() as conn:
        command.upgrade(alembic_config(conn), "head")
    with fresh_engine.begin() as conn:
        command.downgrade(alembic_config(conn), "base")
    assert set(inspect(fresh_engine).get_table_names()) == {VERSION_TABLE}
