"""AddBillableItem (rules §5.9, WHMCS's api-reference/addbillableitem.md) through api.php."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from sqlalchemy import select

from geninvoices.db import transaction
from geninvoices.models.whmcs import tblbillableitems
from tests import builders as b
from tests.actions.http import Api

# WHMCS's own example request
EXAMPLE = {"description": "This is a billable item", "amount": "10.00",
           "invoiceaction": "recur", "recur": "1", "recurcycle": "Months", "recurfor": "12",
           "duedate": "2021-01-01"}


@pytest.fixture
def client(engine):
    with transaction(engine) as conn:
        return b.make_client(conn)


def items(engine) -> list[dict]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(
            select(tblbillableitems).order_by(tblbillableitems.c.id)).mappings()]


def test_the_documented_example_creates_a_recurring_item(engine, client):
    reply = Api(engine).json("AddBillableItem", clientid=str(client), **EXAMPLE)
    [item] = items(engine)
    assert reply == {"result": "success", "billableid": item["id"]}
    assert {k: item[k] for k in ("userid", "description", "amount", "invoiceaction", "recur",
                                 "recurcycle", "recurfor", "duedate", "invoicecount", "unit",
                                 "hours")} == {
        "userid": client, "description": "This is a billable item", "amount": Decimal("10.00"),
        "invoiceaction": 4, "recur": 1, "recurcycle": "Months", "recurfor": 12,
        "duedate": dt.date(2021, 1, 1), "invoicecount": 0, "unit": 0, "hours": Decimal("0.0")}


@pytest.mark.parametrize("word, stored, duedate", [
    ("noinvoice", 0, None), ("nextcron", 1, None), ("NextInvoice", 2, None),
    ("duedate", 3, dt.date(2026, 5, 31)), ("", 0, None),
])
def test_each_invoice_action_is_stored_as_its_number(engine, client, word, stored, duedate):
    api = Api(engine)
    params = {"clientid": str(client), "description": "Setup work", "amount": "75.50",
              "invoiceaction": word, "recur": "", "recurcycle": "", "recurfor": ""}
    if duedate:
        params["duedate"] = duedate.isoformat()
    assert api.json("AddBillableItem", **params)["result"] == "success"
    [item] = items(engine)
    assert (item["invoiceaction"], item["duedate"], item["recur"], item["recurcycle"]) == (
        stored, duedate, 0, "")


@pytest.mark.parametrize("params, unit, hours", [
    ({"hours": "2.5"}, 0, Decimal("2.5")),                          # before WHMCS 8.2
    ({"unit": "quantity", "quantity": "3"}, 1, Decimal("3.0")),     # 8.2 on
    ({"unit": "Hours", "quantity": "9999.9"}, 0, Decimal("9999.9")),
    ({"unit": "quantity"}, 1, Decimal("0.0")),                      # quantity defaults to 0
])
def test_both_documented_quantity_forms(engine, client, params, unit, hours):
    reply = Api(engine).json("AddBillableItem", clientid=str(client), description="Support",
                             amount="120.00", **params)
    assert reply["result"] == "success"
    [item] = items(engine)
    assert (item["unit"], item["hours"], item["amount"]) == (unit, hours, Decimal("120.00"))


def test_cycle_words_are_matched_without_case(engine, client):
    reply = Api(engine).json("AddBillableItem", clientid=str(client),
                             **{**EXAMPLE, "recurcycle": "weeks", "recurfor": "0"})
    assert reply["result"] == "success"
    assert (items(engine)[0]["recurcycle"], items(engine)[0]["recurfor"]) == ("Weeks", 0)


def test_reply_in_xml_and_nvp(engine, client):
    api = Api(engine)
    root = ET.fromstring(api.post("AddBillableItem", clientid=str(client), responsetype="xml",
                                  **EXAMPLE).text)
    assert (root.findtext("action"), root.findtext("result"),
            root.findtext("billableid")) == ("addbillableitem", "success",
                                             str(items(engine)[0]["id"]))
    nvp = api.post("AddBillableItem", clientid=str(client), responsetype="nvp", **EXAMPLE)
    assert nvp.text == f"result=success;billableid={items(engine)[1]['id']};"


GOOD = {"description": "Consulting", "amount": "50.00", "invoiceaction": "duedate",
        "duedate": "2026-06-30"}


@pytest.mark.parametrize("params, message", [
    ({"clientid": "4242"}, "Client ID Not Found"),
    ({"clientid": None}, "Client ID Not Found"),
    ({"clientid": "-1"}, "Invalid clientid: must be a whole number"),
    ({"description": "  "}, "You must provide a description"),
    ({"amount": None}, "Invalid amount: is required"),
    ({"amount": "-5.00"}, "Invalid amount: must be an amount with at most 2 decimals"),
    ({"amount": "1.005"}, "Invalid amount: must be an amount with at most 2 decimals"),
    ({"amount": "ten"}, "Invalid amount: must be an amount with at most 2 decimals"),
    ({"amount": "1e3"}, "Invalid amount: must be an amount with at most 2 decimals"),
    ({"invoiceaction": "sometime"}, "Invalid Invoice Action"),
    ({"invoiceaction": "4"}, "Invalid Invoice Action"),
    ({"invoiceaction": "recur", "recurcycle": "Months", "recurfor": "3"},
     "Recurring must have a unit, cycle and limit"),
    ({"invoiceaction": "recur", "recur": "1", "recurfor": "3"},
     "Recurring must have a unit, cycle and limit"),
    ({"invoiceaction": "recur", "recur": "1", "recurcycle": "Months"},
     "Recurring must have a unit, cycle and limit"),
    ({"invoiceaction": "recur", "recur": "0", "recurcycle": "Months", "recurfor": "3"},
     "Recurring must have a unit, cycle and limit"),
    ({"recurcycle": "Fortnights"}, "Invalid recurcycle: must be Days, Weeks, Months or Years"),
    ({"recur": "1.5"}, "Invalid recur: must be a whole number"),
    ({"duedate": None}, "Due date is required"),
    ({"invoiceaction": "recur", "recur": "1", "recurcycle": "Days", "recurfor": "2",
      "duedate": ""}, "Due date is required"),
    ({"duedate": "2026-02-30"}, "Invalid Date Format - Expected: 'YYYY-mm-dd'"),
    ({"duedate": "30/06/2026"}, "Invalid Date Format - Expected: 'YYYY-mm-dd'"),
    ({"duedate": "2026-6-30"}, "Invalid Date Format - Expected: 'YYYY-mm-dd'"),
    ({"invoiceaction": "nextcron", "duedate": "tomorrow"},
     "Invalid Date Format - Expected: 'YYYY-mm-dd'"),
    ({"unit": "days"}, "Invalid Unit, please specify either 'hours' or 'quantity'"),
    ({"unit": "quantity", "quantity": "1.25"},
     "Invalid quantity: must be a number from 0 to 9999.9 with at most 1 decimal"),
    ({"hours": "10000"},
     "Invalid hours: must be a number from 0 to 9999.9 with at most 1 decimal"),
    ({"hours": "-1"}, "Invalid hours: must be a number from 0 to 9999.9 with at most 1 decimal"),
])
def test_errors_write_nothing(engine, client, params, message):
    sent = {"clientid": str(client), **GOOD, **params}
    reply = Api(engine).json("AddBillableItem",
                             **{k: v for k, v in sent.items() if v is not None})
    assert reply == {"result": "error", "message": message}
    assert items(engine) == []


def test_errors_in_xml_and_nvp(engine, client):
    api = Api(engine)
    xml = api.post("AddBillableItem", clientid="4242", responsetype="xml", **GOOD)
    root = ET.fromstring(xml.text)
    assert (xml.status_code, root.findtext("result"), root.findtext("message")) == (
        200, "error", "Client ID Not Found")
    nvp = api.post("AddBillableItem", clientid=str(client), responsetype="nvp",
                   **{**GOOD, "invoiceaction": "later"})
    assert nvp.text == "result=error;message=Invalid Invoice Action;"
    nvp = api.post("AddBillableItem", clientid=str(client), responsetype="nvp",
                   **{**GOOD, "duedate": "x"})
    assert nvp.text == ("result=error;message=Invalid Date Format - Expected: "
                        "'YYYY-mm-dd';")
    assert items(engine) == []


def test_role_permissions_apply(engine, client):
    reader = Api(engine, allow=["GetInvoices"])
    denied = reader.post("AddBillableItem", clientid=str(client), **GOOD)
    assert denied.status_code == 403 and denied.json() == {
        "result": "error",
        "message": 'Invalid Permissions: API action "addbillableitem" is not allowed'}
    writer = Api(engine, allow=["addBillableItem"])
    assert writer.json("AddBillableItem", clientid=str(client), **GOOD)["result"] == "success"
    assert len(items(engine)) == 1
