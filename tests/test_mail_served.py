"""The operator's mail (rules §5.6) against real processes: `geninvoices serve` with two
workers, an SMTP server the test stops and starts, and `geninvoices mail send`."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from geninvoices import access, clock
from geninvoices.db import transaction
from tests import builders as b
from tests.engine.helpers import outbox, run
from tests.engine.test_mail import queue_many
from tests.net import free_port, start_server, stop, wait_until_up
from tests.smtp import SmtpServer

TODAY = dt.date.today()


def gi(url, *args, extra_env=None):
    env = {**os.environ, "GENINVOICES_DATABASE_URL": url, **(extra_env or {})}
    return subprocess.run([sys.executable, "-m", "geninvoices.cli", *args], env=env,
                          capture_output=True, text=True, timeout=300)


def eventually(check, seconds: float = 60):
    """Poll until ``check()`` holds: the test waits on behaviour, not on a clock."""
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{check.__doc__ or 'condition'} never held")
        time.sleep(0.1)


def metric(base: str, name: str, **labels) -> float:
    text = httpx.get(base + "/metrics").text
    return sum(s.value for family in text_string_to_metric_families(text)
               for s in family.samples if s.name == name and labels.items() <= s.labels.items())


@pytest.fixture
def smtp(tmp_path):
    server = SmtpServer(tmp_path / "maildir")
    yield server
    server.stop()


def test_mail_queued_while_smtp_is_down_goes_out_when_it_returns(
        engine, database_url, smtp, tmp_path):
    with transaction(engine) as conn:
        ident, secret = access.create_credential(conn, allow=None)
        cid = b.make_client(conn)
        b.make_service(conn, client=cid, product=b.make_product(conn), regdate=TODAY,
                       nextduedate=TODAY + dt.timedelta(days=3))
    (tmp_path / "tmp").mkdir()
    server, url = start_server(database_url, workers=2, env={
        "GENINVOICES_SMTP_URL": smtp.url, "GENINVOICES_MAIL_RETRY_SECONDS": "1",
        "TMPDIR": str(tmp_path / "tmp")})
    base = url.removesuffix("/includes/api.php")
    try:
        wait_until_up(url)
        assert httpx.get(base + "/healthz").json() == {"status": "ok"}
        reply = httpx.post(url, data={"action": "GenInvoices", "identifier": ident,
                                      "secret": secret, "responsetype": "json"})
        assert reply.json() == {"result": "success", "numcreated": "1"}

        def tried():
            """a worker's sender tried the SMTP server while it was down"""
            return outbox(engine)[0]["attempts"] >= 2
        eventually(tried)
        assert smtp.messages() == [] and outbox(engine)[0]["status"] == "queued"
        smtp.start()  # no new run, no `mail send`: the server's sender retries by itself

        def delivered():
            """the email reached the SMTP server"""
            return len(smtp.messages()) == 1 and outbox(engine)[0]["status"] == "sent"
        eventually(delivered)
        for _ in range(10):  # every worker's sender, summed by any worker's /metrics
            httpx.post(url, data={"action": "GetInvoices", "identifier": ident,
                                  "secret": secret}, headers={"connection": "close"})
        assert metric(base, "geninvoices_emails_total", outcome="sent") == 1
        assert metric(base, "geninvoices_emails_total", outcome="failed") >= 2
        assert metric(base, "geninvoices_emails_queued") == 0
        assert metric(base, "geninvoices_invoices_created_total") == 1
        assert metric(base, "geninvoices_api_requests_total", action="getinvoices") == 10
        assert len(os.listdir(tmp_path / "tmp")) == 1  # the metrics directory
    finally:
        stop(server)
    assert len(smtp.messages()) == 1  # once, though two workers were sending
    assert os.listdir(tmp_path / "tmp") == []  # the metrics directory is cleaned up


def test_one_mail_send_sends_all_1200(engine, database_url, smtp):
    queue_many(engine, 1200)
    with transaction(engine) as conn:  # draining is the point here, not 1,200 PDFs (§15)
        b.set_config(conn, EnablePDFInvoices="")
    smtp.start()
    sent = gi(database_url, "mail", "send", extra_env={"GENINVOICES_SMTP_URL": smtp.url})
    assert (sent.returncode, sent.stdout.strip()) == (0, "sent: 1200, failed: 0"), sent.stderr
    assert len(smtp.messages()) == 1200
    assert {r["status"] for r in outbox(engine)} == {"sent"}


def test_mail_send_exits_1_when_any_failed_and_list_says_why(engine, database_url):
    with transaction(engine) as conn:
        b.make_service(conn, client=b.make_client(conn), product=b.make_product(conn),
                       nextduedate=TODAY)
    run(engine, TODAY, now=clock.utcnow())  # its email due now, whatever the hour
    down = {"GENINVOICES_SMTP_URL": f"smtp://127.0.0.1:{free_port()}"}
    failed = gi(database_url, "mail", "send", extra_env=down)
    assert failed.returncode == 1 and failed.stdout.strip() == "sent: 0, failed: 1"
    assert "mail list --failed" in failed.stderr
    listed = gi(database_url, "mail", "list", "--failed")
    assert "ada@example.com" in listed.stdout and "refused" in listed.stdout.lower()
    nothing = gi(database_url, "mail", "send")
    assert nothing.returncode == 1 and "GENINVOICES_SMTP_URL is not set" in nothing.stderr


@pytest.mark.parametrize("command", [["mail", "send"], ["serve", "--port", "1"]])
def test_a_bad_smtp_url_is_a_usage_error_at_start(tmp_path, command):
    url = f"sqlite:///{tmp_path / 'none.db'}"
    result = gi(url, *command, extra_env={"GENINVOICES_SMTP_URL": "http://x"})
    assert result.returncode == 2
    assert result.stderr.startswith("error: bad GENINVOICES_SMTP_URL: must be smtp://")


def test_one_worker_serves_metrics_and_cleans_its_directory(engine, database_url, tmp_path):
    (tmp_path / "tmp").mkdir()
    server, url = start_server(database_url, env={"TMPDIR": str(tmp_path / "tmp")})
    base = url.removesuffix("/includes/api.php")
    try:
        wait_until_up(url)  # itself a call without credentials
        refused = metric(base, "geninvoices_auth_failures_total")
        httpx.post(url, data={"action": "GetInvoices"})
        assert metric(base, "geninvoices_api_requests_total", action="getinvoices",
                      result="error") == 1
        assert metric(base, "geninvoices_auth_failures_total") == refused + 1
        assert httpx.get(base + "/healthz").status_code == 200
    finally:
        stop(server)
    assert os.listdir(tmp_path / "tmp") == []
