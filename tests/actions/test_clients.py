"""AddClient, UpdateClient and CloseClient (rules §11, WHMCS's api-reference) through api.php."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from geninvoices.access import HASHER
from geninvoices.db import transaction
from geninvoices.models.whmcs import (
    tblbillableitems,
    tblclients,
    tblcredit,
    tbldomains,
    tblhosting,
    tblhostingaddons,
    tblinvoices,
)
from tests import builders as b
from tests.actions.http import Api

# WHMCS's own example request
EXAMPLE = {"firstname": "John", "lastname": "Doe", "email": "john.doe@example.com",
           "address1": "123 Main Street", "city": "Anytown", "state": "State",
           "postcode": "12345", "country": "US", "phonenumber": "800-555-1234",
           "password2": "password", "clientip": "1.2.3.4"}


def clients(engine) -> list[dict]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(
            select(tblclients).order_by(tblclients.c.id)).mappings()]


def credit_rows(engine) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(
            tblcredit.c.clientid, tblcredit.c.amount, tblcredit.c.description)
            .order_by(tblcredit.c.id))]


@pytest.fixture
def usd(engine):
    with transaction(engine) as conn:
        b.make_currency(conn, code="EUR", prefix="", suffix=" EUR", default=0)
        return b.make_currency(conn)  # the default


def test_the_documented_example_writes_a_complete_client(engine, usd):
    reply = Api(engine).json("AddClient", **EXAMPLE)
    [row] = clients(engine)
    assert reply == {"result": "success", "clientid": str(row["id"])}
    assert {k: row[k] for k in ("firstname", "lastname", "email", "address1", "city", "state",
                                "postcode", "country", "phonenumber", "ip", "status",
                                "currency", "credit", "taxexempt")} == {
        "firstname": "John", "lastname": "Doe", "email": "john.doe@example.com",
        "address1": "123 Main Street", "city": "Anytown", "state": "State",
        "postcode": "12345", "country": "US", "phonenumber": "800-555-1234", "ip": "1.2.3.4",
        "status": "Active", "currency": usd, "credit": Decimal("0.00"), "taxexempt": 0}
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}",
                        row["uuid"])
    assert row["datecreated"] == dt.date.today()
    assert row["created_at"] is not None and row["updated_at"] is not None
    assert json.loads(row["email_preferences"]) == dict.fromkeys(
        ("general", "invoice", "support", "product", "domain", "affiliate"), 1)
    # rules §11: the password only as a slow hash
    assert row["password"] != "password" and HASHER.verify("password", row["password"])
    assert row["allow_sso"] == 1 and row["address2"] == "" and row["lastlogin"] is None


def test_without_a_password_none_is_stored(engine, usd):
    params = {k: v for k, v in EXAMPLE.items() if k != "password2"}
    assert Api(engine).json("AddClient", **params)["result"] == "success"
    assert clients(engine)[0]["password"] == ""


@pytest.mark.parametrize("missing, message", [
    ("firstname", "You did not enter your first name"),
    ("lastname", "You did not enter your last name"),
    ("email", "You did not enter your email address"),
    ("address1", "You did not enter your  address line 1"),
    ("city", "You did not enter your city"),
    ("state", "You did not enter your state"),
    ("postcode", "You did not enter your postcode"),
    ("country", "Valid country required"),
    ("phonenumber", "You did not enter your phone number"),
])
def test_each_required_field_is_named_and_nothing_is_written(engine, usd, missing, message):
    api = Api(engine)
    absent = {k: v for k, v in EXAMPLE.items() if k != missing}
    assert api.json("AddClient", **absent) == {"result": "error", "message": message}
    assert api.json("AddClient", **{**EXAMPLE, missing: "  "})["message"] == message
    assert clients(engine) == []


def test_skipvalidation_skips_required_fields_but_never_the_email(engine, usd):
    api = Api(engine)
    assert api.json("AddClient", firstname="Only", skipvalidation="1") == {
        "result": "error", "message": "You did not enter your email address"}
    reply = api.json("AddClient", email="only@example.com", skipvalidation="true")
    assert reply["result"] == "success"
    [row] = clients(engine)
    assert (row["firstname"], row["email"], row["country"]) == ("", "only@example.com", "")


@pytest.mark.parametrize("field, value, message", [
    ("email", "not-an-email", "The email address you entered was not valid"),
    ("email", "a@b", "The email address you entered was not valid"),
    ("email", "two@@example.com", "The email address you entered was not valid"),
    ("country", "USA", "Valid country required"),
    ("country", "1x", "Valid country required"),
    ("phonenumber", "call me", "Invalid telephone phone number"),
])
def test_badly_formed_values_are_refused(engine, usd, field, value, message):
    assert Api(engine).json("AddClient", **{**EXAMPLE, field: value}) == {
        "result": "error", "message": message}
    assert clients(engine) == []


def test_a_second_client_with_the_same_email_is_refused(engine, usd):
    api = Api(engine)
    assert api.json("AddClient", **EXAMPLE)["result"] == "success"
    again = api.json("AddClient", **{**EXAMPLE, "email": " John.DOE@example.com "})
    assert again == {"result": "error", "message": "A user already exists with that email address"}
    assert len(clients(engine)) == 1


def test_an_address_with_a_capital_beyond_ascii_is_found_again(engine, usd):
    api = Api(engine)
    email = "ÉLODIE@example.com"
    assert api.json("AddClient", **{**EXAMPLE, "email": email})["result"] == "success"
    again = api.json("AddClient", **{**EXAMPLE, "email": email})
    assert again == {"result": "error", "message": "A user already exists with that email address"}
    found = api.json("GetClientsDetails", email=f" {email} ")
    assert found["client"]["email"] == email


def test_an_owner_user_is_refused_as_there_are_no_users(engine, usd):
    assert Api(engine).json("AddClient", owner_user_id="1", **EXAMPLE) == {
        "result": "error", "message": "Invalid Owner User ID"}
    assert clients(engine) == []


def test_currency_must_exist_else_the_default_is_taken(engine, usd):
    api = Api(engine)
    assert api.json("AddClient", **{**EXAMPLE, "currency": "999"}) == {
        "result": "error", "message": "Invalid Currency ID"}
    assert api.json("AddClient", **{**EXAMPLE, "currency": "x"}) == {
        "result": "error", "message": "Invalid currency: must be a whole number"}
    assert clients(engine) == []
    eur = usd - 1
    assert api.json("AddClient", **{**EXAMPLE, "currency": str(eur)})["result"] == "success"
    assert clients(engine)[0]["currency"] == eur


def test_account_settings_and_an_opening_credit(engine, usd):
    reply = Api(engine).json("AddClient", **EXAMPLE, taxexempt="1", separateinvoices="on",
                             paymentmethod="banktransfer", credit="12.50", marketingoptin="1",
                             language="french", notes="VIP", groupid="2")
    assert reply["result"] == "success"
    [row] = clients(engine)
    assert {k: row[k] for k in ("taxexempt", "separateinvoices", "defaultgateway", "credit",
                                "marketing_emails_opt_in", "language", "notes", "groupid")} == {
        "taxexempt": 1, "separateinvoices": 1, "defaultgateway": "banktransfer",
        "credit": Decimal("12.50"), "marketing_emails_opt_in": 1, "language": "french",
        "notes": "VIP", "groupid": 2}
    assert credit_rows(engine) == [(row["id"], Decimal("12.50"), "Opening Credit Balance")]


@pytest.mark.parametrize("credit", ["-1.00", "1.234", "1e3", "ten"])
def test_a_negative_or_three_decimal_credit_is_refused(engine, usd, credit):
    assert Api(engine).json("AddClient", **EXAMPLE, credit=credit) == {
        "result": "error", "message": "Invalid credit: must be an amount with at most 2 decimals"}
    assert clients(engine) == [] and credit_rows(engine) == []


def test_xml_and_nvp_answers(engine, usd):
    api = Api(engine)
    xml = api.post("AddClient", **{**EXAMPLE, "responsetype": "xml"}).text
    assert "<action>addclient</action>" in xml and "<result>success</result>" in xml
    assert re.search(r"<clientid>\d+</clientid>", xml)
    nvp = api.post("AddClient", **{**EXAMPLE, "email": "b@example.com",
                                   "responsetype": "nvp"}).text
    assert re.fullmatch(r"result=success;clientid=\d+;", nvp)


def test_a_credential_without_the_action_is_refused(engine, usd):
    api = Api(engine, allow=["GetClients"])
    reply = api.post("AddClient", **EXAMPLE)
    assert reply.status_code == 403
    assert reply.json() == {"result": "error",
                            "message": 'Invalid Permissions: API action "addclient" is not allowed'}
    assert clients(engine) == []
    assert api.json("GetClients")["result"] == "success"


# --- UpdateClient ---------------------------------------------------------------------------

@pytest.fixture
def two(engine, usd):
    api = Api(engine)
    first = int(api.json("AddClient", **EXAMPLE)["clientid"])
    second = int(api.json("AddClient", **{**EXAMPLE, "email": "jane@example.com",
                                          "firstname": "Jane"})["clientid"])
    return api, first, second


def test_update_changes_only_what_is_sent(engine, two):
    api, first, _ = two
    before = clients(engine)[0]
    reply = api.json("UpdateClient", clientid=str(first), city="Othertown", taxexempt="1",
                     separateinvoices="1", paymentmethod="paypal", status="inactive",
                     password2="new secret")
    assert reply == {"result": "success", "clientid": str(first)}
    after = clients(engine)[0]
    changed = {k for k in after if after[k] != before[k]}
    assert changed == {"city", "taxexempt", "separateinvoices", "defaultgateway", "status",
                       "password", "updated_at"} - ({"updated_at"} if after["updated_at"]
                                                    == before["updated_at"] else set())
    assert (after["city"], after["status"], after["defaultgateway"]) == (
        "Othertown", "Inactive", "paypal")
    assert HASHER.verify("new secret", after["password"])


def test_update_finds_the_client_by_email(engine, two):
    api, _, second = two
    assert api.json("UpdateClient", clientemail="JANE@example.com", lastname="Roe") == {
        "result": "success", "clientid": str(second)}
    assert clients(engine)[1]["lastname"] == "Roe"


@pytest.mark.parametrize("params, message", [
    ({}, "Client ID Not Found"),
    ({"clientid": "999"}, "Client ID Not Found"),
    ({"clientemail": "nobody@example.com"}, "Client ID Not Found"),
    ({"clientid": "FIRST", "email": "jane@example.com"}, "Duplicate Email Address"),
    ({"clientid": "FIRST", "email": "bad"}, "The email address you entered was not valid"),
    ({"clientid": "FIRST", "firstname": ""}, "You did not enter your first name"),
    ({"clientid": "FIRST", "currency": "999"}, "Invalid Currency ID"),
    ({"clientid": "FIRST", "status": "Gone"}, "Invalid status: must be Active, Inactive or Closed"),
    ({"clientid": "FIRST", "credit": "-5"},
     "Invalid credit: must be an amount with at most 2 decimals"),
    ({"clientid": "FIRST", "email_preferences[domain]": "0"},
     "You must have at least one email address enabled to receive domain related "
     "notifications as required by ICANN. To disable domain notifications, please create an "
     "alternative contact that is set to receive them"),
])
def test_update_errors_write_nothing(engine, two, params, message):
    api, first, _ = two
    params = {k: str(first) if v == "FIRST" else v for k, v in params.items()}
    before = clients(engine)
    assert api.json("UpdateClient", city="Changed", **params) == {
        "result": "error", "message": message}
    assert clients(engine) == before


def test_skipvalidation_lets_an_update_empty_a_required_field(engine, two):
    api, first, _ = two
    assert api.json("UpdateClient", clientid=str(first), phonenumber="",
                    skipvalidation="1")["result"] == "success"
    assert clients(engine)[0]["phonenumber"] == ""


def test_update_sets_the_credit_balance_and_records_the_change(engine, two):
    api, first, _ = two
    assert api.json("UpdateClient", clientid=str(first), credit="20.00")["result"] == "success"
    assert api.json("UpdateClient", clientid=str(first), credit="5.25")["result"] == "success"
    assert clients(engine)[0]["credit"] == Decimal("5.25")
    assert credit_rows(engine) == [(first, Decimal("20.00"), "Credit Balance Updated"),
                                   (first, Decimal("-14.75"), "Credit Balance Updated")]


def test_update_turns_email_preferences_off(engine, two):
    api, first, _ = two
    reply = api.json("UpdateClient", clientid=str(first), **{
        "email_preferences[general]": "0", "email_preferences[invoice]": "1"})
    assert reply["result"] == "success"
    prefs = json.loads(clients(engine)[0]["email_preferences"])
    assert (prefs["general"], prefs["invoice"], prefs["domain"]) == (0, 1, 1)


# --- CloseClient ----------------------------------------------------------------------------

def test_close_cancels_open_invoices_and_ends_services(engine, two):
    api, first, second = two
    with transaction(engine) as conn:
        product = b.make_product(conn)
        active = b.make_service(conn, client=first, product=product)
        pending = b.make_service(conn, client=first, product=product, status="Pending")
        cancelled = b.make_service(conn, client=first, product=product, status="Cancelled")
        neighbour = b.make_service(conn, client=second, product=product)
        addon = b.make_addon(conn, client=first, service=active)
        domain = b.make_domain(conn, client=first)
        expired = b.make_domain(conn, client=first, domain="old.org", status="Expired")
        invoices = {status: conn.execute(tblinvoices.insert().values(
            userid=first, status=status, total=Decimal("10.00"))).inserted_primary_key[0]
            for status in ("Unpaid", "Draft", "Paid", "Refunded")}
    assert api.json("CloseClient", clientid=str(first)) == {
        "result": "success", "clientid": str(first)}
    with engine.connect() as conn:
        hosting = dict(conn.execute(select(tblhosting.c.id, tblhosting.c.domainstatus)).all())
        inv = dict(conn.execute(select(tblinvoices.c.id, tblinvoices.c.status)).all())
        addon_status = conn.execute(select(tblhostingaddons.c.status).where(
            tblhostingaddons.c.id == addon)).scalar()
        domains = dict(conn.execute(select(tbldomains.c.id, tbldomains.c.status)).all())
        status = dict(conn.execute(select(tblclients.c.id, tblclients.c.status)).all())
    assert hosting == {active: "Terminated", pending: "Cancelled", cancelled: "Cancelled",
                       neighbour: "Active"}
    assert addon_status == "Terminated"
    assert domains == {domain: "Cancelled", expired: "Expired"}
    assert inv == {invoices["Unpaid"]: "Cancelled", invoices["Draft"]: "Cancelled",
                   invoices["Paid"]: "Paid", invoices["Refunded"]: "Refunded"}
    assert status == {first: "Closed", second: "Active"}


def test_close_stops_the_billable_items_a_run_would_still_bill(engine, two):
    api, first, second = two
    due = dt.date.today() - dt.timedelta(days=1)
    with transaction(engine) as conn:
        items = {name: b.make_billable(conn, client=first, duedate=due, **kw) for name, kw in {
            "nextcron": {"action": "nextcron"},
            "nextcron billed": {"action": "nextcron", "invoicecount": 1},
            "nextinvoice": {"action": "nextinvoice"},
            "duedate": {"action": "duedate"},
            "recur": {"action": "recur", "recur": 1, "recurcycle": "Months"},
            "recur 2 of 3": {"action": "recur", "recur": 1, "recurcycle": "Months",
                             "recurfor": 3, "invoicecount": 2},
            "recur done": {"action": "recur", "recur": 1, "recurcycle": "Months",
                           "recurfor": 3, "invoicecount": 3},
            "noinvoice": {"action": "noinvoice"},
        }.items()}
        neighbours = b.make_billable(conn, client=second, duedate=due)
    assert api.json("CloseClient", clientid=str(first))["result"] == "success"
    with engine.connect() as conn:
        action = dict(conn.execute(select(tblbillableitems.c.id,
                                          tblbillableitems.c.invoiceaction)).all())
    assert {name: action[i] for name, i in items.items()} == {
        "nextcron": 0, "nextcron billed": 1, "nextinvoice": 0, "duedate": 0, "recur": 0,
        "recur 2 of 3": 0, "recur done": 4, "noinvoice": 0}
    assert action[neighbours] == 1
    # a run bills the closed client nothing, its neighbour's item as before
    assert api.json("GenInvoices", clientid=str(first), noemails="true")["result"] == "success"
    assert api.json("GenInvoices", clientid=str(second), noemails="true")["result"] == "success"
    with engine.connect() as conn:
        billed = conn.execute(select(tblinvoices.c.userid)).scalars().all()
    assert billed == [second]


@pytest.mark.parametrize("params", [{}, {"clientid": "999"}])
def test_close_of_an_unknown_client(engine, two, params):
    api, _, _ = two
    assert api.json("CloseClient", **params) == {"result": "error",
                                                 "message": "Client ID Not Found"}
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).where(tblclients.c.status == "Closed")
                            ).scalar() == 0


@pytest.mark.parametrize("field, value, message", [
    ("notes", "é" * 32768, "Invalid notes: must be at most 65535 bytes"),
    ("tax_id", "X" * 129, "Invalid tax_id: must be at most 128 characters"),
])
def test_values_longer_than_whmcs_columns_hold_are_refused(engine, usd, field, value, message):
    api = Api(engine)
    assert api.json("AddClient", **{**EXAMPLE, field: value}) == {
        "result": "error", "message": message}
    assert clients(engine) == []
    client = api.json("AddClient", **EXAMPLE)["clientid"]
    assert api.json("UpdateClient", clientid=client, **{field: value})["message"] == message
