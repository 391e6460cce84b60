"""GenInvoices end to end: HTTP in, invoices in the database, the email at an SMTP server."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import xml.etree.ElementTree as ET

import httpx
import pytest

from geninvoices import access
from geninvoices.app import create_app
from geninvoices.config import Settings
from geninvoices.db import transaction
from geninvoices.mailer import Sender
from tests import builders as b
from tests.engine.helpers import invoices, lines, outbox
from tests.smtp import SmtpServer

TODAY = dt.date.today()


def call(app, data, *, client=("127.0.0.1", 50000)):
    async def go():
        transport = httpx.ASGITransport(app=app, client=client)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as http:
            return await http.post("/includes/api.php", data=data)
    return asyncio.run(go())


@pytest.fixture
def setup(engine, tmp_path):
    smtp = SmtpServer(tmp_path / "maildir").start()
    with transaction(engine) as conn:
        ident, secret = access.create_credential(conn, allow=None)
        b.make_currency(conn)
        cid = b.make_client(conn, email="ada@example.com")
        pid = b.make_product(conn)
        sid = b.make_service(conn, client=cid, product=pid, amount="9.95",
                             regdate=TODAY, nextduedate=TODAY + dt.timedelta(days=3))
    settings = Settings(smtp_url=smtp.url, mail_from="billing@hosting.example",
                        database_url="sqlite://")
    app = create_app(settings, engine)
    auth = {"identifier": ident, "secret": secret}
    app.state.settings = settings
    yield app, auth, cid, sid, smtp
    smtp.stop()


def test_gen_invoices_answers_at_commit_and_the_sender_mails(setup, engine):
    app, auth, cid, sid, smtp = setup
    reply = call(app, {"action": "GenInvoices", "responsetype": "json", **auth})
    assert reply.status_code == 200
    body = json.loads(reply.text)
    assert body == {"result": "success", "numcreated": "1"}
    [inv] = invoices(engine)
    assert [ln["relid"] for ln in lines(engine)] == [sid]
    # answered once committed: the email waits for the background sender (no lifespan here)
    assert smtp.messages() == [] and outbox(engine)[0]["status"] == "queued"
    assert Sender(engine, app.state.settings).drain() is False
    [message] = smtp.messages()
    assert message["Message-ID"] == outbox(engine)[0]["message_id"]
    assert outbox(engine)[0]["status"] == "sent"
    again = json.loads(call(app, {"action": "geninvoices", "responsetype": "json", **auth}).text)
    assert again == {"result": "success", "numcreated": "0"}


def test_gen_invoices_for_a_client_in_xml_and_nvp(setup, engine):
    app, auth, cid, sid, smtp = setup
    reply = call(app, {"action": "GenInvoices", "clientid": str(cid), "noemails": "true", **auth})
    root = ET.fromstring(reply.text)
    [inv] = invoices(engine)
    assert root.findtext("action") == "geninvoices" and root.findtext("result") == "success"
    assert root.findtext("numcreated") == "1"
    assert root.findtext("latestinvoiceid") == str(inv["id"])
    assert smtp.messages() == [] and outbox(engine) == []  # noemails
    nvp = call(app, {"action": "GenInvoices", "clientid": str(cid), "responsetype": "nvp", **auth})
    assert nvp.text == "result=success;numcreated=0;latestinvoiceid=0;"


@pytest.mark.parametrize("encoding", [
    "serviceids[0]={sid}", "serviceids[]={sid}", "serviceids={sid}", "serviceids={sid},",
])
def test_listed_services_in_every_array_encoding(setup, engine, encoding):
    app, auth, cid, sid, smtp = setup
    with transaction(engine) as conn:
        pid = b.make_product(conn, name="Later")
        later = b.make_service(conn, client=cid, product=pid, amount="5.00", regdate=TODAY,
                               nextduedate=TODAY + dt.timedelta(days=200))
    body = "&".join([f"action=GenInvoices&responsetype=json&noemails=1&identifier="
                     f"{auth['identifier']}&secret={auth['secret']}",
                     encoding.format(sid=later)])

    async def go():
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 1))
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as http:
            return await http.post("/includes/api.php", content=body, headers={
                "content-type": "application/x-www-form-urlencoded"})
    reply = asyncio.run(go())
    assert json.loads(reply.text)["numcreated"] == "1"
    assert [ln["relid"] for ln in lines(engine)] == [later]  # the due one was not listed


@pytest.mark.parametrize("data, message", [
    ({"clientid": "abc"}, "Invalid clientid: must be a whole number"),
    ({"clientid": "-1"}, "Invalid clientid: must be a whole number"),
    ({"serviceids": "1,x"}, "Invalid serviceids: must be a list of whole numbers"),
    ({"clientid": "999999"}, "Client ID Not Found"),
])
def test_bad_input_is_a_whmcs_error_and_writes_nothing(setup, engine, data, message):
    app, auth, *_ = setup
    reply = call(app, {"action": "GenInvoices", "responsetype": "json", **auth, **data})
    assert reply.status_code == 200
    assert json.loads(reply.text) == {"result": "error", "message": message}
    assert invoices(engine) == []


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Pacific/Pago_Pago", "UTC"])
def test_today_is_taken_in_the_configured_time_zone(zone):
    from zoneinfo import ZoneInfo

    from geninvoices.clock import today_in
    before = dt.datetime.now(ZoneInfo(zone)).date()
    today = today_in(Settings(timezone=zone, database_url="sqlite://"))
    assert today in (before, dt.datetime.now(ZoneInfo(zone)).date())
