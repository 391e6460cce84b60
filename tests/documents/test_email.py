"""The Invoice Created email with its HTML part and PDF, made by the sender after commit, with
no database lock held while it renders or sends (rules §15, §5.6)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import event, update

from geninvoices import outbox as sender
from geninvoices.config import Settings
from geninvoices.db import make_engine, transaction
from geninvoices.documents.mail import composer
from geninvoices.documents.render import Renderer
from geninvoices.models import own
from geninvoices.models.whmcs import tblinvoices
from tests import builders as b
from tests.documents import kinds
from tests.documents.pdf import flat, text
from tests.engine.helpers import outbox, run
from tests.smtp import SmtpServer

FROM = "billing@hosting.example"
LINK_SECRET = "a-link-secret-of-enough-length-42"


@pytest.fixture
def smtp(tmp_path):
    server = SmtpServer(tmp_path / "maildir").start()
    yield server
    server.stop()


@pytest.fixture
def billed(engine):
    kinds.setup_currency(engine)
    with transaction(engine) as conn:
        cid = b.make_client(conn, firstname="Zoë", email="zoe@example.com")
        pid = b.make_product(conn)
        b.make_service(conn, client=cid, product=pid, amount="9.95", regdate=kinds.TODAY)
    run(engine, kinds.TODAY)
    return engine


def settings(**values) -> Settings:
    return Settings(database_url="sqlite://", testing=True, test_today=kinds.TODAY, **values)


def parts(message) -> dict[str, object]:
    found = {}
    for part in message.walk():
        kind = part.get_content_type()
        if kind in ("text/plain", "text/html", "application/pdf"):
            found[kind] = part
    return found


def test_the_email_carries_text_html_and_the_pdf(billed, smtp, tmp_path):
    report = sender.send_due(billed, smtp.url, FROM, compose=composer(billed, settings()))
    [row] = outbox(billed)
    assert report.sent == [row["invoiceid"]]
    [message] = smtp.messages()
    assert message["Message-ID"] == row["message_id"]  # the rule of §5.6, unchanged
    found = parts(message)
    assert "$9.95 USD" in found["text/plain"].get_payload(decode=True).decode()
    html = found["text/html"].get_payload(decode=True).decode()
    assert f"Invoice #{row['invoiceid']}" in html and "Zoë" in html
    pdf_part = found["application/pdf"]
    assert pdf_part.get_filename() == f"Invoice-{row['invoiceid']}.pdf"
    pdf = tmp_path / "attached.pdf"
    pdf.write_bytes(pdf_part.get_payload(decode=True))
    assert f"Invoice #{row['invoiceid']}" in text(pdf) and "$9.95 USD" in flat(text(pdf))


def test_enable_pdf_invoices_off_sends_no_attachment(billed, smtp):
    with transaction(billed) as conn:
        b.set_config(conn, EnablePDFInvoices="")
    sender.send_due(billed, smtp.url, FROM, compose=composer(billed, settings()))
    [message] = smtp.messages()
    found = parts(message)
    assert "application/pdf" not in found and "text/html" in found


def test_the_html_part_links_to_the_pdf_when_the_server_signs_links(billed, smtp):
    with transaction(billed) as conn:
        b.set_config(conn, SystemURL="https://billing.example.com/")
    compose = composer(billed, settings(invoice_link_secret=LINK_SECRET))
    sender.send_due(billed, smtp.url, FROM, compose=compose)
    [message] = smtp.messages()
    html = parts(message)["text/html"].get_payload(decode=True).decode()
    assert "https://billing.example.com/invoices/" in html and "signature=" in html


def test_a_document_that_cannot_be_made_leaves_the_text_email(billed, smtp, caplog):
    def broken(invoice_id):
        raise RuntimeError("no fonts today")
    report = sender.send_due(billed, smtp.url, FROM, compose=lambda: broken)
    assert len(report.sent) == 1
    [message] = smtp.messages()
    assert set(parts(message)) == {"text/plain"}
    assert "no HTML part or PDF" in caplog.text


def test_a_batch_whose_shared_settings_cannot_be_read_goes_out_as_text(billed, smtp, caplog):
    def unreadable():
        raise RuntimeError("database away")
    report = sender.send_due(billed, smtp.url, FROM, compose=unreadable)
    assert len(report.sent) == 1
    [message] = smtp.messages()
    assert set(parts(message)) == {"text/plain"}
    assert "no HTML parts or PDFs for this batch" in caplog.text


def test_settings_currencies_and_tax_rules_are_read_once_per_batch(engine, smtp):
    from tests.engine.test_mail import queue_many
    queue_many(engine, 5)
    with transaction(engine) as conn:
        b.set_config(conn, EnablePDFInvoices="")  # HTML parts only: no PDF to wait for
    reads = {"tblconfiguration": 0, "tblcurrencies": 0, "tbltax": 0}

    def count(conn, cursor, statement, parameters, context, executemany):
        for table in reads:
            if f"FROM {table}" in statement.replace('"', "").replace("`", ""):
                reads[table] += 1
    event.listen(engine, "before_cursor_execute", count)
    try:
        report = sender.send_due(engine, smtp.url, FROM, limit=3,
                                 compose=composer(engine, settings()))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(report.sent) == 5
    assert all("text/html" in parts(m) for m in smtp.messages())
    assert reads == {"tblconfiguration": 2, "tblcurrencies": 2, "tbltax": 2}  # two batches


class Meddler(Renderer):
    """Renders only after another connection has written the invoice's row and its outbox
    row, with a short lock timeout: a lock held by the sender would make that fail."""

    def __init__(self, url):
        super().__init__()
        self.other = make_engine(url, lock_timeout_seconds=2)
        self.writes = 0

    def pdf(self, doc):
        with transaction(self.other) as conn:
            conn.execute(update(tblinvoices).where(tblinvoices.c.id == doc.id)
                         .values(notes="written while the PDF renders"))
            conn.execute(update(own.outbox).where(own.outbox.c.invoiceid == doc.id)
                         .values(last_error="touched"))
        self.writes += 1
        return super().pdf(doc)


def test_no_database_lock_is_held_while_rendering_or_sending(engine, smtp):
    from tests.engine.test_mail import queue_many
    queue_many(engine, 5)
    meddler = Meddler(engine.url.render_as_string(hide_password=False))
    try:
        started = dt.datetime.now()
        report = sender.send_due(engine, smtp.url, FROM,
                                 compose=composer(engine, settings(), meddler))
        assert len(report.sent) == 5 and meddler.writes == 5
        assert (dt.datetime.now() - started).total_seconds() < 60
        assert {r["status"] for r in outbox(engine)} == {"sent"}
        assert len(smtp.messages()) == 5
    finally:
        meddler.other.dispose()
