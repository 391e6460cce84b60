"""The command line as a user runs it: a real process, one line for bad input, no traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import httpx
import pytest
from sqlalchemy import func, insert, select

from geninvoices.db import make_engine
from geninvoices.models.whmcs import tblclients
from tests.conftest import load_whmcs_schema
from tests.net import free_port, stop, wait_until_up


def gi(url, *args, stdin=None, extra_env=None):
    env = {**os.environ, "GENINVOICES_DATABASE_URL": url, **(extra_env or {})}
    return subprocess.run([sys.executable, "-m", "geninvoices.cli", *args], env=env,
                          input=stdin, capture_output=True, text=True, timeout=120)


@pytest.fixture
def url(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert gi(url, "migrate").returncode == 0
    return url


def test_credentials_create_list_revoke(url):
    made = gi(url, "credentials", "create", "--allow", "GetInvoices", "--allow", "genINVOICES",
              "--description", "nightly", "--json")
    assert made.returncode == 0, made.stderr
    cred = json.loads(made.stdout)
    assert cred["actions"] == ["geninvoices", "getinvoices"]
    listed = gi(url, "credentials", "list")
    assert cred["identifier"] in listed.stdout and cred["secret"] not in listed.stdout
    assert gi(url, "credentials", "revoke", cred["identifier"]).returncode == 0
    again = gi(url, "credentials", "revoke", cred["identifier"])
    assert again.returncode == 1 and again.stderr.startswith("error: ")


def test_unknown_action_is_one_line_and_exit_1(url):
    result = gi(url, "credentials", "create", "--allow", "DeleteEverything")
    assert result.returncode == 1
    assert result.stderr.strip() == "error: unknown action(s): deleteeverything"


def test_admins_from_stdin(url):
    assert gi(url, "admins", "create", "alice", stdin="s3cret\n").returncode == 0
    assert gi(url, "admins", "create", "alice", stdin="x\n").returncode == 1
    assert gi(url, "admins", "set-password", "alice", stdin="other\n").returncode == 0
    nobody = gi(url, "admins", "set-password", "nobody", stdin="x\n")
    assert nobody.returncode == 1 and "no admin named nobody" in nobody.stderr
    empty = gi(url, "admins", "create", "bob", stdin="")
    assert empty.returncode == 1 and "standard input" in empty.stderr


def test_allowed_ips(url):
    assert gi(url, "allowed-ips", "add", "::ffff:10.0.0.1").stdout.strip() == "allowed 10.0.0.1"
    assert gi(url, "allowed-ips", "list").stdout.split() == ["10.0.0.1", "127.0.0.1", "::1"]
    bad = gi(url, "allowed-ips", "add", "10.0.0.0/8")
    assert bad.returncode == 1 and "not an IP address" in bad.stderr
    assert gi(url, "allowed-ips", "remove", "10.0.0.1").returncode == 0
    assert gi(url, "allowed-ips", "remove", "10.0.0.1").returncode == 1


def test_config_set_and_get(url):
    assert gi(url, "config", "set", "DateFormat", "YYYY-MM-DD").returncode == 0
    assert gi(url, "config", "set", "DateFormat", "DD.MM.YYYY").returncode == 0
    assert gi(url, "config", "get", "DateFormat").stdout.strip() == "DD.MM.YYYY"
    assert gi(url, "config", "get", "Nope").returncode == 1


@pytest.mark.parametrize("bad_url, code", [
    ("postgresql+psycopg://postgres@127.0.0.1:1/nope", 75),
    ("mysql+pymysql://root@127.0.0.1:1/nope", 75),
    ("nonsense", 2),
    ("oracle://x@y/z", 2),
])
def test_a_wrong_database_is_one_line(bad_url, code):
    result = gi(bad_url, "credentials", "list")
    assert result.returncode == code, result.stderr
    assert result.stderr.startswith("error: ") and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr + result.stdout


def test_generate_with_date_and_json(url, tmp_path):
    engine = make_engine(url)
    from geninvoices.db import transaction
    from tests import builders as b
    with transaction(engine) as conn:
        cid = b.make_client(conn)
        pid = b.make_product(conn)
        b.make_service(conn, client=cid, product=pid, regdate=b.D(2026, 1, 1))
        b.make_service(conn, client=cid, product=pid, billingcycle="Fortnightly",
                       regdate=b.D(2026, 1, 1))
    engine.dispose()
    out = gi(url, "generate", "--date", "2025-12-25", "--client", str(cid), "--json",
             "--no-emails")
    assert out.returncode == 0, out.stderr
    reply = json.loads(out.stdout)
    assert (reply["result"], reply["numcreated"]) == ("success", "1")
    assert reply["latestinvoiceid"] != "0" and "Fortnightly" in reply["skipped"][0]
    text = gi(url, "generate", "--date", "2025-12-25")
    assert text.stdout.splitlines()[0] == "numcreated: 0"
    assert gi(url, "generate", "--client", "9999").returncode == 1
    bad = gi(url, "generate", "--date", "2025-13-01")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_migrate_adopt_and_add_indexes_on_a_whmcs_database(server_dbs):
    url = server_dbs["mariadb"].create()
    load_whmcs_schema(url)
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(insert(tblclients).values(firstname="Kept", email="k@example.com"))
    refused = gi(url, "migrate")
    assert refused.returncode == 1 and "--adopt" in refused.stderr
    adopted = gi(url, "migrate", "--adopt")
    assert adopted.returncode == 0 and "adopted" in adopted.stdout
    indexed = gi(url, "migrate", "--add-indexes")
    assert indexed.returncode == 0 and "gi_invoiceitems_type_relid_duedate" in indexed.stdout
    assert "none needed" in gi(url, "migrate", "--add-indexes").stdout
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(tblclients)).scalar() == 1
    engine.dispose()


def test_serve_demo_prints_a_curl_line_that_works(tmp_path):
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    port = free_port()
    env = {**os.environ, "GENINVOICES_DATABASE_URL": url}
    server = subprocess.Popen([sys.executable, "-m", "geninvoices.cli", "serve", "--demo",
                               "--port", str(port)], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True)
    try:
        line = server.stdout.readline().strip()
        assert line.startswith(f"curl -s http://127.0.0.1:{port}/includes/api.php")
        fields = dict(part.split("=", 1) for part in line.split(" -d ")[1:])
        endpoint = f"http://127.0.0.1:{port}/includes/api.php"
        wait_until_up(endpoint)
        reply = httpx.post(endpoint, data=fields)
        assert reply.json() == {"result": "success", "numcreated": "1"}
    finally:
        stop(server)


def test_mail_send_and_list_failed(url, tmp_path):
    from tests import builders as b
    from tests.smtp import SmtpServer
    engine = make_engine(url)
    from geninvoices.db import transaction
    with transaction(engine) as conn:
        cid = b.make_client(conn)
        pid = b.make_product(conn)
        b.make_service(conn, client=cid, product=pid, regdate=b.D(2026, 1, 1))
    engine.dispose()
    down = {"GENINVOICES_SMTP_URL": f"smtp://127.0.0.1:{free_port()}"}
    assert gi(url, "generate", "--date", "2025-12-25", extra_env=down).returncode == 0
    stuck = gi(url, "mail", "list", "--failed")
    assert "ada@example.com" in stuck.stdout and "queued" in stuck.stdout
    assert gi(url, "mail", "send").returncode == 1  # no SMTP configured: says so
    smtp = SmtpServer(tmp_path / "maildir").start()
    try:
        with make_engine(url).begin() as conn:  # the retry is due now
            from sqlalchemy import update
            from geninvoices.models import own
            conn.execute(update(own.outbox).values(next_attempt_at=b.D(2000, 1, 1)))
        sent = gi(url, "mail", "send", extra_env={"GENINVOICES_SMTP_URL": smtp.url})
        assert sent.returncode == 0 and sent.stdout.strip() == "sent: 1, failed: 0"
        assert len(smtp.messages()) == 1
        assert "ada@example.com" not in gi(url, "mail", "list", "--failed").stdout
    finally:
        smtp.stop()


def test_a_bad_setting_is_named(url):
    result = gi(url, "generate", extra_env={"GENINVOICES_TIMEZONE": "Mars/Base"})
    assert result.returncode == 2
    assert result.stderr.startswith("error: bad GENINVOICES_TIMEZONE: ")
