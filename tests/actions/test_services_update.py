"""UpdateClientProduct, UpdateClientDomain, UpdateClientAddon, AddCancelRequest (rules §14.3,
§14.4) through api.php: what they write, and that bad input writes nothing."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from sqlalchemy import select

from geninvoices.db import transaction
from geninvoices.models.whmcs import tblcancelrequests
from tests import builders as b
from tests.actions.http import Api
from tests.engine.helpers import addon, domain, service

D = dt.date


@pytest.fixture
def ids(engine):
    with transaction(engine) as conn:
        cid = b.make_client(conn)
        pid = b.make_product(conn)
        other = b.make_product(conn, name="Bigger")
        sid = b.make_service(conn, client=cid, product=pid)
        did = b.make_domain(conn, client=cid)
        aid = b.make_addon(conn, client=cid, service=sid, name="Backups")
        promo = b.make_promotion(conn)
    return {"client": cid, "service": sid, "domain": did, "addon": aid, "promo": promo,
            "other": other}


def test_a_service_update_writes_each_documented_column(engine, ids):
    reply = Api(engine).json(
        "UpdateClientProduct", serviceid=str(ids["service"]), pid=str(ids["other"]),
        nextduedate="2026-03-15", billingcycle="quarterly", recurringamount="29.5",
        firstpaymentamount="10", status="suspended", promoid=str(ids["promo"]),
        domain="new.example", paymentmethod="paypal", notes="moved", serviceusername="u1",
        overideautosuspend="on", overidesuspenduntil="2026-04-01", diskusage="5",
        bwlimit="100", suspendreason="late", terminationDate="2026-12-31", ns1="ns1.x")
    assert reply == {"result": "success", "serviceid": str(ids["service"])}
    row = service(engine, ids["service"])
    assert {k: row[k] for k in (
        "packageid", "nextduedate", "nextinvoicedate", "billingcycle", "amount",
        "firstpaymentamount", "domainstatus", "promoid", "domain", "paymentmethod", "notes",
        "username", "overideautosuspend", "overidesuspenduntil", "diskusage", "bwlimit",
        "suspendreason", "termination_date", "ns1")} == {
        "packageid": ids["other"], "nextduedate": D(2026, 3, 15),
        "nextinvoicedate": D(2026, 3, 15), "billingcycle": "Quarterly",
        "amount": Decimal("29.50"), "firstpaymentamount": Decimal("10.00"),
        "domainstatus": "Suspended", "promoid": ids["promo"], "domain": "new.example",
        "paymentmethod": "paypal", "notes": "moved", "username": "u1",
        "overideautosuspend": 1, "overidesuspenduntil": D(2026, 4, 1), "diskusage": 5,
        "bwlimit": 100, "suspendreason": "late", "termination_date": D(2026, 12, 31),
        "ns1": "ns1.x"}
    assert row["updated_at"].microsecond == 0  # whole seconds, as WHMCS writes (rules §5)


def test_blank_and_absent_leave_columns_alone_and_unset_empties(engine, ids):
    api = Api(engine)
    api.json("UpdateClientProduct", serviceid=str(ids["service"]), notes="keep me")
    before = service(engine, ids["service"])
    reply = api.json("UpdateClientProduct", serviceid=str(ids["service"]), recurringamount="",
                     nextduedate="", status="", **{"unset[]": "domain"})
    assert reply["result"] == "success"
    after = service(engine, ids["service"])
    assert after["domain"] == "" and after["notes"] == "keep me"
    assert {k: v for k, v in after.items() if k not in ("domain", "updated_at")} == {
        k: v for k, v in before.items() if k not in ("domain", "updated_at")}


@pytest.mark.parametrize("params, message", [
    ({"serviceid": "999"}, "Service ID Not Found"),
    ({"serviceid": "1x"}, "Invalid serviceid: must be a whole number"),
    ({"billingcycle": "Weekly"}, "Invalid billingcycle: must be one of Monthly, Quarterly, "
     "Semi-Annually, Annually, Biennially, Triennially, Free Account, One Time"),
    ({"recurringamount": "-1.00"}, "Invalid recurringamount: must be an amount with at most "
     "2 decimals"),
    ({"recurringamount": "1.005"}, "Invalid recurringamount: must be an amount with at most "
     "2 decimals"),
    ({"nextduedate": "2026-02-30"}, "Invalid nextduedate: must be a date YYYY-MM-DD"),
    ({"nextduedate": "15/03/2026"}, "Invalid nextduedate: must be a date YYYY-MM-DD"),
    ({"promoid": "777"}, "Promotion ID Not Found"),
    ({"pid": "777"}, "Product ID Not Found"),
    ({"status": "Deleted"}, "Invalid status: must be one of Pending, Active, Suspended, "
     "Terminated, Cancelled, Fraud, Completed"),
    ({"servicepassword": "s3cret"}, "servicepassword is not supported by geninvoices "
     "(rules §14.1)"),
    ({"unset[]": "password"}, "Invalid unset field: password"),
])
def test_bad_service_updates_write_nothing(engine, ids, params, message):
    before = service(engine, ids["service"])
    params = {"serviceid": str(ids["service"]), "recurringamount": "99.00",
              "nextduedate": "2026-06-01", **params}
    api = Api(engine)
    assert api.json("UpdateClientProduct", **params) == {"result": "error", "message": message}
    assert api.post("UpdateClientProduct", **params, responsetype="nvp").text == (
        f"result=error;message={message};")
    root = ET.fromstring(api.post("UpdateClientProduct", **params, responsetype="xml").text)
    assert (root.findtext("result"), root.findtext("message")) == ("error", message)
    assert service(engine, ids["service"]) == before


def test_a_domain_update(engine, ids):
    reply = Api(engine).json(
        "UpdateClientDomain", domainid=str(ids["domain"]), regperiod="2",
        recurringamount="25.00", nextduedate="2027-01-01", expirydate="2027-01-01",
        donotrenew="1", idprotection="0", type="transfer", status="Pending Transfer",
        notes="transferring", registrar="enom", promoid="0")
    assert reply == {"result": "success", "domainid": str(ids["domain"])}
    row = domain(engine, ids["domain"])
    assert {k: row[k] for k in ("registrationperiod", "recurringamount", "nextduedate",
                                "nextinvoicedate", "expirydate", "donotrenew", "idprotection",
                                "type", "status", "additionalnotes", "registrar")} == {
        "registrationperiod": 2, "recurringamount": Decimal("25.00"),
        "nextduedate": D(2027, 1, 1), "nextinvoicedate": D(2027, 1, 1),
        "expirydate": D(2027, 1, 1), "donotrenew": 1, "idprotection": 0, "type": "Transfer",
        "status": "Pending Transfer", "additionalnotes": "transferring", "registrar": "enom"}


@pytest.mark.parametrize("params, message", [
    ({"domainid": "999"}, "Domain ID Not Found"),
    ({"regperiod": "11"}, "Invalid regperiod: must be 1 to 10 years"),
    ({"recurringamount": "1.234"}, "Invalid recurringamount: must be an amount with at most "
     "2 decimals"),
    ({"regdate": "2025-13-01"}, "Invalid regdate: must be a date YYYY-MM-DD"),
    ({"promoid": "777"}, "Promotion ID Not Found"),
    ({"updatens": "1", "ns1": "a", "ns2": "b"}, "updatens is not supported by geninvoices "
     "(rules §14.1)"),
])
def test_bad_domain_updates_write_nothing(engine, ids, params, message):
    before = domain(engine, ids["domain"])
    reply = Api(engine).json("UpdateClientDomain", **{"domainid": str(ids["domain"]),
                                                      "recurringamount": "50.00", **params})
    assert reply == {"result": "error", "message": message}
    assert domain(engine, ids["domain"]) == before


def test_an_addon_update_and_its_errors(engine, ids):
    api = Api(engine)
    reply = api.json("UpdateClientAddon", id=str(ids["addon"]), recurring="7.5",
                     billingcycle="Semi-Annually", nextduedate="2026-02-01", name="Snapshots",
                     status="Active")
    assert reply == {"result": "success", "id": str(ids["addon"])}
    row = addon(engine, ids["addon"])
    assert (row["recurring"], row["billingcycle"], row["nextduedate"], row["nextinvoicedate"],
            row["name"]) == (Decimal("7.50"), "Semi-Annually", D(2026, 2, 1), D(2026, 2, 1),
                             "Snapshots")
    for params, message in (({"id": "999", "recurring": "1"}, "Addon ID Not Found"),
                            ({"id": str(ids["addon"])}, "Nothing to Update"),
                            ({"id": str(ids["addon"]), "recurring": "-5"},
                             "Invalid recurring: must be an amount with at most 2 decimals"),
                            ({"id": str(ids["addon"]), "addonid": "55"},
                             "Product Addon ID Not Found")):
        assert api.json("UpdateClientAddon", **params) == {"result": "error",
                                                           "message": message}
    assert addon(engine, ids["addon"]) == row


def cancel_requests(engine) -> list[dict]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(tblcancelrequests)).mappings()]


def test_a_cancellation_request_is_recorded_once(engine, ids):
    api = Api(engine)
    reply = api.json("AddCancelRequest", serviceid=str(ids["service"]), type="immediate",
                     reason="Moving away")
    assert reply == {"result": "success", "serviceid": str(ids["service"]),
                     "userid": str(ids["client"])}
    [row] = cancel_requests(engine)
    assert (row["relid"], row["type"], row["reason"]) == (ids["service"], "Immediate",
                                                          "Moving away")
    # its times in whole seconds, as WHMCS writes a row's times (rules §5)
    assert {row[k].microsecond for k in ("date", "created_at", "updated_at")} == {0}
    again = api.json("AddCancelRequest", serviceid=str(ids["service"]))
    assert again == {"result": "error", "message": "Existing Cancellation Request Exists"}
    assert api.json("AddCancelRequest", serviceid="999")["message"] == "Service ID Not Found"
    assert api.json("AddCancelRequest", serviceid=str(ids["service"]), type="Later")[
        "message"] == "Invalid type: must be one of Immediate, End of Billing Period"
    assert len(cancel_requests(engine)) == 1


def test_the_default_cancellation_type_is_end_of_billing_period(engine, ids):
    assert Api(engine).json("AddCancelRequest", serviceid=str(ids["service"]))["result"] == \
        "success"
    assert cancel_requests(engine)[0]["type"] == "End of Billing Period"


@pytest.mark.parametrize("action, params", [
    ("UpdateClientProduct", {"serviceid": "SID", "notes": "x"}),
    ("UpdateClientDomain", {"domainid": "DID", "notes": "x"}),
    ("UpdateClientAddon", {"id": "AID", "notes": "x"}),
    ("AddCancelRequest", {"serviceid": "SID"}),
])
def test_each_write_needs_its_own_permission(engine, ids, action, params):
    names = {"SID": str(ids["service"]), "DID": str(ids["domain"]), "AID": str(ids["addon"])}
    params = {k: names.get(v, v) for k, v in params.items()}
    reader = Api(engine, allow=["GetClientsProducts", "GetClientsDomains", "GetClientsAddons"])
    denied = reader.post(action, **params)
    assert denied.status_code == 403 and denied.json()["message"] == (
        f'Invalid Permissions: API action "{action.lower()}" is not allowed')
    assert cancel_requests(engine) == [] and service(engine, ids["service"])["notes"] == ""
    assert Api(engine, allow=[action]).json(action, **params)["result"] == "success"
