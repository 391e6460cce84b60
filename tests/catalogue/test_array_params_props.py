"""The catalogue's array parameters (AddProduct's `pricing` and `recommendations`,
CreateOrUpdateTLD's `register`, `renew`, `transfer` and fees) are parsed by the actions
themselves, outside their ``Params``: for any PHP-style value, through api.php, the answer
is success or a WHMCS error, never a 500, and an error writes nothing (rules §12)."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import urlencode

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geninvoices.db import transaction
from geninvoices.models.whmcs import tbldomainpricing, tblpricing, tblproducts
from tests import builders as b
from tests.actions.http import Api
from tests.catalogue.world import add_group, count

edgy = st.sampled_from(["", " ", "0", "-1", "-1.00", "-2", "1.5", "1.005", "1e3", "+1",
                        "9999999999999.99", "99999999999999", "monthly", "MSETUPFEE",
                        "weekly", "1", "2", "11", "x", "\x00"])
value = st.recursive(edgy, lambda inner: st.lists(inner, max_size=3)
                     | st.dictionaries(edgy, inner, max_size=3), max_leaves=8)
SETTINGS = settings(max_examples=60, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


def form(name: str, given: object) -> list[tuple[str, str]]:
    """A PHP array as the form pairs that send it (``a[k][j]=v``)."""
    if isinstance(given, dict):
        return [pair for k, v in given.items() for pair in form(f"{name}[{k}]", v)]
    if isinstance(given, list):
        return [pair for v in given for pair in form(f"{name}[]", v)]
    return [(name, given)]


def answer(api: Api, action: str, pairs: list[tuple[str, str]]) -> dict:
    data = [("action", action), ("identifier", api.identifier), ("secret", api.secret),
            ("responsetype", "json"), *pairs]
    async def go():
        transport = httpx.ASGITransport(app=api.app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as http:
            return await http.post("/includes/api.php", content=urlencode(data), headers={
                "content-type": "application/x-www-form-urlencoded"})
    reply = asyncio.run(go())
    assert reply.status_code in (200, 400, 403), reply.text
    return json.loads(reply.text)


def test_add_product_arrays(engine):
    with transaction(engine) as conn:
        b.make_currency(conn)
        gid = add_group(conn, "G")
    api, seen = Api(engine), set()

    @SETTINGS
    @given(pricing=value, recommendations=value)
    def check(pricing, recommendations):
        before = count(engine, tblproducts), count(engine, tblpricing)
        body = answer(api, "AddProduct", [("gid", str(gid)), ("name", "P"),
                                          *form("pricing", pricing),
                                          *form("recommendations", recommendations)])
        assert body["result"] in ("success", "error"), body
        seen.add(body["result"])
        if body["result"] == "error":
            assert (count(engine, tblproducts), count(engine, tblpricing)) == before
    check()
    assert seen == {"success", "error"}


def test_create_or_update_tld_arrays(engine):
    with transaction(engine) as conn:
        b.make_currency(conn)
    api, seen = Api(engine), set()

    @SETTINGS
    @given(register=value, renew=value, transfer=value, fee=value)
    def check(register, renew, transfer, fee):
        before = count(engine, tbldomainpricing), count(engine, tblpricing)
        body = answer(api, "CreateOrUpdateTLD", [
            ("extension", ".com"), ("currency_code", "USD"), *form("register", register),
            *form("renew", renew), *form("transfer", transfer),
            *form("grace_period_fee", fee)])
        assert body["result"] in ("success", "error"), body
        seen.add(body["result"])
        if body["result"] == "error":
            assert (count(engine, tbldomainpricing), count(engine, tblpricing)) == before
    check()
    assert seen == {"success", "error"}
