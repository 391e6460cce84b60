"""A fresh database takes plain SQL (rules §6, revision 0008): rows typed into the sqlite3,
psql and mariadb clients naming only the columns WHMCS documents insert, and GenInvoices bills
them. An adopted WHMCS database keeps its own definitions."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess

import pytest
from alembic import command
from sqlalchemy import inspect, make_url, select

from geninvoices.config import Settings
from geninvoices.db import make_engine
from geninvoices.migrate import alembic_config, migrate
from geninvoices.models.whmcs import tblclients, tblinvoiceitems
from tests.actions.http import Api
from tests.conftest import BACKENDS, load_whmcs_schema, new_database_url

TODAY = dt.date(2026, 3, 1)
# What an operator types: only the columns WHMCS's documentation names, no id.
ROWS = """
INSERT INTO tblclients (firstname, lastname, email, country, currency, status)
  VALUES ('Ada', 'Lovelace', 'ada@example.com', 'GB', 0, 'Active');
INSERT INTO tblproducts (type, gid, name, paytype) VALUES ('hostingaccount', 1, 'Shared',
  'recurring');
INSERT INTO tblhosting (userid, packageid, regdate, domain, paymentmethod, amount,
  billingcycle, nextduedate, nextinvoicedate, domainstatus)
  SELECT max(id), (SELECT max(id) FROM tblproducts), '2026-02-01', 'ada.example', 'banktransfer',
  10.00, 'Monthly', '2026-03-01', '2026-03-01', 'Active' FROM tblclients;
INSERT INTO tblhostingaddons (hostingid, userid, name, recurring, billingcycle, status, regdate,
  nextduedate, nextinvoicedate, paymentmethod)
  SELECT max(id), max(userid), 'Backups', 2.00, 'Monthly', 'Active', '2026-02-01',
  '2026-03-01', '2026-03-01', 'banktransfer' FROM tblhosting;
INSERT INTO tbldomains (userid, type, registrationdate, domain, recurringamount,
  registrationperiod, nextduedate, nextinvoicedate, status, paymentmethod)
  SELECT max(id), 'Register', '2025-03-01', 'ada.example', 12.00, 1, '2026-03-01',
  '2026-03-01', 'Active', 'banktransfer' FROM tblclients;
INSERT INTO tblinvoices (userid, date, duedate, subtotal, total, status, paymentmethod)
  SELECT max(id), '2026-02-01', '2026-02-01', 5.00, 5.00, 'Paid', 'banktransfer'
  FROM tblclients;
INSERT INTO tblinvoiceitems (invoiceid, userid, type, relid, description, amount, taxed,
  duedate, paymentmethod)
  SELECT max(id), max(userid), '', 0, 'Setup', 5.00, 0, '2026-02-01', 'banktransfer'
  FROM tblinvoices;
INSERT INTO tblorders (ordernum, userid, amount, status) SELECT 1000, max(id), 0, 'Pending'
  FROM tblclients;
INSERT INTO tblpaymentgateways (gateway, setting, value)
  VALUES ('banktransfer', 'name', 'Bank Transfer');
"""


def client_sql(url: str, sql: str) -> subprocess.CompletedProcess:
    """``sql`` as the backend's own command-line client runs it."""
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        argv = ["sqlite3", "-bail", u.database]
    elif u.get_backend_name() == "postgresql":
        argv = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", u.host,
                "-p", str(u.port or 5432), "-U", u.username, "-d", u.database]
    else:
        argv = ["mariadb", "-h", u.host, "-P", str(u.port or 3306), "-u", u.username, u.database]
    assert shutil.which(argv[0]), f"{argv[0]} is needed (.ci/run installs it)"
    return subprocess.run(argv, input=sql, capture_output=True, text=True, timeout=60)


@pytest.fixture(params=BACKENDS)
def fresh_url(request, server_dbs, tmp_path_factory):
    url = new_database_url(request.param, server_dbs, tmp_path_factory)
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    return url


def test_documented_columns_are_enough_and_the_rows_are_billed(fresh_url):
    done = client_sql(fresh_url, ROWS)
    assert done.returncode == 0 and not done.stderr, done.stderr
    engine = make_engine(fresh_url)
    try:
        api = Api(engine, Settings(database_url=fresh_url, testing=True, test_today=TODAY))
        with engine.connect() as conn:
            client = conn.execute(select(tblclients.c.id)).scalar()
        assert api.json("GenInvoices", clientid=str(client))["numcreated"] == "1"
        with engine.connect() as conn:
            billed = sorted(conn.execute(select(tblinvoiceitems.c.type, tblinvoiceitems.c.amount)
                                         .where(tblinvoiceitems.c.type != "")).all())
        assert [(kind, str(amount)) for kind, amount in billed] == [
            ("Addon", "2.00"), ("Domain", "12.00"), ("Hosting", "10.00")]
        details = api.json("GetClientsDetails", clientid=str(client))
        assert (details["result"], details["uuid"], details["address1"]) == ("success", "", "")
    finally:
        engine.dispose()


def test_the_revision_goes_back_and_forth_keeping_rows(fresh_url):
    engine = make_engine(fresh_url)
    try:
        with engine.begin() as conn:
            command.downgrade(alembic_config(conn), "0007")
        refused = client_sql(fresh_url, ROWS.split(";")[0] + ";")
        assert refused.returncode != 0  # WHMCS's own definitions: uuid has no default
        with engine.begin() as conn:
            conn.execute(tblclients.insert().values(firstname="Kept", email="kept@example.com"))
            command.upgrade(alembic_config(conn), "head")
        assert client_sql(fresh_url, ROWS).returncode == 0
        with engine.connect() as conn:
            assert conn.execute(select(tblclients.c.firstname).order_by(tblclients.c.id)
                                ).scalars().all() == ["Kept", "Ada"]
            if engine.dialect.name == "sqlite":  # the rebuilt table still never reuses an id
                sql = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE name = "
                                           "'tblclients'").scalar()
                assert "AUTOINCREMENT" in sql.upper()
        assert {i["name"] for i in inspect(engine).get_indexes("tblhosting")} >= {
            "gi_hosting_nextinvoicedate", "gi_hosting_userid"}
    finally:
        engine.dispose()


def test_an_adopted_whmcs_database_keeps_its_definitions(server_dbs):
    # WHMCS runs on MariaDB/MySQL: its live DDL, adopted
    url = server_dbs["mariadb"].create()
    load_whmcs_schema(url)
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            tables = sorted(conn.exec_driver_sql("SHOW TABLES").scalars())
            before = {t: conn.exec_driver_sql(f"SHOW CREATE TABLE `{t}`").one()[1]
                      for t in tables}
        migrate(engine, adopt=True)
        with engine.connect() as conn:
            after = {t: conn.exec_driver_sql(f"SHOW CREATE TABLE `{t}`").one()[1]
                     for t in tables}
        assert after == before
        refused = client_sql(url, ROWS.split(";")[0] + ";")
        assert refused.returncode != 0 and "uuid" in refused.stderr
    finally:
        engine.dispose()
