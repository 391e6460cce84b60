"""Loopback helpers for tests that start real processes: free ports, servers, waiting."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(endpoint: str, attempts: int = 300) -> None:
    """Until the server answers at all (any status)."""
    for _ in range(attempts):
        try:
            httpx.post(endpoint, data={}, timeout=2)
            return
        except httpx.TransportError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing answers at {endpoint}")


def start_server(database_url: str, *, workers: int = 1, env: dict | None = None,
                 log=None) -> tuple[subprocess.Popen, str]:
    """`geninvoices serve` on a free loopback port; returns the process and api.php's URL.
    ``log``: an open file that gets the server's output (discarded otherwise)."""
    port = free_port()
    output = log if log is not None else subprocess.DEVNULL
    process = subprocess.Popen(
        [sys.executable, "-m", "geninvoices.cli", "serve", "--workers", str(workers),
         "--port", str(port)],
        env={**os.environ, "GENINVOICES_DATABASE_URL": database_url, **(env or {})},
        stdout=output, stderr=output)
    return process, f"http://127.0.0.1:{port}/includes/api.php"


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
    process.wait(30)
