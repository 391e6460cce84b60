"""AddProduct and GetProducts through api.php (rules §12, WHMCS's api-reference/addproduct.md
and getproducts.md), and the engine billing what AddProduct priced (rules §5.10)."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from sqlalchemy import select

from geninvoices.db import transaction
from geninvoices.models.whmcs import tblpricing, tblproducts
from tests import builders as b
from tests.actions.http import Api
from tests.catalogue.world import add_group, count
from tests.engine.helpers import lines

D = Decimal


def prices(usd: int, eur: int) -> dict:
    return {f"pricing[{usd}][monthly]": "10.00", f"pricing[{usd}][msetupfee]": "5.00",
            f"pricing[{usd}][annually]": "100.00", f"pricing[{eur}][monthly]": "9.00",
            f"pricing[{eur}][annually]": "90.50"}


@pytest.fixture
def shop(engine):
    """Two currencies (USD, EUR) and a product group; (engine, gid, usd, eur)."""
    with transaction(engine) as conn:
        usd = b.make_currency(conn)
        eur = b.make_currency(conn, code="EUR", prefix="€", suffix=" EUR", default=0)
        gid = add_group(conn, "Hosting")
    return engine, gid, usd, eur


def add(api: Api, gid: int, **params) -> dict:
    return api.json("AddProduct", gid=str(gid), name="Shared Hosting", type="hostingaccount",
                    paytype="recurring", **params)


def test_prices_in_two_currencies_come_back_from_get_products(shop):
    engine, gid, usd_id, eur_id = shop
    api = Api(engine)
    reply = add(api, gid, module="cpanel", tax="1", **prices(usd_id, eur_id))
    assert reply["result"] == "success"
    pid = reply["pid"]
    got = api.json("GetProducts", pid=str(pid))
    assert (got["result"], got["totalresults"], got["numreturned"]) == ("success", 1, 1)
    [product] = got["products"]["product"]
    assert {k: product[k] for k in ("pid", "gid", "type", "name", "slug", "module",
                                    "paytype")} == {
        "pid": pid, "gid": gid, "type": "hostingaccount", "name": "Shared Hosting",
        "slug": "shared-hosting", "module": "cpanel", "paytype": "recurring"}
    usd, eur = product["pricing"]["USD"], product["pricing"]["EUR"]
    assert (usd["prefix"], usd["suffix"], eur["prefix"]) == ("$", " USD", "€")
    assert (usd["msetupfee"], usd["monthly"], usd["annually"]) == ("5.00", "10.00", "100.00")
    assert (usd["qsetupfee"], usd["quarterly"], usd["triennially"]) == ("0.00", "-1.00", "-1.00")
    assert (eur["monthly"], eur["annually"], eur["msetupfee"]) == ("9.00", "90.50", "0.00")
    assert list(usd) == ["prefix", "suffix", "msetupfee", "qsetupfee", "ssetupfee",
                         "asetupfee", "bsetupfee", "tsetupfee", "monthly", "quarterly",
                         "semiannually", "annually", "biennially", "triennially"]
    assert product["customfields"] == {"customfield": []}


def test_every_documented_column_is_written(shop):
    engine, gid, usd_id, eur_id = shop
    api = Api(engine)
    reply = add(api, gid, slug="Fast VPS!", stockcontrol="1", qty="7",
                hidden="1", showdomainoptions="on", tax="1", isFeatured="1",
                proratabilling="1", description="<b>fast</b>", welcomeemail="5",
                proratadate="15", proratachargenextmonth="25", subdomain=".a.com,.b.com",
                autosetup="payment", module="cpanel", servergroupid="3",
                configoption1="pkg", configoption6="x", order="4")
    assert reply["result"] == "success", reply
    with engine.connect() as conn:
        row = conn.execute(select(tblproducts)).mappings().one()
    assert {k: row[k] for k in (
        "gid", "slug", "stockcontrol", "qty", "hidden", "showdomainoptions", "tax",
        "is_featured", "proratabilling", "description", "welcomeemail", "proratadate",
        "proratachargenextmonth", "subdomain", "autosetup", "servertype", "servergroup",
        "configoption1", "configoption6", "order", "retired", "paytype")} == {
        "gid": gid, "slug": "fast-vps", "stockcontrol": 1, "qty": 7, "hidden": 1,
        "showdomainoptions": 1, "tax": 1, "is_featured": 1, "proratabilling": 1,
        "description": "<b>fast</b>", "welcomeemail": 5, "proratadate": 15,
        "proratachargenextmonth": 25, "subdomain": ".a.com,.b.com", "autosetup": "payment",
        "servertype": "cpanel", "servergroup": 3, "configoption1": "pkg",
        "configoption6": "x", "order": 4, "retired": 0, "paytype": "recurring"}
    assert row["created_at"] is not None and row["created_at"] == row["updated_at"]
    assert api.json("GetProducts")["products"]["product"][0]["quantity_available"] == 7


def test_slugs_are_unique_in_a_group_and_paytype_follows_the_pricing(shop):
    engine, gid, usd_id, eur_id = shop
    api = Api(engine)
    first = api.json("AddProduct", gid=str(gid), name="Web")
    second = api.json("AddProduct", gid=str(gid), name="Web",
                      **{f"pricing[{usd_id}][monthly]": "1"})
    got = {p["pid"]: p for p in api.json("GetProducts", gid=str(gid))["products"]["product"]}
    assert (got[first["pid"]]["slug"], got[first["pid"]]["paytype"]) == ("web", "free")
    assert (got[second["pid"]]["slug"], got[second["pid"]]["paytype"]) == ("web-2", "recurring")
    taken = api.json("AddProduct", gid=str(gid), name="Other", slug="web")
    assert taken == {"result": "error",
                     "message": "The slug web is already in use in this product group"}


@pytest.mark.parametrize("params, message", [
    ({"gid": "99"}, "You must supply a valid Product Group ID"),
    ({"gid": "x"}, "You must supply a valid Product Group ID"),
    ({"name": " "}, "You must supply a name for the product"),
    ({"welcomeemail": "abc"}, "You must supply a valid welcome email ID"),
    ({"type": "vps"}, 'Invalid product type. Must be one of "hostingaccount", '
                      '"reselleraccount", "server" or "other"'),
    ({"paytype": "monthly"}, 'Invalid pay type. Must be one of "free", "onetime" or '
                             '"recurring"'),
    ({"autosetup": "never"}, 'Invalid autosetup value. Must be one of "", "on", "order" or '
                             '"payment"'),
    ({"color": "red"}, "The color must be a valid hexadecimal value."),
    ({"recommendations[0][id]": "4242"}, "The recommendation product ID is invalid. This "
                                         "must be an existing product ID."),
    ({"pricing[U][weekly]": "1.00"}, "Invalid pricing[U]: unknown cycle 'weekly': one of "
     "monthly, quarterly, semiannually, annually, biennially, triennially, msetupfee, "
     "qsetupfee, ssetupfee, asetupfee, bsetupfee, tsetupfee"),
    ({"pricing[U][monthly]": "-5.00"}, "Invalid pricing[U][monthly]: must be an amount with "
                                       "at most 2 decimals, or -1 for not offered"),
    ({"pricing[U][monthly]": "9.999"}, "Invalid pricing[U][monthly]: must be an amount with "
                                       "at most 2 decimals, or -1 for not offered"),
    ({"pricing[U][monthly]": "1e3"}, "Invalid pricing[U][monthly]: must be an amount with "
                                     "at most 2 decimals, or -1 for not offered"),
    ({"pricing[4242][monthly]": "1.00"}, "Invalid pricing: currency id '4242' does not "
                                         "exist; the currencies are U (USD), E (EUR)"),
    ({"pricing": "10.00"}, "Invalid pricing: must be an array, pricing[...]=..."),
    ({"pricing[U]": "10.00"}, "Invalid pricing[U]: must be an array, pricing[U][...]=..."),
])
def test_bad_input_is_refused_and_nothing_is_written(shop, params, message):
    engine, gid, usd_id, eur_id = shop

    def ids(text: str) -> str:
        return text.replace("[U]", f"[{usd_id}]").replace("U (USD)", f"{usd_id} (USD)") \
            .replace("E (EUR)", f"{eur_id} (EUR)")
    good = {"gid": str(gid), "name": "Shared Hosting", f"pricing[{eur_id}][monthly]": "3.00"}
    params = {ids(k): v for k, v in params.items()}
    assert Api(engine).json("AddProduct", **{**good, **params}) == {
        "result": "error", "message": ids(message)}
    assert count(engine, tblproducts) == count(engine, tblpricing) == 0


def test_minus_one_disables_a_cycle_and_errors_come_in_the_asked_format(shop):
    engine, gid, usd_id, eur_id = shop
    api = Api(engine)
    reply = add(api, gid, **{f"pricing[{usd_id}][monthly]": "-1",
                             f"pricing[{usd_id}][annually]": "0"})
    with engine.connect() as conn:
        row = conn.execute(select(tblpricing)).mappings().one()
    assert (row["monthly"], row["annually"], row["relid"]) == (D("-1.00"), D("0.00"),
                                                                reply["pid"])
    xml = api.post("AddProduct", gid="99", name="x", responsetype="xml")
    root = ET.fromstring(xml.text)
    assert (root.findtext("result"), root.findtext("message")) == (
        "error", "You must supply a valid Product Group ID")
    nvp = api.post("AddProduct", gid="99", name="x", responsetype="nvp").text
    assert nvp == "result=error;message=You must supply a valid Product Group ID;"
    ok = api.post("AddProduct", gid=str(gid), name="y", responsetype="nvp").text
    assert ok.startswith("result=success;pid=")


def test_get_products_filters_by_ids_group_and_module(shop):
    engine, gid, usd_id, eur_id = shop
    api = Api(engine)
    with transaction(engine) as conn:
        other = add_group(conn, "VPS")
    a = add(api, gid, module="cpanel")["pid"]
    c = add(api, other, module="plesk")["pid"]
    d = add(api, other, module="cpanel")["pid"]

    def pids(**params):
        return [p["pid"] for p in api.json("GetProducts", **params)["products"]["product"]]
    assert pids() == [a, c, d]
    assert pids(pid=f"{a},{d}") == [a, d]
    assert pids(gid=str(other)) == [c, d]
    assert pids(module="cpanel") == [a, d]
    assert pids(gid=str(other), module="cpanel") == [d]
    assert pids(pid="4242") == []
    assert api.json("GetProducts", pid="x")["result"] == "error"
    root = ET.fromstring(api.post("GetProducts", pid=str(a), responsetype="xml").text)
    assert (root.findtext("result"), root.findtext("products/product/pid"),
            root.findtext("products/product/module")) == ("success", str(a), "cpanel")


def test_a_product_s_url_follows_system_url(shop):
    engine, gid, usd_id, eur_id = shop
    api = Api(engine)
    pid = add(api, gid)["pid"]
    assert api.json("GetProducts")["products"]["product"][0]["product-url"] == ""
    with transaction(engine) as conn:
        b.set_config(conn, SystemURL="https://billing.example.com/")
    assert api.json("GetProducts", pid=str(pid))["products"]["product"][0]["product-url"] == (
        "https://billing.example.com/hosting/shared-hosting")


def test_a_credential_without_the_action_is_refused(shop):
    engine, gid, usd_id, eur_id = shop
    reader = Api(engine, allow=["GetProducts"])
    assert reader.json("AddProduct", gid=str(gid), name="x") == {
        "result": "error", "message": 'Invalid Permissions: API action "addproduct" is not '
                                      'allowed'}
    assert count(engine, tblproducts) == 0
    assert reader.json("GetProducts")["result"] == "success"


def test_a_promoted_service_is_billed_at_the_prices_add_product_wrote(shop):
    """rules §5.10: the renewal shows the standard price AddProduct stored, per currency and
    cycle, and a discount line back to the agreed amount."""
    engine, gid, usd_id, eur_id = shop
    api = Api(engine)
    pid = add(api, gid, **prices(usd_id, eur_id))["pid"]
    today = dt.date.today()
    with transaction(engine) as conn:
        usd = b.make_client(conn, currency=usd_id, email="a@example.com")
        eur = b.make_client(conn, currency=eur_id, email="b@example.com")
        promo = b.make_promotion(conn, code="HALF", type="Percentage", value="50.00")
        s1 = b.make_service(conn, client=usd, product=pid, amount="50.00",
                            billingcycle="Annually", regdate=today, promoid=promo)
        s2 = b.make_service(conn, client=eur, product=pid, amount="4.50",
                            billingcycle="Monthly", regdate=today, promoid=promo)
    assert api.json("GenInvoices")["numcreated"] == "2"
    got = {(ln["relid"], ln["type"]): ln["amount"] for ln in lines(engine)}
    assert got == {(s1, "Hosting"): D("100.00"), (s1, "PromoHosting"): D("-50.00"),
                   (s2, "Hosting"): D("9.00"), (s2, "PromoHosting"): D("-4.50")}

