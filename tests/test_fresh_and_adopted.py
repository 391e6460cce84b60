"""Revision 0005 on every kind of database: a fresh one gets the billable-item and promotion
tables, their indexes and WHMCS's default settings; an adopted one keeps its settings; one
created or adopted by an earlier version is told apart by the marker or by its tables."""

from __future__ import annotations

import datetime as dt
import importlib.util
import re

import pytest
from alembic import command
from sqlalchemy import insert, inspect, select, text
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.schema import CreateIndex

from geninvoices.db import make_engine
from geninvoices.migrate import MIGRATIONS, add_indexes, alembic_config, migrate
from geninvoices.models import own, whmcs
from geninvoices.models.defaults import DEFAULT_SETTINGS
from tests.actions.http import Api
from tests.conftest import BACKENDS, load_whmcs_schema, new_database_url
from tests.test_cli import gi

LATER = ("tblbillableitems", "tblpromotions", "tbldomainpricing", "tblproductgroups",
         "tblpaymentgateways", "tblorders")
OPERATOR = {"DateFormat": "YYYY-MM-DD", "CompanyName": "Acme", "TaxBillableItems": ""}


def _revision(file="0005_billable_items_promotions.py"):
    path = MIGRATIONS / "versions" / file
    spec = importlib.util.spec_from_file_location("revision_" + file[:4], path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(params=BACKENDS)
def new_url(request, server_dbs, tmp_path_factory):
    return new_database_url(request.param, server_dbs, tmp_path_factory)


@pytest.fixture
def engine_of():
    engines = []

    def make(url):
        engines.append(make_engine(url))
        return engines[-1]
    yield make
    for engine in engines:
        engine.dispose()


def settings(engine) -> dict[str, str]:
    with engine.connect() as conn:
        return dict(conn.execute(select(whmcs.tblconfiguration.c.setting,
                                        whmcs.tblconfiguration.c.value)).all())


def origin(engine) -> str | None:
    with engine.connect() as conn:
        return conn.execute(select(own.meta.c.value).where(
            own.meta.c.key == "whmcs_tables")).scalar()


def index_names(engine, table: str) -> set[str]:
    return {i["name"] for i in inspect(engine).get_indexes(table)}


def whmcs_shaped(url: str, engine, *, foreign_table: bool = False) -> None:
    """A WHMCS install's tables (no geninvoices table) holding the operator's settings."""
    if engine.dialect.name == "mysql":
        load_whmcs_schema(url)
    else:
        whmcs.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(whmcs.tblconfiguration),
                     [{"setting": k, "value": v} for k, v in OPERATOR.items()])
        if foreign_table:  # one of the hundred tables a real WHMCS install has beside ours
            conn.execute(text("CREATE TABLE tbltickets (id INTEGER PRIMARY KEY)"))


def upgrade_to(engine, revision: str, *, stamp: str | None = None) -> None:
    with engine.begin() as conn:
        cfg = alembic_config(conn)
        if stamp:
            command.stamp(cfg, stamp)
        command.upgrade(cfg, revision)


def test_a_fresh_database_holds_the_tables_indexes_and_default_settings(new_url, engine_of):
    engine = engine_of(new_url)
    migrate(engine)
    tables = set(inspect(engine).get_table_names())
    assert set(LATER) <= tables
    for index in whmcs.whmcs_indexes(engine.dialect.name):
        assert index.name in index_names(engine, index.table.name)
    assert origin(engine) == "created"
    assert settings(engine) == DEFAULT_SETTINGS
    api = Api(engine)
    for key in ("DateFormat", "CreateInvoiceDaysBefore", "TaxType", "TaxBillableItems",
                "ContinuousInvoiceGeneration", "TaxCustomInvoiceNumberFormat"):
        assert api.json("GetConfigurationValue", setting=key) == {
            "result": "success", "setting": key, "value": DEFAULT_SETTINGS[key]}
    assert gi(new_url, "config", "get", "CreateInvoiceDaysBefore").stdout.strip() == "14"
    assert gi(new_url, "config", "get", "TaxBillableItems").stdout.strip() == "on"


