"""``GET /invoices/{id}`` (HTML) and ``/invoices/{id}.pdf`` (rules §15).

Opened with an API credential allowed GetInvoice (as query parameters ``identifier`` and
``secret``, or ``username`` and ``password``, or HTTP Basic ``identifier:secret``), checked
like an API call (allow-list, lockout, permission); or with a signed link
(``expires`` and ``signature``) that needs no credential and no allowed address: the link is
the permission, for that invoice only, until it expires. Reading and rendering run on the
front door's threads, never on the event loop.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import re
import time

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .. import errors
from ..clock import today_in
from ..db import transaction, translate
from ..documents import links
from ..documents.model import load_document
from ..documents.render import Renderer
from . import observe
from .auth import client_address
from .frontdoor import FrontDoor, Reply
from .handlers import error_reply

NAME = re.compile(r"([1-9][0-9]{0,9})(\.pdf)?")
ACTION = "GetInvoice"
LOGGED_AS = "invoicedocument"


def _credentials(request: Request) -> dict:
    params = {k: v for k, v in request.query_params.items()
              if k in ("identifier", "secret", "username", "password", "accesskey")}
    header = request.headers.get("authorization", "")
    if header[:6].lower() == "basic ":
        try:
            ident, _, secret = base64.b64decode(header[6:], validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            ident, secret = "", ""
        params.update(identifier=ident, secret=secret)
    return {"action": ACTION, **params}


def _render(front: FrontDoor, renderer: Renderer, invoice_id: int, pdf: bool) -> bytes:
    with transaction(front.engine, write=False) as conn:
        doc = load_document(conn, invoice_id, today_in(front.settings))
    if doc is None:
        raise errors.NotFound("Invoice ID Not Found")
    return renderer.pdf(doc) if pdf else renderer.html(doc).encode("utf-8")


def _open(front: FrontDoor, renderer: Renderer, request: Request, address: str,
          invoice_id: int, pdf: bool) -> tuple[bytes, str]:
    """(document, caller) on a front-door thread: who may see it, then the document."""
    query = request.query_params
    if "signature" in query:
        links.verify(front.settings.invoice_link_secret, invoice_id,
                     query.get("expires", ""), query.get("signature", ""), int(time.time()))
        return _render(front, renderer, invoice_id, pdf), "signed-link"
    who = front.authorize(_credentials(request), address)
    return _render(front, renderer, invoice_id, pdf), who.identifier


async def invoice_document(request: Request) -> Response:
    started = time.perf_counter()
    front: FrontDoor = request.app.state.front_door
    address = client_address(request.client.host if request.client else None,
                             request.headers.getlist("x-forwarded-for"), front.auth.trusted)
    match = NAME.fullmatch(request.path_params["name"])
    if match is None:
        return Response("Not Found\n", 404, media_type="text/plain")
    invoice_id, pdf = int(match.group(1)), bool(match.group(2))
    caller, outcome = "", "success"
    try:
        refused = None if "signature" in request.query_params else front.auth.refusal(
            _credentials(request), address)
        if refused is not None:
            raise refused
        body, caller = await asyncio.get_running_loop().run_in_executor(
            front.threads, _open, front, request.app.state.renderer, request, address,
            invoice_id, pdf)
        response = _document_response(body, invoice_id, pdf)
    except Exception as error:  # noqa: BLE001 - every error becomes a short reply
        error = translate(error)
        status, message = error_reply(error)
        status = 404 if isinstance(error, errors.NotFound) else status
        outcome = type(error).__name__
        response = Response(message + "\n", status, media_type="text/plain")
    observe.record(Reply(response.status_code, "", "", LOGGED_AS, caller, outcome),
                   request.method, address, time.perf_counter() - started)
    return response


def _document_response(body: bytes, invoice_id: int, pdf: bool) -> Response:
    if not pdf:
        return Response(body, 200, media_type="text/html; charset=utf-8")
    return Response(body, 200, media_type="application/pdf", headers={
        "content-disposition": f'inline; filename="Invoice-{invoice_id}.pdf"'})


def invoice_routes() -> list[Route]:
    return [Route("/invoices/{name}", invoice_document, methods=["GET"])]
