"""The command line as a user runs it: a real process, one line for bad input, no traceback."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import socket
import subprocess
import sys
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import delete, func, insert, inspect, select

from geninvoices.db import make_engine, transaction
from geninvoices.demo import seed_demo
from geninvoices.models import whmcs
from geninvoices.models.whmcs import tblclients
from tests.conftest import MARIADB_URL, PG_URL, load_whmcs_schema
from tests.net import free_port, start_server, stop, wait_until_up


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
    empty = gi(url, "credentials", "create", "--allow", " ")
    assert empty.returncode == 1 and empty.stderr.strip().startswith("error: --allow needs")
    assert "identifier" not in gi(url, "credentials", "list").stdout.split("\n", 3)[-1]


def test_list_shows_descriptions_as_text(url):
    made = gi(url, "credentials", "create", "--description", "[/bold] [red]x", "--json")
    assert made.returncode == 0, made.stderr
    listed = gi(url, "credentials", "list")
    assert listed.returncode == 0, listed.stderr
    assert "[/bold] [red]x" in listed.stdout and "* (every action)" in listed.stdout
    assert json.loads(made.stdout)["secret"] not in listed.stdout


def one_error_line(result, code: int) -> str:
    assert result.returncode == code, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    return lines[0]


@pytest.mark.parametrize("args, says", [
    (["config", "get"], "Missing argument"),
    (["config", "set", "DateFormat"], "Missing argument"),
    (["admins", "create"], "Missing argument"),
    (["credentials", "revkoe", "x"], "No such command"),
    (["allowed-ips", "add"], "Missing argument"),
    (["serve", "--port", "0"], "--port"),
    (["generate", "--date", "2025-02-30"], "not a date"),
    # the engine adds lead days and cycles to the date: no OverflowError near year 1 or 9999
    (["generate", "--date", "9999-12-31"], "between 1970-01-01 and 9000-12-31"),
    (["generate", "--date", "0001-01-01"], "between 1970-01-01 and 9000-12-31"),
    (["generate", "--client", "99999999999"], "2147483647"),
    (["generate", "--service", "2147483648"], "2147483647"),
    (["generate", "--addon", "0"], "--addon"),
])
def test_usage_errors_are_one_line_and_exit_2(url, args, says):
    assert says in one_error_line(gi(url, *args), 2)


def test_an_unmigrated_database_says_migrate(tmp_path):
    missing = f"sqlite:///{tmp_path / 'never.db'}"
    line = one_error_line(gi(missing, "credentials", "list"), 1)
    assert "geninvoices migrate" in line
    assert not (tmp_path / "never.db").exists()  # only migrate and serve create the file
    empty = tmp_path / "empty.db"
    empty.touch()
    assert "geninvoices migrate" in one_error_line(
        gi(f"sqlite:///{empty}", "config", "get", "DateFormat"), 1)


def test_an_unmigrated_server_database_says_migrate(server_dbs):
    for backend in ("postgresql", "mariadb"):
        url = server_dbs[backend].create()
        assert "geninvoices migrate" in one_error_line(gi(url, "allowed-ips", "list"), 1)


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
    bad = gi(url, "allowed-ips", "add", "10.0.0.300")
    assert bad.returncode == 1 and "not an IP address or a range" in bad.stderr
    wide = gi(url, "allowed-ips", "add", "10.0.0.0/33")
    assert wide.returncode == 1 and "not an address or a range" in wide.stderr
    assert gi(url, "allowed-ips", "remove", "10.0.0.1").returncode == 0
    assert gi(url, "allowed-ips", "remove", "10.0.0.1").returncode == 1


def test_config_set_and_get(url):
    assert gi(url, "config", "set", "DateFormat", "YYYY-MM-DD").returncode == 0
    assert gi(url, "config", "set", "DateFormat", "DD.MM.YYYY").returncode == 0
    assert gi(url, "config", "get", "DateFormat").stdout.strip() == "DD.MM.YYYY"
    assert gi(url, "config", "get", "Nope").returncode == 1


@pytest.mark.parametrize("bad_url, code, says", [
    ("postgresql+psycopg://postgres:hunter2@127.0.0.1:1/nope", 75, "please retry"),
    ("mysql+pymysql://root:hunter2@127.0.0.1:1/nope", 75, "please retry"),
    (PG_URL.rsplit("/", 1)[0] + "/gi_no_such_database", 1, "does not exist"),
    (MARIADB_URL.rsplit("/", 1)[0] + "/gi_no_such_database", 1, "does not exist"),
    ("nonsense", 2, "GENINVOICES_DATABASE_URL"),
    ("oracle://x:hunter2@y/z", 2, "unsupported database"),
    ("postgresql+nodriver://x:hunter2@y/z", 2, "GENINVOICES_DATABASE_URL"),
    ("sqlite:////no/such/directory/x.db", 1, "run `geninvoices migrate`"),
])
def test_a_wrong_database_is_one_line(bad_url, code, says):
    line = one_error_line(gi(bad_url, "credentials", "list"), code)
    assert says in line and "hunter2" not in line
    if not bad_url.startswith("sqlite"):
        assert one_error_line(gi(bad_url, "migrate"), code) == line


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
    preview = gi(url, "generate", "--date", "2025-12-25", "--dry-run", "--json")
    assert preview.returncode == 3, preview.stderr  # it shows the skipped item too
    shown = json.loads(preview.stdout)
    assert shown["dryrun"] is True and len(shown["invoices"]) == 1
    assert shown["invoices"][0]["items"][0]["periodstart"] == "2026-01-01"
    table = gi(url, "generate", "--date", "2025-12-25", "--dry-run")
    assert "1 invoice(s) would be created; nothing written" in table.stdout
    out = gi(url, "generate", "--date", "2025-12-25", "--client", str(cid), "--json",
             "--no-emails")
    assert out.returncode == 3, out.stderr  # billed, but an item was skipped
    reply = json.loads(out.stdout)
    assert (reply["result"], reply["numcreated"]) == ("success", "1")
    assert reply["latestinvoiceid"] != "0" and "Fortnightly" in reply["skipped"][0]
    text = gi(url, "generate", "--date", "2025-12-25")
    assert text.stdout.splitlines()[0] == "numcreated: 0"
    assert gi(url, "generate", "--client", "9999").returncode == 1
    bad = gi(url, "generate", "--date", "2025-13-01")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    for far in ("9999-12-31", "0001-01-01"):
        assert "out of range" in one_error_line(gi(url, "generate", "--date", far), 2)


def test_generate_shows_progress_on_a_terminal_and_one_summary_off_it(url):
    import pty
    env = {**os.environ, "GENINVOICES_DATABASE_URL": url, "COLUMNS": "100"}
    leader, follower = pty.openpty()
    run = subprocess.run([sys.executable, "-m", "geninvoices.cli", "generate", "--date",
                          "2025-12-25"], env=env, stdout=follower, stderr=follower,
                         timeout=120)
    os.close(follower)
    seen = b""
    with contextlib.suppress(OSError):
        while chunk := os.read(leader, 65536):
            seen += chunk
    os.close(leader)
    assert run.returncode == 0 and b"numcreated: 0" in seen
    assert b"billing" in seen and b"clients" in seen  # rich's bar, drawn on the terminal
    piped = gi(url, "generate", "--date", "2025-12-25")
    assert b"clients" not in piped.stdout.encode() and piped.stdout.startswith("numcreated")


def test_generate_reports_billable_items_and_ended_promotions(url):
    engine = make_engine(url)
    from geninvoices.db import transaction
    from tests import builders as b
    with transaction(engine) as conn:
        conn.execute(delete(whmcs.tblcurrencies))  # the USD a fresh database holds (0009)
        currency = b.make_currency(conn)
        cid = b.make_client(conn)
        pid = b.make_product(conn)
        b.make_pricing(conn, product=pid, currency=currency, monthly="10.00")
        gone = b.make_service(conn, client=cid, product=pid, amount="9.00", promoid=4242)
        spent = b.make_service(conn, client=cid, product=pid, amount="9.00",
                               promoid=b.make_promotion(conn, recurfor=1))
        for day in (b.D(2025, 11, 1), b.D(2025, 12, 1)):
            b.make_past_invoice(conn, client=cid, lines=[("Hosting", spent, day, "9.00")])
        b.make_billable(conn, client=cid, action="nextcron")
    engine.dispose()
    out = gi(url, "generate", "--date", "2025-12-25", "--json", "--no-emails")
    reply = json.loads(out.stdout)
    assert (reply["numcreated"], reply["billableitems"]) == ("2", 1), out.stderr
    assert reply["promotionsended"] == [f"service {spent}"]
    assert [w for w in reply["warnings"] if f"service {gone}" in w and "4242" in w]
    text = gi(url, "generate", "--date", "2025-12-25", "--no-emails").stdout
    assert text.splitlines() == ["numcreated: 0", "billable items billed: 0"]


def test_migrate_adopt_and_add_indexes_on_a_whmcs_database(server_dbs):
    url = server_dbs["mariadb"].create()
    load_whmcs_schema(url)
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(insert(tblclients).values(firstname="Kept", email="k@example.com"))
    refused = gi(url, "migrate")
    assert "--adopt" in one_error_line(refused, 1)
    assert "--adopt" in one_error_line(gi(url, "serve", "--port", str(free_port())), 1)
    adopted = gi(url, "migrate", "--adopt")
    assert adopted.returncode == 0 and "adopted" in adopted.stdout
    indexed = gi(url, "migrate", "--add-indexes")
    assert indexed.returncode == 0 and "gi_invoiceitems_duedate_type_relid" in indexed.stdout
    assert "none needed" in gi(url, "migrate", "--add-indexes").stdout
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(tblclients)).scalar() == 1
        assert conn.execute(select(tblclients.c.firstname)).scalar() == "Kept"
        indexes = {i["name"] for i in inspect(conn).get_indexes("tblinvoiceitems")}
    assert "gi_invoiceitems_duedate_type_relid" in indexes
    engine.dispose()


def serve_demo(url: str, log_path) -> tuple[subprocess.Popen, str, dict]:
    """`serve --demo` on a free port: the process, api.php's URL, the curl line's fields."""
    port = free_port()
    env = {**os.environ, "GENINVOICES_DATABASE_URL": url}
    with open(log_path, "w") as log:
        server = subprocess.Popen([sys.executable, "-m", "geninvoices.cli", "serve", "--demo",
                                   "--port", str(port)], env=env, stdout=subprocess.PIPE,
                                  stderr=log, text=True)
    line = server.stdout.readline().strip()
    endpoint = f"http://127.0.0.1:{port}/includes/api.php"
    assert line.startswith(f"curl -s {endpoint} -d "), (line, log_path.read_text())
    fields = dict(part.split("=", 1) for part in line.split(" -d ")[1:])
    return server, endpoint, fields


def test_serve_demo_prints_a_curl_line_that_works(tmp_path):
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    log = tmp_path / "serve.log"
    server, endpoint, fields = serve_demo(url, log)
    try:
        wait_until_up(endpoint)
        reply = httpx.post(endpoint, data=fields)
        assert reply.json() == {"result": "success", "numcreated": "1"}
        assert reply.headers["content-type"].startswith("application/json")
        ask = {**fields, "action": "GetConfigurationValue", "setting": "CompanyName"}
        assert httpx.post(endpoint, data=ask).json()["value"] == "Demo Hosting"
    finally:
        stop(server)
    logged = log.read_text()
    access = [line for line in logged.splitlines() if "geninvoices.access" in line]
    assert any("action=geninvoices " in line and "status=200 outcome=success" in line
               for line in access), logged
    assert fields["secret"] not in logged and "Traceback" not in logged
    # a second start reuses the demo database: the demo credential is re-issued (its
    # secret cannot be shown again), the old secret stops working, nothing is billed twice
    log2 = tmp_path / "serve2.log"
    server, endpoint, fields2 = serve_demo(url, log2)
    try:
        wait_until_up(endpoint)
        assert httpx.post(endpoint, data=fields2).json() == {"result": "success",
                                                             "numcreated": "0"}
        assert httpx.post(endpoint, data=fields).json()["result"] == "error"
    finally:
        stop(server)
    assert "re-issued the demo credential" in log2.read_text()
    listed = gi(url, "credentials", "list").stdout
    assert fields2["identifier"] in listed and listed.count("serve --demo") == 2


def test_serve_without_a_credential_says_how_to_create_one(tmp_path):
    """A fresh database has no credential, so every call would be refused: serve says so on
    stderr, once; with a credential it says nothing of the kind."""
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    hint = "no active API credential"

    def served_log(name: str) -> str:
        with open(tmp_path / name, "w") as log:
            server, endpoint = start_server(url, log=log)
            try:
                wait_until_up(endpoint)
            finally:
                stop(server)
        return (tmp_path / name).read_text()
    first = served_log("first.log")
    assert first.count(hint) == 1 and "`geninvoices credentials create`" in first, first
    assert gi(url, "credentials", "create").returncode == 0
    assert hint not in served_log("second.log")


def serve_refused(result) -> str:
    """serve says what migrate did, then one error line; exit 1."""
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith("already up to date"), result.stderr
    assert "Traceback" not in result.stdout + result.stderr and not result.stdout
    return lines[1]


def test_serve_demo_refuses_a_database_with_data(database_url, engine):
    """rules §8: the demo seeds only an empty database, never someone's billing data."""
    with transaction(engine) as conn:
        conn.execute(insert(tblclients).values(firstname="Real", email="r@example.com"))
        currencies = conn.execute(select(func.count()).select_from(whmcs.tblcurrencies)).scalar()
    line = serve_refused(gi(database_url, "serve", "--demo", "--port", str(free_port())))
    assert "seeds only an empty database" in line and "holds 1 client" in line
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(tblclients)).scalar() == 1
        assert conn.execute(select(func.count()).select_from(whmcs.tblcurrencies)).scalar() \
            == currencies


