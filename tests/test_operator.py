"""The operator's commands on every backend (issue 12 points 2, 3 and 6): migrate says what
it did, --adopt refuses a database that is not WHMCS's, config list and validated config set,
lockouts list and clear, ranges in the allow-list."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import delete

from geninvoices import access
from geninvoices.config import Settings
from geninvoices.db import make_engine, transaction
from geninvoices.migrate import alembic_config, head_revision
from geninvoices.models import whmcs
from geninvoices.models.defaults import DEFAULT_SETTINGS
from tests.actions.http import Api, call
from tests.conftest import BACKENDS, new_database_url
from tests.test_cli import gi, one_error_line


@pytest.fixture(params=BACKENDS)
def new_url(request, server_dbs, tmp_path_factory):
    return new_database_url(request.param, server_dbs, tmp_path_factory)


def test_migrate_says_what_it_did(new_url):
    created = gi(new_url, "migrate")
    assert created.returncode == 0, created.stderr
    assert created.stdout.startswith("created a new database"), created.stdout
    again = gi(new_url, "migrate")
    assert again.stdout.strip() == f"already up to date (revision {head_revision()})"


def test_migrate_names_the_revisions_it_upgraded(new_url):
    engine = make_engine(new_url)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0004")
    engine.dispose()
    upgraded = gi(new_url, "migrate")
    expected = f"upgraded from revision 0004 to {head_revision()}"
    assert upgraded.stdout.strip() == expected, upgraded.stderr


def test_adopt_refuses_a_database_without_whmcs_tables(new_url):
    line = one_error_line(gi(new_url, "migrate", "--adopt"), 1)
    assert "--adopt expects a WHMCS database" in line and "tblclients" in line
    assert "without --adopt" in line
    # nothing was created: a plain migrate still finds a new database
    assert gi(new_url, "migrate").stdout.startswith("created a new database")


# --- config list and config set ------------------------------------------------------------

@pytest.mark.parametrize("key, value, allowed", [
    ("CreateInvoiceDaysBefore", "seven", "whole number from 0 to 3650"),
    ("CreateInvoiceDaysBefore", "", "whole number from 0 to 3650"),
    ("CreateInvoiceDaysBeforeMonthly", "2.5", "or an empty value"),
    ("CreateDomainInvoiceDaysBefore", "99999", "0 to 3650"),
    ("TaxEnabled", "maybe", "give on or off"),
    ("EnablePDFInvoices", "maybe", "give on or off"),
    ("DateFormat", "DD/MM/YY", "DD/MM/YYYY, DD.MM.YYYY, DD-MM-YYYY, MM/DD/YYYY, YYYY/MM/DD, "
                               "YYYY-MM-DD"),
    ("TaxType", "Gross", "Exclusive, Inclusive"),
    ("TaxCustomInvoiceNumberFormat", "INV-", "must contain {NUMBER}"),
    ("SequentialInvoiceNumberValue", "0", "from 1 to 2147483647"),
])
def test_config_set_refuses_what_the_engine_cannot_read(database_url, key, value, allowed):
    before = gi(database_url, "config", "get", key).stdout
    line = one_error_line(gi(database_url, "config", "set", key, value), 1)
    assert key in line and allowed in line
    assert gi(database_url, "config", "get", key).stdout == before


@pytest.mark.parametrize("key, value, stored", [
    ("CreateInvoiceDaysBefore", " 7 ", "7"),
    ("CreateInvoiceDaysBeforeAnnually", "", ""),
    ("TaxEnabled", "ON", "on"),
    ("TaxEnabled", "off", ""),
    ("EnablePDFInvoices", "no", ""),
    ("DateFormat", "yyyy-mm-dd", "YYYY-MM-DD"),
    ("TaxType", "inclusive", "Inclusive"),
    ("SequentialInvoiceNumberFormat", "PAID-{NUMBER}", "PAID-{NUMBER}"),
    ("MyOwnSetting", "anything at all", "anything at all"),  # not the engine's: as given
])
def test_config_set_stores_what_whmcs_stores(database_url, key, value, stored):
    assert gi(database_url, "config", "set", key, value).returncode == 0
    assert gi(database_url, "config", "get", key).stdout == stored + "\n"


def test_config_list_shows_every_engine_setting_and_whether_it_is_the_default(database_url,
                                                                             engine):
    assert gi(database_url, "config", "set", "CreateInvoiceDaysBefore", "7").returncode == 0
    with engine.begin() as conn:
        conn.execute(delete(whmcs.tblconfiguration).where(
            whmcs.tblconfiguration.c.setting == "TaxL2Compound"))
    listed = gi(database_url, "config", "list")
    assert listed.returncode == 0, listed.stderr
    rows = {line.split("│")[1].strip(): [c.strip() for c in line.split("│")[2:4]]
            for line in listed.stdout.splitlines() if line.startswith("│")}
    assert set(rows) == set(DEFAULT_SETTINGS) | {
        "CompanyName", "InvoicePayTo", "TaxID", "LogoURL", "EnablePDFInvoices", "SystemURL"}
    assert rows["CreateInvoiceDaysBefore"] == ["7", "changed (default 14)"]
    assert rows["DateFormat"] == ["DD/MM/YYYY", "default"]
    assert rows["TaxL2Compound"] == ["", "not set: the default applies"]
    # what the invoice documents read is listed too, and `get` gives its default until set
    assert rows["EnablePDFInvoices"] == ["on", "not set: the default applies"]
    assert rows["SystemURL"] == ["", "not set: the default applies"]
    assert gi(database_url, "config", "get", "EnablePDFInvoices").stdout == "on\n"
    assert gi(database_url, "config", "get", "LogoURL").stdout == "\n"


# --- lockouts --------------------------------------------------------------------------------

def test_lockouts_list_and_clear(database_url, engine):
    """A caller locked out after failed logins shows in `lockouts list`; `lockouts clear`
    lets it in again at once, with the right secret."""
    env = {"GENINVOICES_LOCKOUT_ATTEMPTS": "3"}
    api = Api(engine, Settings(database_url="sqlite://", lockout_attempts=3))
    with transaction(engine) as conn:
        access.add_allowed_ip(conn, "198.51.100.0/24")
    peer = ("198.51.100.9", 1)
    good = {"action": "GetConfigurationValue", "setting": "DateFormat",
            "identifier": api.identifier, "responsetype": "json"}
    for _ in range(3):
        assert call(api.app, {**good, "secret": "wrong"}, client=peer).json()["result"] == "error"
    assert call(api.app, {**good, "secret": api.secret}, client=peer).json()["result"] == "error"
    listed = gi(database_url, "lockouts", "list", extra_env=env)
    row = next(line for line in listed.stdout.splitlines() if "198.51.100.9" in line)
    assert "(any)" in row and "│ 3 " in row
    assert "198.51.100.9" not in gi(database_url, "lockouts", "list").stdout  # 10 attempts
    cleared = gi(database_url, "lockouts", "clear", "::ffff:198.51.100.9", extra_env=env)
    assert cleared.stdout.strip() == "cleared 3 failed login(s) of 198.51.100.9"
    assert gi(database_url, "lockouts", "list", extra_env=env).stdout.strip() == \
        "no address is locked out"
    reply = call(api.app, {**good, "secret": api.secret}, client=peer).json()
    assert reply["result"] == "success", reply


def test_lockouts_clear_refuses_a_non_address(database_url):
    assert "not an IP address" in one_error_line(
        gi(database_url, "lockouts", "clear", "nobody"), 1)


# --- ranges in the allow-list ----------------------------------------------------------------

def test_allowed_ranges_let_their_networks_in(database_url, engine):
    api = Api(engine)
    ask = {"action": "GetConfigurationValue", "setting": "DateFormat",
           "identifier": api.identifier, "secret": api.secret, "responsetype": "json"}

    def answer(address: str) -> str:
        reply = call(api.app, ask, client=(address, 1)).json()
        return reply["result"] if reply["result"] == "success" else reply["message"]

    assert answer("10.1.2.3").startswith("Invalid IP")
    assert gi(database_url, "allowed-ips", "add", "10.0.0.0/8").stdout == "allowed 10.0.0.0/8\n"
    assert gi(database_url, "allowed-ips", "add", "2001:db8::/32").returncode == 0
    assert gi(database_url, "allowed-ips", "add", "192.0.2.7").returncode == 0
    assert answer("10.1.2.3") == "success"
    assert answer("::ffff:10.200.0.1") == "success"
    assert answer("2001:db8:1::5") == "success"
    assert answer("192.0.2.7") == "success"  # an address still works
    assert answer("11.0.0.1").startswith("Invalid IP")
    assert answer("2001:db9::1").startswith("Invalid IP")
    line = one_error_line(gi(database_url, "allowed-ips", "add", "10.0.0.1/8"), 1)
    assert "host bits set" in line
    assert gi(database_url, "allowed-ips", "remove", "10.0.0.0/8").returncode == 0
    assert answer("10.1.2.3").startswith("Invalid IP")


# --- the first credential of a deployment -----------------------------------------------------

def test_credentials_ensure_makes_the_first_credential_once(database_url, engine):
    first = gi(database_url, "credentials", "ensure")
    assert first.returncode == 0 and "created the first API credential" in first.stderr
    shown = dict(line.split(":", 1) for line in first.stdout.splitlines())
    api = Api(engine)  # the app; its own credential is not the one under test
    ask = {"action": "GetConfigurationValue", "setting": "DateFormat", "responsetype": "json",
           "identifier": shown["identifier"].strip(), "secret": shown["secret"].strip()}
    assert call(api.app, ask).json()["result"] == "success"
    again = gi(database_url, "credentials", "ensure")
    assert again.stdout == "" and "none created" in again.stderr


def test_credentials_ensure_from_the_environment(database_url, engine):
    env = {"GENINVOICES_BOOTSTRAP_IDENTIFIER": "deploy",
           "GENINVOICES_BOOTSTRAP_SECRET": "first-secret-0123456789"}
    api = Api(engine)
    ask = {"action": "GetConfigurationValue", "setting": "DateFormat", "responsetype": "json",
           "identifier": "deploy"}
    assert "created the API credential deploy" in gi(
        database_url, "credentials", "ensure", extra_env=env).stderr
    assert "is in place" in gi(database_url, "credentials", "ensure", extra_env=env).stderr
    rotated = {**env, "GENINVOICES_BOOTSTRAP_SECRET": "second-secret-0123456789"}
    assert "now has the secret" in gi(database_url, "credentials", "ensure",
                                      extra_env=rotated).stderr
    assert call(api.app, {**ask, "secret": "second-secret-0123456789"}).json()["result"] \
        == "success"
    assert gi(database_url, "credentials", "revoke", "deploy").returncode == 0
    kept = gi(database_url, "credentials", "ensure", extra_env=rotated)
    assert "left revoked" in kept.stderr
    short = {**env, "GENINVOICES_BOOTSTRAP_SECRET": "short"}
    assert "GENINVOICES_BOOTSTRAP_SECRET" in one_error_line(
        gi(database_url, "credentials", "ensure", extra_env=short), 2)
    half = {"GENINVOICES_BOOTSTRAP_IDENTIFIER": "x"}
    assert "or neither" in one_error_line(
        gi(database_url, "credentials", "ensure", extra_env=half), 1)