def test_an_operators_value_survives_migrate_again(new_url, engine_of):
    engine = engine_of(new_url)
    migrate(engine)
    assert gi(new_url, "config", "set", "DateFormat", "MM/DD/YYYY").returncode == 0
    migrate(engine)
    assert settings(engine) == {**DEFAULT_SETTINGS, "DateFormat": "MM/DD/YYYY"}


def test_an_adopted_database_keeps_its_settings_and_gets_none_inserted(new_url, engine_of):
    engine = engine_of(new_url)
    whmcs_shaped(new_url, engine)
    migrate(engine, adopt=True)
    assert settings(engine) == OPERATOR
    assert origin(engine) == "adopted"
    # WHMCS's own tables get no index until --add-indexes
    assert "gi_billableitems_invoiceaction_duedate" not in index_names(engine,
                                                                       "tblbillableitems")
    assert "gi_pricing_type_relid_currency" not in index_names(engine, "tblpricing")
    assert not {n for n in index_names(engine, "tblclients") if n.startswith("gi_")}
    reply = Api(engine).json("GetConfigurationValue", setting="CreateInvoiceDaysBefore")
    assert reply == {"result": "error", "message": "Invalid setting: CreateInvoiceDaysBefore"}
    added = add_indexes(engine)
    assert {"gi_billableitems_invoiceaction_duedate", "gi_billableitems_userid_invoiceaction",
            "gi_pricing_type_relid_currency"} <= set(added)
    search = {f"gi_clients_{c}_search" for c in whmcs.CLIENT_SEARCH_COLUMNS}
    assert search <= set(added) and search <= index_names(engine, "tblclients")
    assert {"gi_hosting_domain", "gi_hosting_packageid"} <= set(added)  # revision 0013's
    assert ("gi_clients_id" in added) is (engine.dialect.name == "mysql")
    assert (set(order_keys(engine)) == set(whmcs.CLIENT_ORDER_KEY_COLUMNS)) is (
        engine.dialect.name == "mysql")
    assert settings(engine) == OPERATOR
    assert add_indexes(engine) == []  # safe to repeat


def test_adopting_a_database_without_the_later_tables_creates_them(new_url, engine_of):
    engine = engine_of(new_url)
    whmcs_shaped(new_url, engine)
    with engine.begin() as conn:
        for name in LATER:
            conn.execute(text(f"DROP TABLE {name}"))
    migrate(engine, adopt=True)
    assert set(LATER) <= set(inspect(engine).get_table_names())
    # created by geninvoices, so indexed by it; tblpricing stays WHMCS's own
    assert "gi_billableitems_userid_invoiceaction" in index_names(engine, "tblbillableitems")
    assert "gi_pricing_type_relid_currency" not in index_names(engine, "tblpricing")
    assert settings(engine) == OPERATOR


def test_a_database_created_by_an_earlier_version_gets_tables_and_defaults(new_url,
                                                                           engine_of):
    engine = engine_of(new_url)
    upgrade_to(engine, "0004")  # 0001 knew neither the later tables nor their indexes
    assert not set(LATER) & set(inspect(engine).get_table_names())
    assert "gi_pricing_type_relid_currency" not in index_names(engine, "tblpricing")
    with engine.begin() as conn:
        conn.execute(insert(whmcs.tblconfiguration).values(setting="DateFormat",
                                                           value="YYYY/MM/DD"))
    migrate(engine)
    assert origin(engine) == "created"
    assert settings(engine) == {**DEFAULT_SETTINGS, "DateFormat": "YYYY/MM/DD"}
    assert "gi_pricing_type_relid_currency" in index_names(engine, "tblpricing")
    assert "gi_billableitems_invoiceaction_duedate" in index_names(engine, "tblbillableitems")
    assert set(LATER) <= set(inspect(engine).get_table_names())