def test_serve_demo_refuses_an_adopted_database(server_dbs):
    url = server_dbs["mariadb"].create()
    load_whmcs_schema(url)
    assert gi(url, "migrate", "--adopt").returncode == 0
    line = serve_refused(gi(url, "serve", "--demo", "--port", str(free_port())))
    assert "is an adopted WHMCS database" in line


def test_serve_on_a_taken_port_is_one_line(url):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = one_error_line(gi(url, "serve", "--port", str(port)), 1)
    assert f"port {port}" in line


def test_the_commands_on_every_backend(database_url, engine):
    """What writes WHMCS's tables (admins, config, demo data) meets MariaDB's strict mode."""
    made = gi(database_url, "credentials", "create", "--allow", "GetConfigurationValue",
              "--json")
    assert made.returncode == 0, made.stderr
    assert gi(database_url, "admins", "create", "alice", "--email", "a@example.com",
              stdin="pw\n").returncode == 0
    assert gi(database_url, "admins", "set-password", "alice", "--no-api-access",
              stdin="pw2\n").returncode == 0
    assert gi(database_url, "config", "set", "CompanyName", "Acme").returncode == 0
    assert gi(database_url, "config", "set", "CompanyName", "Acme Ltd").returncode == 0
    assert gi(database_url, "config", "get", "CompanyName").stdout == "Acme Ltd\n"
    assert gi(database_url, "allowed-ips", "add", "::ffff:192.0.2.7").returncode == 0
    assert "192.0.2.7" in gi(database_url, "allowed-ips", "list").stdout.split()
    with transaction(engine) as conn:
        assert seed_demo(conn, dt.date(2026, 3, 1)) is True
    with transaction(engine) as conn:
        assert seed_demo(conn, dt.date(2026, 3, 2)) is False
        counts = {t.name: conn.execute(select(func.count()).select_from(t)).scalar()
                  for t in (whmcs.tblclients, whmcs.tblhosting, whmcs.tbldomains,
                            whmcs.tblhostingaddons, whmcs.tblcurrencies)}
        service = conn.execute(select(whmcs.tblhosting)).mappings().one()
        company = conn.execute(select(whmcs.tblconfiguration.c.value).where(
            whmcs.tblconfiguration.c.setting == "CompanyName")).scalar()
    assert set(counts.values()) == {1}
    assert (service["amount"], service["billingcycle"], service["nextinvoicedate"]) == (
        Decimal("9.95"), "Monthly", dt.date(2026, 3, 1))
    assert company == "Acme Ltd"  # the demo never overwrites a setting


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
