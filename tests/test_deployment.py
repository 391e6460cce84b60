"""The deployment as written (issue 12 point 7): docker-compose.yml checked by compose itself
(no engine needed) and against what the issue requires, the Dockerfile's shape, its health
check and the container's start script run for real against a database."""

from __future__ import annotations

import ipaddress
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import yaml

from tests.net import free_port, stop, wait_until_up

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = (ROOT / "Dockerfile").read_text()
DATABASES = ("postgres", "mariadb")
PASSWORDS = {"POSTGRES_PASSWORD": "pg0secret0pw", "MARIADB_PASSWORD": "maria0secret0pw"}


def compose_tool() -> list[str] | None:
    """`docker compose` (the plugin) or Debian's `docker-compose`; .ci/run installs one."""
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"],
                                 capture_output=True).returncode == 0:
        return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy else None


def compose_config(env: dict, *extra: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in PASSWORDS}
    return subprocess.run([*compose_tool(), "-f", str(COMPOSE), *extra, "config"],
                          env={**base, **env}, cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


def resolved() -> dict:
    """The file as compose sees it (both profiles), or read directly when no compose tool
    could be installed."""
    if compose_tool() is None:
        text = COMPOSE.read_text()
        for name, value in PASSWORDS.items():
            text = re.sub(r"\$\{" + name + r":[?-][^}]*\}", value, text)
        text = re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", text)
        return yaml.safe_load(text)
    result = compose_config(PASSWORDS, "--profile", "mariadb")
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


def test_compose_accepts_the_file_and_insists_on_a_database_password():
    if compose_tool() is None:  # no tool: the YAML at least must parse as compose's shape
        assert set(yaml.safe_load(COMPOSE.read_text())["services"]) >= {"app", *DATABASES}
        return
    assert compose_config(PASSWORDS).returncode == 0
    refused = compose_config({})
    assert refused.returncode != 0 and "POSTGRES_PASSWORD" in refused.stderr


def test_databases_publish_no_port_and_keep_data_in_named_volumes():
    config = resolved()
    services = config["services"]
    for name in DATABASES:
        assert "ports" not in services[name], name
        volumes = [v if isinstance(v, str) else f"{v['source']}:{v['target']}"
                   for v in services[name]["volumes"]]
        named = [v.split(":")[0] for v in volumes]
        assert named and all(n in config["volumes"] for n in named), volumes
    assert services["mariadb"]["profiles"] == ["mariadb"]
    assert "profiles" not in services["app"] and "profiles" not in services["postgres"]


def test_no_trust_auth_and_no_empty_or_shared_root_password():
    services = resolved()["services"]
    pg, maria = services["postgres"]["environment"], services["mariadb"]["environment"]
    assert "POSTGRES_HOST_AUTH_METHOD" not in pg
    assert pg["POSTGRES_PASSWORD"] == PASSWORDS["POSTGRES_PASSWORD"]
    assert "MARIADB_ALLOW_EMPTY_ROOT_PASSWORD" not in maria
    assert str(maria["MARIADB_RANDOM_ROOT_PASSWORD"]) == "1"
    assert maria["MARIADB_PASSWORD"] == PASSWORDS["MARIADB_PASSWORD"]


def test_the_app_lets_in_the_docker_network_and_publishes_on_loopback():
    config = resolved()
    subnet = config["networks"]["default"]["ipam"]["config"][0]["subnet"]
    for name in ("app", "app-mariadb"):
        app = config["services"][name]
        assert app["environment"]["GENINVOICES_ALLOW_RANGE"] == subnet
        assert "GENINVOICES_BOOTSTRAP_IDENTIFIER" in app["environment"]
        ports = app["ports"][0]
        host_ip = ports["host_ip"] if isinstance(ports, dict) else ports.split(":")[0]
        assert host_ip == "127.0.0.1", ports
    assert ipaddress.ip_network(subnet).is_private


def test_the_image_runs_as_a_non_root_user_with_a_health_check_and_cached_dependencies():
    lines = [line.strip() for line in DOCKERFILE.splitlines()]
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0"), users
    assert any(line.startswith("HEALTHCHECK ") for line in lines)
    position = {key: next(i for i, line in enumerate(lines) if line.startswith(key))
                for key in ("COPY pyproject.toml", "RUN python -c \"import tomllib",
                            "COPY src", "USER ", "CMD ")}
    assert (position["COPY pyproject.toml"] < position["RUN python -c \"import tomllib"]
            < position["COPY src"] < position["USER "] < position["CMD "])


def healthcheck_command(port: int) -> str:
    code = re.search(r'CMD python -c "(.*)"\s*$', DOCKERFILE.split("HEALTHCHECK", 1)[1],
                     re.MULTILINE).group(1)
    return code.replace("8000", str(port))


def test_the_health_check_passes_on_a_live_server_and_fails_without_one(tmp_path):
    port = free_port()
    check = [sys.executable, "-c", healthcheck_command(port)]
    assert subprocess.run(check, capture_output=True, timeout=30).returncode != 0
    url = f"sqlite:///{tmp_path / 'health.db'}"
    env = {**os.environ, "GENINVOICES_DATABASE_URL": url}
    server = subprocess.Popen([sys.executable, "-m", "geninvoices.cli", "serve", "--port",
                               str(port)], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        wait_until_up(f"http://127.0.0.1:{port}/includes/api.php")
        assert subprocess.run(check, capture_output=True, timeout=30).returncode == 0
    finally:
        stop(server)


def start_container_script(url: str, port: int, log: Path) -> subprocess.Popen:
    """docker/start.sh as the image runs it, with this venv's `geninvoices` on PATH."""
    env = {**os.environ, "GENINVOICES_DATABASE_URL": url, "GENINVOICES_PORT": str(port),
           "GENINVOICES_WORKERS": "1", "GENINVOICES_ALLOW_RANGE": "10.0.0.0/8,fd00::/8",
           "GENINVOICES_BOOTSTRAP_IDENTIFIER": "compose-admin",
           "GENINVOICES_BOOTSTRAP_SECRET": "a-long-enough-secret-0123",
           "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    with open(log, "w") as out:
        return subprocess.Popen(["sh", str(ROOT / "docker" / "start.sh")], env=env,
                                stdout=out, stderr=subprocess.STDOUT)


def test_the_start_script_migrates_allows_the_range_and_creates_the_credential(tmp_path):
    url = f"sqlite:///{tmp_path / 'container.db'}"
    call = {"action": "GetConfigurationValue", "setting": "DateFormat",
            "identifier": "compose-admin", "secret": "a-long-enough-secret-0123",
            "responsetype": "json"}
    for start in ("first", "restart"):
        port, log = free_port(), tmp_path / f"{start}.log"
        server = start_container_script(url, port, log)
        try:
            endpoint = f"http://127.0.0.1:{port}/includes/api.php"
            wait_until_up(endpoint)
            assert httpx.post(endpoint, data=call).json()["result"] == "success", \
                log.read_text()
        finally:
            stop(server)
        said = log.read_text()
        assert ("created the API credential compose-admin" if start == "first"
                else "the API credential compose-admin is in place") in said, said
    listed = subprocess.run([sys.executable, "-m", "geninvoices.cli", "allowed-ips", "list"],
                            env={**os.environ, "GENINVOICES_DATABASE_URL": url},
                            capture_output=True, text=True)
    assert {"10.0.0.0/8", "fd00::/8"} <= set(listed.stdout.split())
