"""Calling an ASGI app with the exact bytes a client sent: a query string or a header that an
HTTP client library would refuse to send still reaches servers such as uvicorn."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Reply:
    status_code: int
    headers: dict[str, str]
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8")


async def call(app, method: str, query: bytes, body: bytes, headers: list[tuple[str, str]],
               client: tuple[str, int]) -> Reply:
    """One request straight into the ASGI app, bytes as a client sent them (no HTTP client
    in between that would tidy up a query string or a header)."""
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": method, "scheme": "http", "path": "/includes/api.php",
             "raw_path": b"/includes/api.php", "query_string": query, "root_path": "",
             "headers": [(b"host", b"api"), *((k.encode(), _raw(v)) for k, v in headers)],
             "client": client, "server": ("api", 80)}
    if not any(k.lower() == "content-length" for k, _ in headers):
        scope["headers"].append((b"content-length", str(len(body)).encode()))
    chunks = [body[i:i + 16384] for i in range(0, len(body), 16384)] or [b""]
    events = [{"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
              for i, c in enumerate(chunks)]
    sent: list[dict] = []

    async def receive():
        return events.pop(0) if events else {"type": "http.disconnect"}

    async def send(event):
        sent.append(event)

    await app(scope, receive, send)
    start = next(e for e in sent if e["type"] == "http.response.start")
    reply_headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in start["headers"]}
    content = b"".join(e.get("body", b"") for e in sent if e["type"] == "http.response.body")
    return Reply(start["status"], reply_headers, content)


def _raw(value: str) -> bytes:
    """A header's bytes: latin-1 as servers decode them, else the client's UTF-8."""
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("utf-8")
