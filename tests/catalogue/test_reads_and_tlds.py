"""GetCurrencies, GetPaymentMethods and CreateOrUpdateTLD through api.php (rules §12)."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from sqlalchemy import insert, select

from geninvoices.catalogue import activate_gateway, domain_price
from geninvoices.db import transaction
from geninvoices.demo import seed_demo
from geninvoices.models.whmcs import tblcurrencies, tbldomainpricing, tblpricing
from tests import builders as b
from tests.actions.http import Api
from tests.catalogue.world import count
from tests.engine.helpers import lines

D = Decimal


@pytest.fixture
def currencies(engine):
    """USD (default, rate 1), GBP (rate 0.8) and one without a rate; their ids."""
    with transaction(engine) as conn:
        usd = b.make_currency(conn)
        gbp = conn.execute(insert(tblcurrencies).values(
            code="GBP", prefix="£", suffix="", format=1, rate=D("0.80000"),
            default=0)).inserted_primary_key[0]
        xxx = conn.execute(insert(tblcurrencies).values(
            code="XXX", prefix="", suffix="", format=1, rate=D("0"),
            default=0)).inserted_primary_key[0]
    return usd, gbp, xxx


def test_get_currencies_answers_the_documented_values(engine, currencies):
    usd, gbp, _ = currencies
    got = Api(engine).json("GetCurrencies")
    assert got["totalresults"] == "3"
    assert got["currencies"]["currency"][:2] == [
        {"id": str(usd), "code": "USD", "prefix": "$", "suffix": " USD", "format": "1",
         "rate": "1.00000"},
        {"id": str(gbp), "code": "GBP", "prefix": "£", "suffix": "", "format": "1",
         "rate": "0.80000"}]
    xml = ET.fromstring(Api(engine).post("GetCurrencies", responsetype="xml").text)
    assert [c.findtext("code") for c in xml.findall("currencies/currency")] == [
        "USD", "GBP", "XXX"]


def test_get_payment_methods_lists_the_active_gateways_in_order(engine):
    api = Api(engine)
    assert api.json("GetPaymentMethods") == {
        "result": "success", "totalresults": 0, "paymentmethods": {"paymentmethod": []}}
    with transaction(engine) as conn:
        activate_gateway(conn, "paypal", "PayPal")
        activate_gateway(conn, "banktransfer", "Bank Transfer", visible=False)
    assert api.json("GetPaymentMethods") == {
        "result": "success", "totalresults": 2, "paymentmethods": {"paymentmethod": [
            {"module": "paypal", "displayname": "PayPal"},
            {"module": "banktransfer", "displayname": "Bank Transfer"}]}}
    refused = Api(engine, allow=["GetCurrencies"]).json("GetPaymentMethods")
    assert refused["message"] == ('Invalid Permissions: API action "getpaymentmethods" is '
                                  'not allowed')


def test_a_new_tld_with_prices_converted_into_every_rated_currency(engine, currencies):
    usd, gbp, xxx = currencies
    api = Api(engine)
    reply = api.json("CreateOrUpdateTLD", extension=".COM", dns_management="1",
                     id_protection="true", currency_code="usd", group="HOT",
                     grace_period_days="30", grace_period_fee="-1",
                     redemption_period_fee="75.00",
                     **{"register[1]": "10.00", "register[2]": "19.99", "renew[1]": "12.35",
                        "transfer[1]": "8"})
    with engine.connect() as conn:
        [tld] = conn.execute(select(tbldomainpricing)).mappings().all()
        assert reply == {"result": "success", "extension": ".com", "id": str(tld["id"])}
        assert {k: tld[k] for k in ("extension", "dnsmanagement", "idprotection",
                                    "emailforwarding", "eppcode", "group", "grace_period",
                                    "grace_period_fee", "redemption_grace_period_fee",
                                    "order")} == {
            "extension": ".com", "dnsmanagement": 1, "idprotection": 1, "emailforwarding": 0,
            "eppcode": 0, "group": "hot", "grace_period": 30, "grace_period_fee": D("-1.00"),
            "redemption_grace_period_fee": D("75.00"), "order": 1}
        assert tld["created_at"] is not None
        assert domain_price(conn, "com", usd, 2, "register") == D("19.99")
        assert domain_price(conn, "com", usd, 3, "register") is None
        assert domain_price(conn, ".com", gbp, 1, "renew") == D("9.88")  # 12.35 * 0.8
        assert domain_price(conn, ".com", gbp, 1, "transfer") == D("6.40")
        assert domain_price(conn, ".com", xxx, 1, "register") is None  # no rate: no price
        types = sorted(conn.execute(select(tblpricing.c.type, tblpricing.c.currency)).all())
    assert types == sorted([(t, c) for t in ("domainregister", "domainrenew",
                                             "domaintransfer") for c in (usd, gbp)])


def test_an_update_changes_only_what_is_given(engine, currencies):
    usd, gbp, _ = currencies
    api = Api(engine)
    first = api.json("CreateOrUpdateTLD", extension=".org", epp_required="1",
                     currency_code="USD", **{"renew[1]": "10.00", "renew[2]": "20.00"})
    again = api.json("CreateOrUpdateTLD", extension="org", currency_code="GBP",
                     **{"renew[2]": "16.00"})
    assert again["id"] == first["id"]
    with engine.connect() as conn:
        assert count(engine, tbldomainpricing) == 1
        assert conn.execute(select(tbldomainpricing.c.eppcode)).scalar() == 1
        assert domain_price(conn, ".org", usd, 1, "renew") == D("10.00")
        assert domain_price(conn, ".org", usd, 2, "renew") == D("20.00")  # 16 / 0.8
        assert domain_price(conn, ".org", gbp, 2, "renew") == D("16.00")


def test_display_after_moves_a_tld(engine, currencies):
    api = Api(engine)
    for ext in (".com", ".net", ".org"):
        api.json("CreateOrUpdateTLD", extension=ext)
    assert api.json("CreateOrUpdateTLD", extension=".org", display_after=".com")["result"] \
        == "success"
    with engine.connect() as conn:
        order = conn.execute(select(tbldomainpricing.c.extension)
                             .order_by(tbldomainpricing.c.order)).scalars().all()
    assert order == [".com", ".org", ".net"]


@pytest.mark.parametrize("params, message", [
    ({"extension": " "}, "Extension is required"),
    ({"extension": "bad_tld"}, "Invalid extension: must be a domain extension like .com or "
                               ".co.uk"),
    ({"extension": ".-x"}, "Invalid extension: must be a domain extension like .com or "
                           ".co.uk"),
    ({"auto_registrar": "enom"}, "No Active Registrars - auto_registrar value cannot be "
                                 "defined"),
    ({"register[1]": "10"}, "Variable currency_code is required when defining pricing"),
    ({"grace_period_fee": "5", "currency_code": ""}, "Variable currency_code is required "
                                                     "when defining pricing"),
    ({"currency_code": "EUR", "renew[1]": "1"}, "Provided currency_code value does not "
                                                "exist. Must be one of: USD, GBP, XXX"),
    ({"currency_code": "XXX", "renew[1]": "1"}, "Provided currency_code XXX has no "
                                                "exchange rate"),
    ({"currency_code": "USD", "register": "10"}, "Parameters register, renew and transfer "
                                                 "must be arrays"),
    ({"currency_code": "USD", "register[11]": "10"}, "The maximum register period is 10 "
                                                     "years"),
    ({"currency_code": "USD", "renew[10]": "10"}, "The maximum renew period is 9 years"),
    ({"currency_code": "USD", "transfer[1]": "1", "transfer[2]": "2"},
     "Only one transfer period can be defined"),
    ({"currency_code": "USD", "transfer[11]": "1"}, "The maximum transfer period is 10 years"),
    ({"currency_code": "USD", "renew[0]": "1"}, "Invalid renew[0]: the key must be a number "
                                                "of years from 1"),
    ({"currency_code": "USD", "renew[1]": "-3"}, "Invalid renew[1]: must be an amount with "
                                                 "at most 2 decimals, or -1 for not offered"),
    ({"currency_code": "USD", "renew[1]": "1.005"}, "Invalid renew[1]: must be an amount "
                                                    "with at most 2 decimals, or -1 for not "
                                                    "offered"),
    ({"group": "cheap"}, "Invalid group parameter: cheap. Should be one of HOT, NEW, SALE"),
    ({"display_after": ".xyz"}, "Invalid display_after: no other TLD .xyz exists"),
])
def test_bad_input_is_refused_and_nothing_is_written(engine, currencies, params, message):
    reply = Api(engine).json("CreateOrUpdateTLD", **{"extension": ".net", **params})
    assert reply == {"result": "error", "message": message}
    assert count(engine, tbldomainpricing) == count(engine, tblpricing) == 0


def test_a_promoted_domain_renews_at_the_price_the_tld_was_given(engine, currencies):
    """The engine's domainrenew reading (rules §5.10) sees what CreateOrUpdateTLD wrote."""
    usd, gbp, _ = currencies
    api = Api(engine)
    api.json("CreateOrUpdateTLD", extension=".io", currency_code="USD",
             **{"renew[1]": "40.00"})
    today = dt.date.today()
    with transaction(engine) as conn:
        cid = b.make_client(conn, currency=gbp)
        promo = b.make_promotion(conn, code="IO", type="Fixed Amount", value="2.00")
        did = b.make_domain(conn, client=cid, domain="shop.io", amount="30.00")
        conn.execute(b.tbldomains.update().where(b.tbldomains.c.id == did).values(
            promoid=promo, nextduedate=today, nextinvoicedate=today))
    assert api.json("GenInvoices")["numcreated"] == "1"
    got = {ln["type"]: ln["amount"] for ln in lines(engine)}
    assert got == {"Domain": D("32.00"), "PromoDomain": D("-2.00")}  # 40.00 USD = 32.00 GBP


@pytest.mark.parametrize("activated_before", [False, True])
def test_the_demo_activates_the_gateway_its_items_use(engine, activated_before):
    with transaction(engine) as conn:
        if activated_before:
            activate_gateway(conn, "banktransfer", "Wire")
        assert seed_demo(conn, dt.date.today())
    methods = Api(engine).json("GetPaymentMethods")["paymentmethods"]["paymentmethod"]
    name = "Wire" if activated_before else "Bank Transfer"
    assert methods == [{"module": "banktransfer", "displayname": name}]
    with engine.connect() as conn:
        used = set(conn.execute(select(b.tblhosting.c.paymentmethod)).scalars())
    assert used == {"banktransfer"}
