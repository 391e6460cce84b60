"""Calling api.php through the ASGI app, as a client on a given address would."""

from __future__ import annotations

import asyncio
import json

import httpx

from geninvoices import access
from geninvoices.app import create_app
from geninvoices.config import Settings
from geninvoices.db import transaction


def call(app, data, *, client=("127.0.0.1", 50000)) -> httpx.Response:
    async def go():
        transport = httpx.ASGITransport(app=app, client=client)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as http:
            return await http.post("/includes/api.php", data=data)
    return asyncio.run(go())


class Api:
    """An app on the test's engine with one credential; ``json()`` returns parsed replies."""

    def __init__(self, engine, settings: Settings | None = None, allow=None):
        with transaction(engine) as conn:
            self.identifier, self.secret = access.create_credential(conn, allow=allow)
        self.app = create_app(settings or Settings(database_url="sqlite://"), engine)

    def post(self, action: str, **params) -> httpx.Response:
        return call(self.app, {"action": action, "identifier": self.identifier,
                               "secret": self.secret, "responsetype": "json", **params})

    def json(self, action: str, **params) -> dict:
        return json.loads(self.post(action, **params).text)
