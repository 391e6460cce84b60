"""Throw-away databases and a real `geninvoices serve` for the benchmarks.

``Scratch`` turns a ``--database-url`` into fresh, uniquely named databases of the same kind
and removes them afterwards: files in a temporary directory for SQLite, ``CREATE DATABASE`` /
``DROP DATABASE`` on the server the URL names for PostgreSQL and MariaDB (the URL's own
database is only used to connect).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from geninvoices.config import normalise_database_url

SHORTCUTS = {
    "sqlite": "sqlite://",
    "postgresql": os.environ.get("GENINVOICES_TEST_PG_URL",
                                 "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"),
    "mariadb": os.environ.get("GENINVOICES_TEST_MARIADB_URL",
                              "mysql+pymysql://root@127.0.0.1:3306/mysql"),
}


class Scratch:
    """Fresh databases on the server (or in the directory) a URL names; ``drop_all`` ends them."""

    def __init__(self, url: str):
        self.url = make_url(normalise_database_url(SHORTCUTS.get(url, url)))
        self.kind = self.url.get_backend_name()  # sqlite, postgresql or mysql
        self.tag = uuid.uuid4().hex[:8]
        self.made: list[str] = []
        self.workdir: Path | None = None

    @property
    def label(self) -> str:
        return {"mysql": "mariadb"}.get(self.kind, self.kind)

    def create(self, role: str) -> str:
        name = f"gi_bench_{self.tag}_{role}"
        if self.kind == "sqlite":
            if self.workdir is None:
                base = Path(self.url.database).parent if self.url.database else None
                self.workdir = Path(tempfile.mkdtemp(prefix="gi-bench-", dir=base))
            return f"sqlite:///{self.workdir / (name + '.db')}"
        with self._admin() as conn:
            if self.kind == "postgresql":
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            else:
                conn.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 "
                                  "COLLATE utf8mb4_unicode_ci"))
        self.made.append(name)
        return self.url.set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
        for name in self.made:
            with self._admin() as conn:
                if self.kind == "postgresql":
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                else:
                    conn.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
        self.made.clear()

    def _admin(self):
        return create_engine(self.url, isolation_level="AUTOCOMMIT").connect()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`geninvoices serve --workers N` (1 by default) on a free loopback port, its output in
    a log file."""

    def __init__(self, database_url: str, log_path: Path, workers: int = 1):
        self.port = free_port()
        self.log_path = log_path
        self.log = open(log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "geninvoices.cli", "serve", "--workers", str(workers),
             "--port", str(self.port)],
            env={**os.environ, "GENINVOICES_DATABASE_URL": database_url},
            stdout=self.log, stderr=subprocess.STDOUT)
        self.base = f"http://127.0.0.1:{self.port}"
        self.endpoint = f"{self.base}/includes/api.php"

    def wait_until_up(self, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"serve exited: see {self.log_path}\n{self.tail()}")
            try:  # any answer will do; not api.php, where an empty call is a failed login
                httpx.get(f"{self.base}/", timeout=2)
                return
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError(f"serve did not answer within {seconds} s\n{self.tail()}")

    def peak_rss_mib(self) -> float:
        """VmHWM: the most resident memory the server process ever had."""
        return self._proc_value("status", "VmHWM:") / 1024

    def written_mib(self) -> float:
        """What the server process has had written to storage (``write_bytes`` of
        /proc/PID/io): on SQLite, which writes in-process, the database's own writes."""
        return self._proc_value("io", "write_bytes:") / 2**20

    def _proc_value(self, file: str, key: str) -> int:
        """The number after ``key`` in /proc/PID/``file`` (kB in status, bytes in io)."""
        for line in Path(f"/proc/{self.process.pid}/{file}").read_text().splitlines():
            if line.startswith(key):
                return int(line.split()[1])
        raise RuntimeError(f"no {key} in /proc/{self.process.pid}/{file}")

    def tail(self, lines: int = 30) -> str:
        if not self.log.closed:
            self.log.flush()
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.log.close()
