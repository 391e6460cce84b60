"""Hostile bytes at a real `geninvoices serve` on loopback (issue 11): a client that leaves
mid-body and a request line with raw 8-bit bytes leave one access line each, no traceback."""

from __future__ import annotations

import socket

import pytest

from tests.net import start_server, stop, wait_until_up


def send_raw(port: int, data: bytes, *, read: bool) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(data)
        if not read:
            return b""  # leave with the body half sent
        conn.shutdown(socket.SHUT_WR)
        reply = b""
        while chunk := conn.recv(65536):
            reply += chunk
        return reply


@pytest.mark.slow
def test_a_served_app_logs_hostile_requests_in_one_line_each(tmp_path):
    log_path = tmp_path / "server.log"
    with open(log_path, "wb") as log:
        server, url = start_server(f"sqlite:///{tmp_path / 'served.db'}", log=log)
        try:
            wait_until_up(url)
            port = int(url.split(":")[2].split("/")[0])
            for _ in range(3):
                send_raw(port, b"POST /includes/api.php HTTP/1.1\r\nHost: x\r\nContent-Type: "
                         b"application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n"
                         b"action=Get", read=False)
            raw = send_raw(port, b"GET /includes/api.php?responsetype=json&a=\xc3\xff HTTP/1.1"
                           b"\r\nHost: x\r\nConnection: close\r\n\r\n", read=True)
            wait_until_up(url)  # and it still answers
        finally:
            stop(server)
    text = log_path.read_text("utf-8", "replace")
    assert "Traceback" not in text and "Exception in ASGI application" not in text, text
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200") or head.startswith(b"HTTP/1.1 400"), raw
    if head.startswith(b"HTTP/1.1 200"):  # uvicorn passed the bytes on: refused as not UTF-8
        assert b"parameters must be UTF-8 text" in body
    left = [line for line in text.splitlines()
            if "api action=- " in line and "method=POST status=200 outcome=error" in line]
    assert len(left) == 3, text  # one line per client that left, none longer
