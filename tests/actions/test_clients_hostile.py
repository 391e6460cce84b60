"""Odd values in every client action's parameters (rules §11): each call answers success or a
WHMCS-style error, never a 500, and a refused write changes nothing."""

from __future__ import annotations

import random

from sqlalchemy import func, select

from geninvoices.db import transaction
from geninvoices.models.whmcs import tblclients, tblcredit
from tests import builders as b
from tests.actions.http import Api
from tests.fuzz.hostile import ODD_TEXT

ACTIONS = ["AddClient", "UpdateClient", "GetClients", "GetClientsDetails", "CloseClient"]
PARAMS = ["clientid", "clientemail", "email", "firstname", "lastname", "companyname",
          "address1", "city", "state", "postcode", "country", "phonenumber", "tax_id",
          "password2", "currency", "groupid", "credit", "taxexempt", "separateinvoices",
          "paymentmethod", "status", "skipvalidation", "limitstart", "limitnum", "sorting",
          "orderby", "search", "stats", "owner_user_id", "securityqid", "marketingoptin",
          "email_preferences[domain]", "email_preferences", "language", "notes"]
GOOD = {"firstname": "A", "lastname": "B", "email": "a@example.com", "address1": "1 Road",
        "city": "Town", "state": "S", "postcode": "1", "country": "GB", "phonenumber": "123"}


def counts(engine) -> tuple[int, int]:
    with engine.connect() as conn:
        return (conn.execute(select(func.count()).select_from(tblclients)).scalar(),
                conn.execute(select(func.count()).select_from(tblcredit)).scalar())


def test_odd_values_never_break_a_client_action(engine):
    with transaction(engine) as conn:
        b.make_currency(conn)
        client = b.make_client(conn)
    api, rng = Api(engine), random.Random(13)
    for n in range(150):
        action = rng.choice(ACTIONS)
        params = {**GOOD, "clientid": str(client)} if rng.random() < 0.5 else {}
        for _ in range(rng.randint(1, 3)):
            params[rng.choice(PARAMS)] = rng.choice(ODD_TEXT)
        params["email"] = params.get("email", "") + (f"{n}" if action == "AddClient" else "")
        before = counts(engine)
        reply = api.post(action, **params)
        assert reply.status_code == 200, (action, params, reply.text)
        body = reply.json()
        assert body["result"] in ("success", "error"), body
        if body["result"] == "error":
            assert counts(engine) == before and body["message"], (action, params, body)
