"""``/includes/api.php``: read the request within its limits, then hand it to the front door.

Each call leaves one log line and its counters (``observe.record``): never a query string or
a body, which can carry secrets.
"""

from __future__ import annotations

import asyncio
import time

from fastapi import APIRouter
from starlette.requests import ClientDisconnect, Request
from starlette.routing import Route

from ..errors import GenInvoicesError, RequestError, RequestTooLarge
from . import observe, phpform
from .auth import client_address
from .frontdoor import FrontDoor, Reply

router = APIRouter()


async def api_php(scope, receive, send) -> None:
    """The endpoint as a plain ASGI app: it uses none of FastAPI's request, dependency and
    response machinery, which costs time on every call (benchmarks/README.md)."""
    started = time.perf_counter()
    request = Request(scope, receive)
    front: FrontDoor = scope["app"].state.front_door
    address = client_address(request.client.host if request.client else None,
                             request.headers.getlist("x-forwarded-for"), front.auth.trusted)
    reply = await _answer(request, front, address)
    observe.record(reply, request.method, address, time.perf_counter() - started)
    body = reply.body.encode("utf-8")
    await send({"type": "http.response.start", "status": reply.status,
                "headers": [(b"content-length", str(len(body)).encode("ascii")),
                            (b"content-type", reply.content_type.encode("ascii"))]})
    await send({"type": "http.response.body", "body": body})


class _Asgi:
    """Starlette calls a route's endpoint as a plain ASGI app when it is no function."""
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        await self.app(scope, receive, send)


def api_php_route() -> Route:
    """The route itself: added to the app as it is (``include_router`` would rebuild it)."""
    route = Route("/includes/api.php", _Asgi(api_php), methods=["GET", "POST"])
    route.methods = {"GET", "POST"}  # Starlette adds HEAD to GET; it never was an API call
    return route


async def _answer(request: Request, front: FrontDoor, address: str) -> Reply:
    limits = request.app.state.limits
    query: dict = {}
    raw_query, received = request.scope["query_string"], []
    try:
        query = phpform.build(phpform.parse_urlencoded(raw_query, limits), limits)
        body = await _read_body(request, front.settings, received)
        params = phpform.overlay(query, await _body_params(request, body, limits))
    except GenInvoicesError as error:
        sniffed = phpform.sniff_responsetype(raw_query, b"".join(received))
        return front.reject({**query, **sniffed}, error)
    return await front.answer(params, address)


async def _read_body(request: Request, settings, chunks: list[bytes]) -> bytes:
    """The body within its limits, gathered into ``chunks`` (read so far, if refused)."""
    limit = settings.max_body_bytes
    declared = request.headers.get("content-length", "")
    # ASCII digits only: "²" is a digit to str.isdigit() and no number to int()
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise RequestTooLarge(f"body over {limit} bytes")
    size = 0

    async def read() -> None:
        nonlocal size
        async for chunk in request.stream():
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
    body = b"".join(chunks)
    request._body = body  # so request.form() can parse multipart from memory
    return body


async def _body_params(request: Request, body: bytes, limits: phpform.Limits) -> dict:
    if not body:
        return {}
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "application/x-www-form-urlencoded":
        return phpform.build(phpform.parse_urlencoded(body, limits), limits)
    if kind == "application/json":
        return phpform.from_json(body, limits)
    if kind == "multipart/form-data":
        return phpform.build(await _multipart_pairs(request, limits), limits)
    return {}  # any other body is ignored, as PHP ignores it


async def _multipart_pairs(request: Request, limits: phpform.Limits) -> list[tuple[str, str]]:
    try:
        form = await request.form(max_files=limits.max_params, max_fields=limits.max_params)
    except Exception as error:  # malformed multipart or over its limits
        if "Too many" in str(error):
            raise RequestTooLarge(f"more than {limits.max_params} parameters") from None
        raise RequestError("Invalid request: malformed multipart body") from None
    return [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
