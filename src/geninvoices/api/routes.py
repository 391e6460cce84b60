"""``/includes/api.php``: read the request within its limits, then hand it to the front door.

Each call leaves one log line and its counters (``observe.record``): never a query string or
a body, which can carry secrets.
"""

from __future__ import annotations

import asyncio
import logging
import time

from fastapi import APIRouter
from starlette.requests import ClientDisconnect, Request
from starlette.routing import Route

from ..errors import GenInvoicesError, RequestError, RequestTooLarge
from . import observe, phpform
from .auth import client_address
from .frontdoor import FrontDoor, Reply

router = APIRouter()


API_PATH = "/includes/api.php"
logger = logging.getLogger("geninvoices.api")


async def answer_api_php(scope, receive, send) -> None:
    """The endpoint as a plain ASGI app: it uses none of Starlette's request and response
    machinery, which costs time on every call (benchmarks/README.md). The app calls it before
    any middleware (app.GenInvoicesApp), so it answers an error it did not expect itself, as
    Starlette's outermost middleware would: 500, logged with its traceback."""
    try:
        reply = await _reply(scope, receive)
        status, kind, body = reply.status, reply.content_type, reply.body.encode("utf-8")
    except Exception:  # noqa: BLE001 - a bug must not leave the client without an answer
        logger.exception("unexpected error answering %s", API_PATH)
        status, kind, body = 500, "text/plain; charset=utf-8", b"Internal Server Error"
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-length", str(len(body)).encode("ascii")),
                            (b"content-type", kind.encode("ascii"))]})
    await send({"type": "http.response.body", "body": body})


async def _reply(scope, receive) -> Reply:
    started = time.perf_counter()
    call = Call(scope, receive)
    front: FrontDoor = scope["app"].state.front_door
    peer = scope.get("client")
    address = client_address(peer[0] if peer else None, call.headers("x-forwarded-for"),
                             front.auth.trusted)
    reply = await _answer(call, front, address)
    observe.record(reply, scope["method"], address, time.perf_counter() - started)
    return reply


class Call:
    """One request's scope and receive, with its headers read as Starlette reads them (names
    lower-case, values latin-1)."""

    def __init__(self, scope, receive):
        self.scope, self.receive = scope, receive

    def headers(self, name: str) -> list[str]:
        key = name.encode("latin-1")
        return [value.decode("latin-1") for k, value in self.scope["headers"] if k == key]

    def header(self, name: str) -> str:
        found = self.headers(name)
        return found[0] if found else ""

    async def chunks(self):
        """The body as it arrives; a client that leaves before its end raises."""
        while True:
            message = await self.receive()
            if message["type"] == "http.disconnect":
                raise ClientDisconnect()
            yield message.get("body", b"")
            if not message.get("more_body", False):
                return

    def request(self, body: bytes) -> Request:
        """A Starlette request over the body already read (multipart parsing needs one)."""
        request = Request(self.scope, self.receive)
        request._body = body
        return request


class _Asgi:
    """Starlette calls a route's endpoint as a plain ASGI app when it is no function."""
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        await self.app(scope, receive, send)


def api_php_route() -> Route:
    """The route itself: added to the app as it is (``include_router`` would rebuild it)."""
    route = Route(API_PATH, _Asgi(answer_api_php), methods=["GET", "POST"])
    route.methods = {"GET", "POST"}  # Starlette adds HEAD to GET; it never was an API call
    return route


async def _answer(call: Call, front: FrontDoor, address: str) -> Reply:
    limits = call.scope["app"].state.limits
    query: dict = {}
    raw_query, received = call.scope["query_string"], []
    try:
        query = phpform.build(phpform.parse_urlencoded(raw_query, limits), limits)
        body = await _read_body(call, front.settings, received)
        params = phpform.overlay(query, await _body_params(call, body, limits))
    except GenInvoicesError as error:
        sniffed = phpform.sniff_responsetype(raw_query, b"".join(received))
        return front.reject({**query, **sniffed}, error)
    return await front.answer(params, address)


async def _read_body(call: Call, settings, chunks: list[bytes]) -> bytes:
    """The body within its limits, gathered into ``chunks`` (read so far, if refused)."""
    limit = settings.max_body_bytes
    declared = call.header("content-length")
    # ASCII digits only: "²" is a digit to str.isdigit() and no number to int()
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise RequestTooLarge(f"body over {limit} bytes")
    size = 0

    async def read() -> None:
        nonlocal size
        async for chunk in call.chunks():
            size += len(chunk)
            if size > limit:
                raise RequestTooLarge(f"body over {limit} bytes")
            chunks.append(chunk)
    try:
        async with asyncio.timeout(settings.read_timeout_seconds):  # no task, unlike wait_for
            await read()
    except TimeoutError:
        raise RequestTooLarge(
            f"body not received within {settings.read_timeout_seconds:g} seconds") from None
    except ClientDisconnect:  # nobody is left to answer; the access line says enough
        raise RequestError("Invalid request: the client left before the body ended") from None
    return b"".join(chunks)


async def _body_params(call: Call, body: bytes, limits: phpform.Limits) -> dict:
    if not body:
        return {}
    kind = call.header("content-type").split(";")[0].strip().lower()
    if kind == "application/x-www-form-urlencoded":
        return phpform.build(phpform.parse_urlencoded(body, limits), limits)
    if kind == "application/json":
        return phpform.from_json(body, limits)
    if kind == "multipart/form-data":
        return phpform.build(await _multipart_pairs(call.request(body), limits), limits)
    return {}  # any other body is ignored, as PHP ignores it


async def _multipart_pairs(request: Request, limits: phpform.Limits) -> list[tuple[str, str]]:
    try:
        form = await request.form(max_files=limits.max_params, max_fields=limits.max_params)
    except Exception as error:  # malformed multipart or over its limits
        if "Too many" in str(error):
            raise RequestTooLarge(f"more than {limits.max_params} parameters") from None
        raise RequestError("Invalid request: malformed multipart body") from None
    return [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
