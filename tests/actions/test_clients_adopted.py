"""The client actions on an adopted WHMCS database (MariaDB, WHMCS's DDL as it is, strict
mode): the rows they write are complete as WHMCS writes them (rules §11)."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from geninvoices.db import make_engine
from geninvoices.migrate import migrate
from tests.actions.http import Api
from tests.conftest import load_whmcs_schema

EXAMPLE = {"firstname": "John", "lastname": "Doe", "email": "john.doe@example.com",
           "address1": "123 Main Street", "city": "Anytown", "state": "State",
           "postcode": "12345", "country": "US", "phonenumber": "800-555-1234",
           "password2": "password"}


@pytest.fixture
def adopted(server_dbs):
    url = server_dbs["mariadb"].create()
    load_whmcs_schema(url)
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO tblcurrencies (code, prefix, suffix, format, rate, "
                             "`default`) VALUES ('EUR', '', ' EUR', 1, 1, 1)")
    migrate(engine, adopt=True)
    yield engine
    engine.dispose()


def test_client_actions_write_rows_whmcs_reads(adopted):
    api = Api(adopted)
    client = api.json("AddClient", **EXAMPLE, credit="3.00")["clientid"]
    assert api.json("UpdateClient", clientid=client, companyname="Doe Ltd",
                    taxexempt="1")["result"] == "success"
    with adopted.connect() as conn:
        row = conn.exec_driver_sql(
            "SELECT uuid, datecreated, created_at, updated_at, status, currency, credit, "
            "email_preferences, companyname, taxexempt, password "
            f"FROM tblclients WHERE id = {int(client)}").mappings().one()
        credit = conn.exec_driver_sql("SELECT amount, description FROM tblcredit").one()
    assert uuid.UUID(row["uuid"]).version == 4
    assert str(row["datecreated"]) == dt.date.today().isoformat()
    assert row["created_at"] and row["updated_at"] and row["status"] == "Active"
    assert (row["currency"], str(row["credit"]), row["companyname"], row["taxexempt"]) == (
        1, "3.00", "Doe Ltd", 1)
    assert row["email_preferences"].startswith("{") and row["password"].startswith("$pbkdf2")
    assert (str(credit[0]), credit[1]) == ("3.00", "Opening Credit Balance")
    listed = api.json("GetClients", search="john")
    assert [c["id"] for c in listed["clients"]["client"]] == [int(client)]
    details = api.json("GetClientsDetails", email=EXAMPLE["email"], stats="1")
    assert (details["client"]["currency_code"], details["stats"]["creditbalance"]) == (
        "EUR", "3.00 EUR")
    assert api.json("CloseClient", clientid=client)["result"] == "success"
    assert api.json("GetClients", status="Closed")["totalresults"] == 1