@pytest.mark.parametrize("adopted", [False, True])
def test_downgrading_0006_takes_back_only_a_tld_table_of_ours(new_url, engine_of, adopted):
    engine = engine_of(new_url)
    if adopted:
        whmcs_shaped(new_url, engine)  # a WHMCS install's tbldomainpricing holds its TLDs
    migrate(engine, adopt=adopted)
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0005")
    assert ("tbldomainpricing" in inspect(engine).get_table_names()) is adopted


def test_a_database_adopted_by_an_earlier_version_is_told_by_its_tables(new_url, engine_of):
    engine = engine_of(new_url)
    whmcs_shaped(new_url, engine, foreign_table=True)
    upgrade_to(engine, "0004", stamp="0001")  # the adoption of an earlier version: no marker
    migrate(engine)
    assert origin(engine) == "adopted"
    assert settings(engine) == OPERATOR


def test_revision_0005_is_a_frozen_copy_of_the_models():
    """A change to the live definitions needs a new revision: this says when."""
    revision = _revision()
    assert revision.DEFAULT_SETTINGS == DEFAULT_SETTINGS
    assert [(name, table, columns) for name, table, columns in revision.INDEXES] == [
        (i.name, i.table.name, [c.name for c in i.columns])
        for i in whmcs.billable_item_indexes()]
    live = {re.search(r"CREATE TABLE `(\w+)`", sql).group(1): sql
            for sql in whmcs.schema_statements() if "CREATE TABLE" in sql}
    later = {**_revision("0006_domain_pricing.py").MYSQL_DDL,
             **_revision("0007_catalogue_and_orders.py").MYSQL_DDL}
    for name, ddl in {**revision.MYSQL_DDL, **later}.items():
        assert _words(ddl) == _words(live[name]), name
    assert set(whmcs.metadata.tables) == revision.OWN_WHMCS_TABLES | set(later)


def test_revision_0007_freezes_the_order_indexes():
    assert [(name, table, columns)
            for name, table, columns in _revision("0007_catalogue_and_orders.py").INDEXES] == [
        (i.name, i.table.name, [c.name for c in i.columns]) for i in whmcs.order_indexes()]


def test_revision_0012_freezes_the_listing_indexes():
    assert [(name, table, columns, lengths) for name, table, columns, lengths
            in _revision("0012_listing_indexes.py").INDEXES] == [
        (i.name, i.table.name, [c.name for c in i.columns],
         i.dialect_kwargs.get("mysql_length") or {}) for i in whmcs.listing_indexes()]


@pytest.mark.parametrize("dialect", [postgresql.dialect(), sqlite.dialect(), mysql.dialect()],
                         ids=lambda d: d.name)
def test_revision_0010_freezes_the_client_search_indexes(dialect):
    revision = _revision("0010_client_search_indexes.py")
    live = [str(CreateIndex(i).compile(dialect=dialect)).replace('"NOCASE"', "NOCASE")
            for i in whmcs.client_search_indexes(dialect.name)]
    assert [revision.index_sql(dialect.name, c) for c in revision.COLUMNS] == live


def groups(engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(select(whmcs.tblproductgroups.c.name)).scalars())


def test_a_fresh_database_holds_one_product_group(new_url, engine_of):
    engine = engine_of(new_url)
    migrate(engine)
    assert groups(engine) == ["Default"]
    migrate(engine)  # not a second one
    assert groups(engine) == ["Default"]


@pytest.mark.parametrize("adopted", [False, True])
def test_downgrading_0007_takes_back_only_tables_of_ours(new_url, engine_of, adopted):
    engine = engine_of(new_url)
    if adopted:
        whmcs_shaped(new_url, engine)  # a WHMCS install holds its own orders and groups
    migrate(engine, adopt=adopted)
    assert groups(engine) == ([] if adopted else ["Default"])
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0006")
    tables = set(inspect(engine).get_table_names())
    assert ({"tblorders", "tblproductgroups", "tblpaymentgateways"} <= tables) is adopted
    assert ("gi_hosting_userid" in index_names(engine, "tblhosting")) is False


