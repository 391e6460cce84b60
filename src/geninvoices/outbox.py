"""Sending the Invoice Created emails in the outbox (rules §5.6): after commit, at least once.

Each row is claimed for a few minutes before it is sent, so two senders (the server's
background sender in any worker and `geninvoices mail send`) never send it at once; a
failure is retried with back-off. The window for a second delivery is a crash after the SMTP
server accepted the message and before the row is marked sent: the same Message-ID goes out
again.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime
from urllib.parse import unquote, urlsplit

from sqlalchemy import Engine, func, or_, select, update

from . import faults
from .clock import utcnow
from .db import transaction
from .models import own

log = logging.getLogger("geninvoices.mail")
MAX_BACKOFF = dt.timedelta(hours=6)


@dataclass
class SendReport:
    sent: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    not_configured: bool = False


def backoff(attempts: int) -> dt.timedelta:
    """A refused message waits 2, 4, 8, ... minutes, at most 6 hours; an unreachable server
    is retried sooner (``send_due``'s ``outage_retry_seconds``)."""
    return min(dt.timedelta(minutes=2 ** min(attempts, 10)), MAX_BACKOFF)


def _delay(attempts: int, outage: dt.timedelta | None) -> dt.timedelta:
    """While the server is unreachable: 5, 10, 20, ... seconds, at most ``outage``."""
    if outage is None:
        return backoff(attempts)
    return min(dt.timedelta(seconds=5 * 2 ** min(attempts - 1, 16)), outage, MAX_BACKOFF)


def send_due(engine: Engine, smtp_url: str, mail_from: str, *, claim_seconds: float = 300,
             limit: int = 500, outage_retry_seconds: float | None = None,
             keep_going: Callable[[], bool] | None = None,
             compose: Callable[[], Callable[[int], object]] | None = None) -> SendReport:
    """Send every queued email that is due, ``limit`` at a time, until none is left or the
    SMTP server stops answering. An outage puts the emails back no further than
    ``outage_retry_seconds`` away, so they go out soon after the server returns.
    ``compose()``, called once per batch, reads what the batch's documents share and gives
    the function from an invoice id to its message's HTML part and PDF
    (``documents/mail.py``), made after the claim's transaction has ended."""
    report = SendReport()
    if not smtp_url:
        log.warning("GENINVOICES_SMTP_URL is not set: Invoice Created emails stay queued")
        report.not_configured = True
        return report
    outage = (dt.timedelta(seconds=outage_retry_seconds) if outage_retry_seconds
              else None)
    while keep_going is None or keep_going():
        rows = _claim(engine, limit, dt.timedelta(seconds=claim_seconds))
        if not rows or not _send_batch(engine, smtp_url, mail_from, rows, report, outage,
                                       compose):
            break
    return report


def _send_batch(engine: Engine, smtp_url: str, mail_from: str, rows: list,
                report: SendReport, outage: dt.timedelta | None, compose=None) -> bool:
    """One batch over one connection; False when the server went away (stop draining)."""
    try:
        client = _connect(smtp_url)
    except (OSError, smtplib.SMTPException) as error:
        _failed(engine, rows, error, report, outage)  # the server is down: all wait
        return False
    compose = _batch_composer(compose)
    with client:
        for index, row in enumerate(rows):
            try:
                client.send_message(build_message(mail_from, row, _extra(compose, row)))
            except (OSError, smtplib.SMTPServerDisconnected) as error:
                _failed(engine, rows[index:], error, report, outage)
                return False
            except smtplib.SMTPException as error:  # this message refused; go on
                _failed(engine, [row], error, report)
                continue
            faults.checkpoint("after_smtp_accept")
            faults.checkpoint("before_mark_sent")
            _sent(engine, row)
            report.sent.append(row.invoiceid)
    return True


def _claim(engine: Engine, limit: int, claim: dt.timedelta) -> list:
    """Rows this sender may send for a while; a crashed sender's claim simply expires."""
    o, now = own.outbox, utcnow()
    free = or_(o.c.claimed_until.is_(None), o.c.claimed_until < now)
    query = select(o).where(o.c.status == "queued", o.c.next_attempt_at <= now, free)
    claimed = []
    with transaction(engine) as conn:
        for row in conn.execute(query.order_by(o.c.id).limit(limit)).all():
            taken = conn.execute(update(o).where(o.c.id == row.id, free)
                                 .values(claimed_until=now + claim)).rowcount
            if taken:
                claimed.append(row)
    return claimed


def _sent(engine: Engine, row) -> None:
    with transaction(engine) as conn:
        conn.execute(update(own.outbox).where(own.outbox.c.id == row.id).values(
            status="sent", sent_at=utcnow(), claimed_until=None, last_error=None,
            attempts=own.outbox.c.attempts + 1))


def _failed(engine: Engine, rows: list, error: Exception, report: SendReport,
            outage: dt.timedelta | None = None) -> None:
    log.warning("sending %d Invoice Created email(s) failed, retried later: %s",
                len(rows), error)
    with transaction(engine) as conn:
        for row in rows:
            conn.execute(update(own.outbox).where(own.outbox.c.id == row.id).values(
                attempts=own.outbox.c.attempts + 1, last_error=str(error)[:2000],
                next_attempt_at=utcnow() + _delay(row.attempts + 1, outage),
                claimed_until=None))
    report.failed += [row.invoiceid for row in rows]


def _batch_composer(compose):
    """What the batch's documents share, read once; when it cannot be read, the batch goes
    out as plain-text emails, as when one document cannot be made (``_extra``)."""
    if compose is None:
        return None
    try:
        return compose()
    except Exception as error:  # noqa: BLE001 - the text part is enough to send
        log.warning("no HTML parts or PDFs for this batch of emails: %s", error)
        return None


def _extra(compose, row):
    """The HTML part and PDF; a document that cannot be made leaves the plain-text email,
    which still goes out (the invoice exists and the customer must hear of it)."""
    if compose is None:
        return None
    try:
        return compose(row.invoiceid)
    except Exception as error:  # noqa: BLE001 - the text part is enough to send
        log.warning("invoice %s: no HTML part or PDF for its email: %s", row.invoiceid, error)
        return None


def build_message(mail_from: str, row, extra=None) -> EmailMessage:
    """The email as queued; with ``extra`` (``documents/mail.py:Extra``) an HTML alternative
    beside the text and the invoice's PDF attached. The Message-ID is the queued one."""
    message = EmailMessage()
    message["From"] = mail_from
    message["To"] = row.recipient
    message["Subject"] = row.subject
    message["Message-ID"] = row.message_id
    message["Date"] = format_datetime(row.created_at.replace(tzinfo=dt.UTC))
    message.set_content(row.body)
    if extra is not None:
        message.add_alternative(extra.html, subtype="html")
        if extra.pdf is not None:
            message.add_attachment(extra.pdf, maintype="application", subtype="pdf",
                                   filename=extra.filename)
    return message


def _connect(smtp_url: str) -> smtplib.SMTP:
    url = urlsplit(smtp_url)
    if url.scheme not in ("smtp", "smtps"):
        raise smtplib.SMTPException(f"unsupported SMTP URL scheme {url.scheme!r}")
    host, user = url.hostname or "localhost", unquote(url.username or "")
    if url.scheme == "smtps":
        client = smtplib.SMTP_SSL(host, url.port or 465, timeout=30,
                                  context=ssl.create_default_context())
    else:
        client = smtplib.SMTP(host, url.port or 587, timeout=30)
    try:
        if url.scheme == "smtp" and user:
            client.starttls(context=ssl.create_default_context())  # never send a password bare
        if user:
            client.login(user, unquote(url.password or ""))
    except BaseException:
        client.close()
        raise
    return client


def has_due(engine: Engine) -> bool:
    """Whether any email waits to be sent now (a cheap read before taking the lease)."""
    o, now = own.outbox, utcnow()
    free = or_(o.c.claimed_until.is_(None), o.c.claimed_until < now)
    query = select(o.c.id).where(o.c.status == "queued", o.c.next_attempt_at <= now, free)
    with transaction(engine, write=False) as conn:
        return conn.execute(query.limit(1)).first() is not None


def count_queued(engine: Engine) -> int:
    o = own.outbox
    with transaction(engine, write=False) as conn:
        return conn.execute(select(func.count()).select_from(o)
                            .where(o.c.status == "queued")).scalar()


def list_rows(engine: Engine, *, failed: bool = False) -> list:
    o = own.outbox
    query = select(o).order_by(o.c.id)
    if failed:
        query = query.where(o.c.status == "queued", o.c.attempts > 0)
    with transaction(engine, write=False) as conn:
        return conn.execute(query).all()
