"""The server's background sender of Invoice Created emails (rules §5.6).

Each `serve` worker runs one as an asyncio task. It wakes when a GenInvoices run in this
worker has committed (``notify``) and every ``GENINVOICES_MAIL_RETRY_SECONDS`` otherwise,
and drains whatever is due. One sender sends at a time across workers and hosts: it first
takes a lease, a row of ``geninvoices_meta`` naming its owner and an expiry, renewed before
every batch. The lease only saves duplicate SMTP sessions; each email's own claim in the
outbox is what keeps two senders from sending it at once, even if a lease expired.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import threading
import uuid
from collections.abc import Callable

from sqlalchemy import Engine, exc, insert, select, update

from . import outbox
from .clock import utcnow
from .config import Settings
from .db import transaction
from .documents.mail import composer
from .models import own

log = logging.getLogger("geninvoices.mail")
LEASE_KEY = "mail_sender_lease"
_senders: set[Sender] = set()
_senders_lock = threading.Lock()


def notify() -> None:
    """A run in this process has queued emails: wake its sender (none in the CLI)."""
    with _senders_lock:
        for sender in _senders:
            sender.wake()


class Lease:
    """``owner until`` in ``geninvoices_meta``: free once ``until`` has passed."""

    def __init__(self, engine: Engine, seconds: float):
        self.engine, self.seconds = engine, dt.timedelta(seconds=seconds)
        self.owner = uuid.uuid4().hex

    def take(self) -> bool:
        """Take or renew the lease; False while another sender holds it."""
        m, now = own.meta, utcnow()
        value = f"{self.owner} {(now + self.seconds).isoformat()}"
        try:
            with transaction(self.engine) as conn:
                held = conn.execute(select(m.c.value).where(m.c.key == LEASE_KEY)
                                    .with_for_update()).scalar()
                if held is None:
                    conn.execute(insert(m).values(key=LEASE_KEY, value=value))
                    return True
                owner, _, until = held.partition(" ")
                if owner != self.owner and dt.datetime.fromisoformat(until) > now:
                    return False
                conn.execute(update(m).where(m.c.key == LEASE_KEY).values(value=value))
                return True
        except exc.IntegrityError:  # another sender inserted it first
            return False

    def release(self) -> None:
        m = own.meta
        with transaction(self.engine) as conn:
            conn.execute(update(m).where(m.c.key == LEASE_KEY,
                                         m.c.value.like(f"{self.owner} %"))
                         .values(value=f"{self.owner} 1970-01-01T00:00:00"))


class Sender:
    def __init__(self, engine: Engine, settings: Settings,
                 observe: Callable[[outbox.SendReport | None, int], None] | None = None):
        """``observe(report, waiting)`` after each look at the outbox (the metrics)."""
        self.engine, self.settings = engine, settings
        self.observe = observe or (lambda report, waiting: None)
        self.lease = Lease(engine, max(60.0, 2 * settings.mail_retry_seconds))
        self.compose = composer(engine, settings)  # HTML part and PDF (rules §15)
        self.stopping = False
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None

    def wake(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._wake.set)

    async def run(self) -> None:
        """Until cancelled: wait for a run or the retry interval, then drain."""
        self._loop = asyncio.get_running_loop()
        with _senders_lock:
            _senders.add(self)
        try:
            wait = 0.0  # at start-up: send what the last server left queued
            while not self.stopping:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), wait)
                self._wake.clear()
                busy = await asyncio.to_thread(self.drain)
                # another worker is sending: look again soon, in case it just finished
                wait = min(1.0, self.settings.mail_retry_seconds) if busy \
                    else self.settings.mail_retry_seconds
        finally:
            with _senders_lock:
                _senders.discard(self)

    def drain(self) -> bool:
        """Send everything due, if this worker holds the lease; True when another does."""
        try:
            report, busy = self._send()
            self.observe(report, outbox.count_queued(self.engine))
        except Exception as error:  # noqa: BLE001 - the database may be away; retry later
            log.warning("the background mail sender failed, retrying later: %s", error)
            return False
        return busy

    def _send(self) -> tuple[outbox.SendReport | None, bool]:
        s = self.settings
        if not s.smtp_url or not outbox.has_due(self.engine):
            return None, False
        if not self.lease.take():
            return None, True
        try:
            return outbox.send_due(
                self.engine, s.smtp_url, s.mail_from, claim_seconds=s.mail_claim_seconds,
                outage_retry_seconds=s.mail_retry_seconds,
                keep_going=lambda: not self.stopping and self.lease.take(),
                compose=self.compose), False
        finally:
            self.lease.release()