def order_keys(engine) -> dict[str, str]:
    """GetClients' order keys on tblclients (MariaDB/MySQL, revision 0013): {column: index}
    for each column whose key and index are both there."""
    keys = {c["name"] for c in inspect(engine).get_columns("tblclients")}
    return {c: whmcs.client_order_index(c) for c in whmcs.CLIENT_ORDER_KEY_COLUMNS
            if whmcs.client_order_key(c) in keys
            and whmcs.client_order_index(c) in index_names(engine, "tblclients")}


def read_indexes(engine) -> set[str]:
    """Revision 0013's plain indexes that the database holds."""
    return {i.name for i in whmcs.read_indexes("mysql")} & (
        index_names(engine, "tblhosting") | index_names(engine, "tblclients"))


@pytest.mark.parametrize("adopted", [False, True])
def test_revision_0013_up_and_down(new_url, engine_of, adopted):
    """Its indexes and, on MariaDB/MySQL, the order keys, on a database whose WHMCS tables
    geninvoices created; an adopted one gets them only from --add-indexes, and keeps them."""
    engine = engine_of(new_url)
    if adopted:
        whmcs_shaped(new_url, engine)
    migrate(engine, adopt=adopted)
    if adopted:
        assert read_indexes(engine) == set() and order_keys(engine) == {}
        add_indexes(engine)
    mysql = engine.dialect.name == "mysql"
    indexes = {i.name for i in whmcs.read_indexes(engine.dialect.name)}
    assert read_indexes(engine) == indexes
    assert set(order_keys(engine)) == (set(whmcs.CLIENT_ORDER_KEY_COLUMNS) if mysql else set())
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0012")
    assert read_indexes(engine) == (indexes if adopted else set())
    assert bool(order_keys(engine)) is (adopted and mysql)
    if mysql and not adopted:  # no key, and no index left behind on (id) alone
        assert not {n for n in index_names(engine, "tblclients") if n.endswith("_order")}
        assert not {c["name"] for c in inspect(engine).get_columns("tblclients")
                    if c["name"].endswith("_key")}
    migrate(engine)
    assert read_indexes(engine) == indexes
    assert set(order_keys(engine)) == (set(whmcs.CLIENT_ORDER_KEY_COLUMNS) if mysql else set())


def test_revision_0013_freezes_its_index_and_the_order_keys():
    revision = _revision("0013_read_indexes.py")
    for dialect in ("postgresql", "sqlite", "mysql"):
        assert [(name, table, columns, lengths) for name, table, columns, lengths, mysql_only
                in revision.INDEXES if dialect == "mysql" or not mysql_only] == [
            (i.name, i.table.name, [c.name for c in i.columns],
             i.dialect_kwargs.get("mysql_length") or {}) for i in whmcs.read_indexes(dialect)]
    assert revision.ORDER_KEY_COLUMNS == whmcs.CLIENT_ORDER_KEY_COLUMNS
    for column in revision.ORDER_KEY_COLUMNS:
        assert revision.order_key_sql(column, "utf8mb4", "utf8mb4_unicode_ci") == (
            whmcs.client_order_key_sql(column, "utf8mb4", "utf8mb4_unicode_ci"))


def _words(sql: str) -> list[str]:
    return sql.split()


def currencies(engine) -> list[tuple[str, int]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(whmcs.tblcurrencies.c.code,
                                                      whmcs.tblcurrencies.c.default))]


def test_a_fresh_database_holds_one_default_currency(new_url, engine_of):
    engine = engine_of(new_url)
    migrate(engine)
    assert currencies(engine) == [("USD", 1)]
    migrate(engine)  # not a second one
    assert currencies(engine) == [("USD", 1)]
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0008")
    assert currencies(engine) == []


def test_an_adopted_database_keeps_its_currencies(new_url, engine_of):
    engine = engine_of(new_url)
    whmcs_shaped(new_url, engine)
    with engine.begin() as conn:
        conn.execute(insert(whmcs.tblcurrencies).values(code="EUR", prefix="€", suffix="",
                                                        default=1))
    migrate(engine, adopt=True)
    assert currencies(engine) == [("EUR", 1)]


