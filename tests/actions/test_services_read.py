"""GetClientsProducts, GetClientsDomains, GetClientsAddons (rules §14.2) through api.php."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from geninvoices.db import transaction
from tests import builders as b
from tests.actions.http import Api


@pytest.fixture
def world(engine):
    with transaction(engine) as conn:
        ada = b.make_client(conn)
        bob = b.make_client(conn, firstname="Bob", email="bob@example.com")
        pid = b.make_product(conn, name="Starter")
        s1 = b.make_service(conn, client=ada, product=pid, amount="12.95", domain="a.example")
        s2 = b.make_service(conn, client=ada, product=pid, amount="24.95", domain="b.example",
                            billingcycle="Annually")
        s3 = b.make_service(conn, client=bob, product=pid, domain="c.example")
        d1 = b.make_domain(conn, client=ada, domain="whmcs.rocks", amount="12.95")
        b.make_domain(conn, client=bob, domain="bob.example")
        cat = b.make_addon_product(conn, name="Backups")
        a1 = b.make_addon(conn, client=ada, service=s1, addon=cat, recurring="15.00")
        a2 = b.make_addon(conn, client=ada, service=s2, name="Own name")
    return {"ada": ada, "bob": bob, "pid": pid, "services": (s1, s2, s3), "domain": d1,
            "addons": (a1, a2), "catalogue": cat}


def test_products_of_a_client_in_whmcs_shape(engine, world):
    reply = Api(engine).json("GetClientsProducts", clientid=str(world["ada"]))
    s1, s2, _ = world["services"]
    assert {k: reply[k] for k in ("result", "clientid", "serviceid", "pid", "domain",
                                  "totalresults", "startnumber", "numreturned")} == {
        "result": "success", "clientid": str(world["ada"]), "serviceid": None, "pid": None,
        "domain": None, "totalresults": "2", "startnumber": 0, "numreturned": 2}
    first, second = reply["products"]["product"]
    assert (first["id"], second["id"]) == (str(s1), str(s2))
    assert {k: first[k] for k in ("clientid", "pid", "name", "domain", "recurringamount",
                                  "billingcycle", "nextduedate", "status", "regdate",
                                  "overidesuspenduntil", "lastupdate", "password")} == {
        "clientid": str(world["ada"]), "pid": str(world["pid"]), "name": "Starter",
        "domain": "a.example", "recurringamount": "12.95", "billingcycle": "Monthly",
        "nextduedate": "2026-01-01", "status": "Active", "regdate": "2026-01-01",
        "overidesuspenduntil": "0000-00-00", "lastupdate": "0000-00-00 00:00:00",
        "password": ""}
    assert first["customfields"] == {"customfield": []}
    assert second["billingcycle"] == "Annually"


@pytest.mark.parametrize("params, expected", [
    ({"serviceid": "S3"}, ["S3"]),
    ({"domain": "b.example"}, ["S2"]),
    ({"pid": "PID"}, ["S1", "S2", "S3"]),
    ({"limitstart": "1", "limitnum": "1"}, ["S2"]),
    ({"serviceid": "99999"}, []),
])
def test_products_filters_and_paging(engine, world, params, expected):
    s1, s2, s3 = world["services"]
    names = {"S1": str(s1), "S2": str(s2), "S3": str(s3), "PID": str(world["pid"])}
    params = {k: names.get(v, v) for k, v in params.items()}
    reply = Api(engine).json("GetClientsProducts", **params)
    assert [p["id"] for p in reply["products"]["product"]] == [names[e] for e in expected]


def test_products_in_xml_nest_one_element_per_product(engine, world):
    reply = Api(engine).post("GetClientsProducts", clientid=str(world["ada"]),
                             responsetype="xml")
    root = ET.fromstring(reply.text)
    assert [p.findtext("domain") for p in root.find("products").findall("product")] == [
        "a.example", "b.example"]
    assert root.find("products/product/customfields") is not None


def test_unknown_client_is_an_error_in_each_format(engine, world):
    api = Api(engine)
    for action in ("GetClientsProducts", "GetClientsDomains", "GetClientsAddons"):
        assert api.json(action, clientid="999") == {"result": "error",
                                                    "message": "Client ID Not Found"}
        assert api.post(action, clientid="999", responsetype="nvp").text == (
            "result=error;message=Client ID Not Found;")
        root = ET.fromstring(api.post(action, clientid="999", responsetype="xml").text)
        assert root.findtext("message") == "Client ID Not Found"
    assert api.json("GetClientsProducts", clientid="x")["message"] == (
        "Invalid clientid: must be a whole number")


def test_nested_reads_cannot_be_nvp(engine, world):
    reply = Api(engine).post("GetClientsDomains", clientid=str(world["ada"]),
                             responsetype="nvp")
    assert reply.text == ("result=error;message=responsetype nvp cannot express this result%3B "
                          "use json or xml;")


def test_domains_of_a_client_as_strings(engine, world):
    reply = Api(engine).json("GetClientsDomains", clientid=str(world["ada"]))
    assert {k: reply[k] for k in ("clientid", "domainid", "totalresults", "startnumber",
                                  "numreturned")} == {
        "clientid": str(world["ada"]), "domainid": "", "totalresults": "1",
        "startnumber": "0", "numreturned": "1"}
    [domain] = reply["domains"]["domain"]
    assert {k: domain[k] for k in ("id", "domainname", "regtype", "regperiod",
                                   "recurringamount", "regdate", "expirydate", "nextduedate",
                                   "status", "donotrenew", "promoid")} == {
        "id": str(world["domain"]), "domainname": "whmcs.rocks", "regtype": "Register",
        "regperiod": "1", "recurringamount": "12.95", "regdate": "2026-01-01",
        "expirydate": "0000-00-00", "nextduedate": "2026-01-01", "status": "Active",
        "donotrenew": "0", "promoid": "0"}
    one = Api(engine).json("GetClientsDomains", domain="bob.example")
    assert [d["userid"] for d in one["domains"]["domain"]] == [str(world["bob"])]


def test_addons_by_client_service_and_catalogue_id(engine, world):
    a1, a2 = world["addons"]
    s1, s2, _ = world["services"]
    api = Api(engine)
    reply = api.json("GetClientsAddons", clientid=str(world["ada"]))
    assert (reply["totalresults"], reply["clientid"], reply["serviceid"]) == (
        "2", str(world["ada"]), "")
    first, second = reply["addons"]["addon"]
    assert (first["id"], first["name"], first["recurring"], first["serviceid"]) == (
        str(a1), "Backups", "15.00", str(s1))  # the catalogue's name when it has none
    assert second["name"] == "Own name"
    by_service = api.json("GetClientsAddons", serviceid=f"{s2},{s1}")
    assert [a["id"] for a in by_service["addons"]["addon"]] == [str(a1), str(a2)]
    by_catalogue = api.json("GetClientsAddons", addonid=str(world["catalogue"]))
    assert [a["id"] for a in by_catalogue["addons"]["addon"]] == [str(a1)]


def test_each_read_needs_its_own_permission(engine, world):
    reader = Api(engine, allow=["GetClientsDomains"])
    denied = reader.post("GetClientsProducts", clientid=str(world["ada"]))
    assert denied.status_code == 403 and denied.json()["message"] == (
        'Invalid Permissions: API action "getclientsproducts" is not allowed')
    assert reader.json("GetClientsDomains")["result"] == "success"
