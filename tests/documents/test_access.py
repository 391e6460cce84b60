"""GET /invoices/ID and /invoices/ID.pdf: a credential allowed GetInvoice, checked like an API
call, or a signed link that expires (rules §15)."""

from __future__ import annotations

import asyncio
import base64
import time

import httpx
import pytest

from geninvoices import access
from geninvoices.app import create_app
from geninvoices.config import Settings
from geninvoices.db import transaction
from geninvoices.documents import links
from tests.documents import kinds

SECRET = "s3cret-for-invoice-links-0123456789"
OUTSIDER = ("203.0.113.9", 40000)  # not on the allow-list


def get(app, path, *, params=None, headers=None, client=("127.0.0.1", 50000)):
    async def go():
        transport = httpx.ASGITransport(app=app, client=client)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as http:
            return await http.get(path, params=params, headers=headers)
    return asyncio.run(go())


@pytest.fixture
def world(engine):
    kinds.setup_currency(engine)
    billed = kinds.exclusive_tax(engine)
    with transaction(engine) as conn:
        allowed = access.create_credential(conn, allow=["GetInvoice"])
        other = access.create_credential(conn, allow=["GetInvoices"])
    app = create_app(Settings(database_url="sqlite://", invoice_link_secret=SECRET), engine)
    return app, billed.invoice_id, allowed, other


def creds(pair):
    return {"identifier": pair[0], "secret": pair[1]}


def test_a_credential_allowed_getinvoice_opens_html_and_pdf(world):
    app, invoice, allowed, _ = world
    page = get(app, f"/invoices/{invoice}", params=creds(allowed))
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert f"Invoice #{invoice}" in page.text and "$18.60 USD" in page.text
    pdf = get(app, f"/invoices/{invoice}.pdf", params=creds(allowed))
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert f'filename="Invoice-{invoice}.pdf"' in pdf.headers["content-disposition"]


def test_http_basic_carries_the_credential(world):
    app, invoice, allowed, _ = world
    token = base64.b64encode(f"{allowed[0]}:{allowed[1]}".encode()).decode()
    page = get(app, f"/invoices/{invoice}", headers={"authorization": f"Basic {token}"})
    assert page.status_code == 200


@pytest.mark.parametrize("case", ["none", "wrong secret", "other action", "bad basic"])
def test_refused_callers_get_403_and_no_document(world, case):
    app, invoice, allowed, other = world
    params, headers = {}, {}
    if case == "wrong secret":
        params = {"identifier": allowed[0], "secret": "not-it"}
    elif case == "other action":
        params = creds(other)
    elif case == "bad basic":
        headers = {"authorization": "Basic !!!not-base64"}
    reply = get(app, f"/invoices/{invoice}.pdf", params=params, headers=headers)
    assert reply.status_code == 403
    assert not reply.content.startswith(b"%PDF") and "Traceback" not in reply.text


def test_an_address_off_the_allow_list_is_refused_even_with_a_credential(world):
    app, invoice, allowed, _ = world
    reply = get(app, f"/invoices/{invoice}", params=creds(allowed), client=OUTSIDER)
    assert reply.status_code == 403 and "Invalid IP" in reply.text


@pytest.mark.parametrize("path", ["/invoices/999999", "/invoices/999999.pdf",
                                  "/invoices/abc", "/invoices/0", "/invoices/12.png",
                                  "/invoices/99999999999999999999"])
def test_unknown_or_malformed_invoices_are_404(world, path):
    app, _, allowed, _ = world
    assert get(app, path, params=creds(allowed)).status_code == 404


def test_a_signed_link_opens_its_invoice_from_anywhere_until_it_expires(world):
    app, invoice, _, _ = world
    query = links.sign(SECRET, invoice, int(time.time()), 3600)
    reply = get(app, f"/invoices/{invoice}.pdf", params=query, client=OUTSIDER)
    assert reply.status_code == 200 and reply.content.startswith(b"%PDF")
    assert get(app, f"/invoices/{invoice}", params=query, client=OUTSIDER).status_code == 200


@pytest.mark.parametrize("case", ["expired", "tampered", "other invoice", "other secret",
                                  "bad expiry", "no expiry"])
def test_a_bad_signed_link_is_refused(world, case):
    app, invoice, _, _ = world
    now = int(time.time())
    query = links.sign(SECRET, invoice, now, 3600)
    target = invoice
    if case == "expired":
        query = links.sign(SECRET, invoice, now - 7200, 3600)
    elif case == "tampered":
        query["signature"] = query["signature"][:-1] + ("0" if query["signature"][-1] != "0"
                                                        else "1")
    elif case == "other invoice":
        target = invoice + 1
    elif case == "other secret":
        query = links.sign("another-secret-of-enough-length", invoice, now, 3600)
    elif case == "bad expiry":
        query["expires"] = "soon"
    elif case == "no expiry":
        del query["expires"]
    reply = get(app, f"/invoices/{target}.pdf", params=query, client=OUTSIDER)
    assert reply.status_code == 403 and "Invalid or expired invoice link" in reply.text


def test_without_a_link_secret_no_link_opens_anything(engine):
    kinds.setup_currency(engine)
    billed = kinds.with_credit(engine)
    app = create_app(Settings(database_url="sqlite://"), engine)
    query = links.sign(SECRET, billed.invoice_id, int(time.time()), 3600)
    assert get(app, f"/invoices/{billed.invoice_id}", params=query).status_code == 403
    with pytest.raises(Exception, match="INVOICE_LINK_SECRET"):
        links.sign("", billed.invoice_id, 0, 60)


def test_each_document_request_leaves_one_access_line(world, caplog):
    app, invoice, allowed, _ = world
    with caplog.at_level("INFO", logger="geninvoices.access"):
        get(app, f"/invoices/{invoice}.pdf", params=creds(allowed))
    lines = [r.getMessage() for r in caplog.records if r.name == "geninvoices.access"]
    assert len(lines) == 1 and "action=invoicedocument" in lines[0]
    assert allowed[1] not in lines[0]  # never a secret