def test_revision_0015_rekeys_a_ledger_that_holds_periods(new_url, engine_of):
    """The ledger's rows, ids and uniqueness survive the new key (on SQLite a rebuilt table),
    the next claim's id follows the old ones, and billable_id is filled for the old rows;
    downgrading puts the item-first key back."""
    engine = engine_of(new_url)
    upgrade_to(engine, "0014")
    at = dt.datetime(2026, 1, 1, 9)
    old = [{"kind": kind, "relid": relid, "period_start": start, "invoiceid": 7,
            "run_token": "before", "created_at": at}
           for kind, relid, start in [("Hosting", 3, dt.date(2026, 1, 1)),
                                      ("Item", 3, dt.date(2025, 12, 1)),
                                      ("Domain", 9, dt.date(2026, 1, 1))]]
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO geninvoices_ledger (kind, relid, period_start, "
                          "invoiceid, run_token, created_at) VALUES (:kind, :relid, "
                          ":period_start, :invoiceid, :run_token, :created_at)"), old)
    migrate(engine)
    lg = own.ledger
    assert [c["column_names"] for c in inspect(engine).get_unique_constraints(lg.name)] == [
        ["period_start", "kind", "relid"]]
    with engine.begin() as conn:
        rows = conn.execute(select(lg.c.id, lg.c.kind, lg.c.relid, lg.c.billable_id)
                            .order_by(lg.c.id)).all()
        assert [tuple(r) for r in rows] == [(1, "Hosting", 3, None), (2, "Item", 3, 3),
                                            (3, "Domain", 9, None)]
        new_id = conn.execute(insert(lg).values({**old[0], "relid": 4})).inserted_primary_key
        assert new_id[0] == 4
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(insert(lg).values(old[1]))
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0014")
    assert [c["column_names"] for c in inspect(engine).get_unique_constraints(lg.name)] == [
        ["kind", "relid", "period_start"]]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM geninvoices_ledger")).scalar() == 4


OLD_LINES_INDEX, NEW_LINES_INDEX = ("gi_invoiceitems_type_relid_duedate",
                                    "gi_invoiceitems_duedate_type_relid")


def test_revision_0016_puts_the_lines_index_in_date_order(new_url, engine_of):
    """A database geninvoices created gets the lines' billing index with the due date first
    in place of the type-first one; downgrading puts that back."""
    engine = engine_of(new_url)
    upgrade_to(engine, "0015")
    assert OLD_LINES_INDEX in index_names(engine, "tblinvoiceitems")
    migrate(engine)
    columns = {i["name"]: i["column_names"] for i in inspect(engine).get_indexes(
        "tblinvoiceitems")}
    assert columns[NEW_LINES_INDEX] == ["duedate", "type", "relid"]
    assert OLD_LINES_INDEX not in columns
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0015")
    assert OLD_LINES_INDEX in index_names(engine, "tblinvoiceitems")
    assert NEW_LINES_INDEX not in index_names(engine, "tblinvoiceitems")


def test_revision_0016_on_an_adopted_database_replaces_only_an_index_of_ours(new_url,
                                                                           engine_of):
    """Adopted without geninvoices' indexes: 0016 adds none (``migrate --add-indexes``
    does). Adopted with them, from an earlier ``--add-indexes``: the new one replaces the
    old."""
    engine = engine_of(new_url)
    whmcs_shaped(new_url, engine)
    migrate(engine, adopt=True)
    assert not {OLD_LINES_INDEX, NEW_LINES_INDEX} & index_names(engine, "tblinvoiceitems")
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0015")
        conn.execute(text(f"CREATE INDEX {OLD_LINES_INDEX} ON tblinvoiceitems "
                          "(type, relid, duedate)"))
    migrate(engine)
    names = index_names(engine, "tblinvoiceitems")
    assert NEW_LINES_INDEX in names and OLD_LINES_INDEX not in names
