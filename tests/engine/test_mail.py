"""Invoice Created emails through a real SMTP server process (rules §5.6)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update

from geninvoices import clock
from geninvoices import outbox as sender
from geninvoices.db import transaction
from geninvoices.models import own
from tests import builders as b
from tests.engine.helpers import D, invoices, outbox, run
from tests.smtp import SmtpServer

TODAY = D(2026, 3, 20)


@pytest.fixture
def smtp(tmp_path):
    server = SmtpServer(tmp_path / "maildir")
    yield server
    server.stop()


@pytest.fixture
def billed(engine):
    with transaction(engine) as conn:
        b.make_currency(conn, prefix="£", suffix=" GBP", code="GBP")
        cid = b.make_client(conn, email="ada@example.com")
        pid = b.make_product(conn)
        b.make_service(conn, client=cid, product=pid, amount="9.95", nextduedate=D(2026, 3, 25))
    run(engine, TODAY)
    return engine


def test_sent_after_commit_with_a_stable_message_id(billed, smtp):
    smtp.start()
    report = sender.send_due(billed, smtp.url, "billing@hosting.example")
    [inv] = invoices(billed)
    assert report.sent == [inv["id"]]
    [message] = smtp.messages()
    assert message["To"] == "ada@example.com" and message["From"] == "billing@hosting.example"
    assert message["Subject"] == "Customer Invoice"
    assert message["Message-ID"] == outbox(billed)[0]["message_id"]
    assert message["Message-ID"].startswith(f"<invoice-{inv['id']}.")
    assert "£9.95 GBP" in message.get_payload()
    assert outbox(billed)[0]["status"] == "sent"
    assert sender.send_due(billed, smtp.url, "billing@hosting.example").sent == []  # once


def test_retried_with_backoff_while_the_server_is_down(billed, smtp):
    report = sender.send_due(billed, smtp.url, "billing@hosting.example")  # nothing listens
    assert report.failed and not report.sent
    [row] = outbox(billed)
    assert row["status"] == "queued" and row["attempts"] == 1 and row["last_error"]
    assert row["next_attempt_at"] > dt.datetime.utcnow()
    assert [r.invoiceid for r in sender.list_rows(billed, failed=True)] == [row["invoiceid"]]
    assert sender.send_due(billed, smtp.url, "x@y").failed == []  # not due yet
    smtp.start()
    with transaction(billed) as conn:
        conn.execute(update(own.outbox).values(next_attempt_at=dt.datetime(2000, 1, 1)))
    assert sender.send_due(billed, smtp.url, "billing@hosting.example").sent == [row["invoiceid"]]
    assert len(smtp.messages()) == 1
    assert sender.list_rows(billed, failed=True) == []


def test_without_smtp_configured_mail_stays_queued(billed, caplog):
    report = sender.send_due(billed, "", "billing@hosting.example")
    assert report.not_configured
    assert outbox(billed)[0]["status"] == "queued"
    assert "GENINVOICES_SMTP_URL is not set" in caplog.text


def test_a_crashed_senders_claim_expires_and_the_email_goes_out(billed, smtp):
    smtp.start()
    import datetime as dt2
    claimed = sender._claim(billed, 10, dt2.timedelta(seconds=1))  # then the sender "dies"
    assert len(claimed) == 1
    assert sender.send_due(billed, smtp.url, "billing@hosting.example").sent == []  # owned
    import time
    time.sleep(2.1)  # claims are stored to the second
    assert sender.send_due(billed, smtp.url, "billing@hosting.example").sent == [
        claimed[0].invoiceid]
    assert len(smtp.messages()) == 1


def queue_many(engine, count: int) -> None:
    """``count`` clients with a service each, billed: ``count`` emails queued."""
    with transaction(engine) as conn:
        pid = b.make_product(conn)
        for n in range(count):
            cid = b.make_client(conn, email=f"client{n}@example.com")
            b.make_service(conn, client=cid, product=pid, nextduedate=D(2026, 3, 25))
    assert run(engine, TODAY).numcreated == count


def test_one_send_drains_more_than_one_batch(engine, smtp):
    queue_many(engine, 7)
    smtp.start()
    report = sender.send_due(engine, smtp.url, "billing@hosting.example", limit=3)
    assert len(report.sent) == 7 and not report.failed
    assert len(smtp.messages()) == 7
    assert {r["status"] for r in outbox(engine)} == {"sent"}


def test_an_outage_is_retried_within_the_retry_interval(billed, smtp):
    report = sender.send_due(billed, smtp.url, "billing@hosting.example",
                             outage_retry_seconds=1)
    assert report.failed
    [row] = outbox(billed)
    assert "refused" in row["last_error"].lower()
    # due again within a second, not after the 2 minutes a refused message waits
    assert row["next_attempt_at"] <= clock.utcnow() + dt.timedelta(seconds=1)


def test_one_lease_holder_at_a_time(engine):
    from geninvoices.mailer import Lease
    first, second = Lease(engine, 60), Lease(engine, 60)
    assert first.take() and first.take()  # renewing is taking again
    assert not second.take()
    first.release()
    assert second.take() and not first.take()
    expired = Lease(engine, -1)  # a holder that crashed: its lease has run out
    second.release()
    assert expired.take() and first.take()
