"""Installs anywhere (issue 12 point 3): a wheel built from the source tree, installed into a
fresh venv, migrates and serves the demo from a directory that is not the repository."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import httpx
import pytest

from geninvoices.migrate import head_revision
from tests.net import free_port, stop, wait_until_up

ROOT = Path(__file__).resolve().parents[1]


def run(args, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(args, capture_output=True, text=True, timeout=300, **kwargs)
    assert result.returncode == 0, (args, result.stdout, result.stderr)
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A venv holding only the built wheel; the dependencies come from this interpreter's
    site-packages through a .pth line (its editable geninvoices is not activated that way:
    a path added by a .pth line is not scanned for .pth files of its own)."""
    base = tmp_path_factory.mktemp("install")
    source = base / "source"  # a copy, so the build leaves nothing in the repository
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".venv", ".git", "__pycache__", "*.egg-info", "build", "tests", "benchmarks", "*.db"))
    wheels = base / "wheels"
    run([sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "-q", "-w",
         str(wheels)])
    venv = base / "venv"
    run([sys.executable, "-m", "venv", str(venv)])
    python = venv / "bin" / "python"
    run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index",
         *map(str, wheels.glob("geninvoices-*.whl"))])
    site = run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"])
    Path(site.stdout.strip(), "dependencies.pth").write_text(
        sysconfig.get_path("purelib") + "\n")
    return venv


def test_the_wheel_ships_the_migrations(installed):
    python = installed / "bin" / "python"
    where = run([str(python), "-c", "import geninvoices.migrate as m; print(m.MIGRATIONS)"],
                cwd=installed)
    migrations = Path(where.stdout.strip())
    assert migrations.is_relative_to(installed), migrations  # not the source tree
    assert (migrations / "env.py").exists() and (migrations / "frozen" / "whmcs_0001.sql").exists()
    assert {p.name[:4] for p in (migrations / "versions").glob("*.py")} >= {"0001", "0005"}
    templates = migrations.parent / "documents" / "templates"  # data folders ship too
    assert {p.name for p in templates.iterdir()} >= {"invoice.html", "invoice.css", "email.html"}


def test_migrate_and_serve_demo_from_the_wheel(installed, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["GENINVOICES_DATABASE_URL"] = f"sqlite:///{tmp_path / 'billing.db'}"
    command = str(installed / "bin" / "geninvoices")
    first = run([command, "migrate"], cwd=elsewhere, env=env)
    assert first.stdout.startswith("created a new database"), first.stdout
    again = run([command, "migrate"], cwd=elsewhere, env=env)
    assert again.stdout.strip() == f"already up to date (revision {head_revision()})"
    port, log = free_port(), tmp_path / "serve.log"
    with open(log, "w") as errors:
        server = subprocess.Popen([command, "serve", "--demo", "--port", str(port)],
                                  cwd=elsewhere, env=env, stdout=subprocess.PIPE,
                                  stderr=errors, text=True)
    try:
        line = server.stdout.readline().strip()
        assert line.startswith("curl -s "), (line, log.read_text())
        fields = dict(part.split("=", 1) for part in line.split(" -d ")[1:])
        endpoint = f"http://127.0.0.1:{port}/includes/api.php"
        wait_until_up(endpoint)
        assert httpx.post(endpoint, data=fields).json() == {"result": "success",
                                                            "numcreated": "1"}
    finally:
        stop(server)
    assert list(elsewhere.iterdir()) == []  # nothing created in the working directory
