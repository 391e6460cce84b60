"""The one GenInvoices flow (rules §4), shared by the action and `geninvoices generate`: build
the run's context from settings (today in GENINVOICES_TIMEZONE), run the engine, and after
it has committed send the Invoice Created emails it queued (the command line) or hand them
to the server's background sender (the API).

This is the edge where settings and the clock are read; ``billing`` is handed the result.
"""

from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from . import mailer, outbox
from .billing.due import Selection
from .billing.generator import RunResult, generate
from .billing.run import RunConfig
from .config import Settings

log = logging.getLogger("geninvoices.actions")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def today_in(settings: Settings) -> dt.date:
    """Today in the configured zone (rules §5), or the server's local zone when none is set."""
    if settings.testing and settings.test_today is not None:
        return settings.test_today
    if settings.timezone:
        return dt.datetime.now(ZoneInfo(settings.timezone)).date()
    return dt.date.today()


def run_config(settings: Settings, *, today: dt.date | None = None,
               emails: bool = True) -> RunConfig:
    return RunConfig(today=today or today_in(settings), now=utcnow(), emails=emails,
                     default_gateway=settings.default_gateway, mail_from=settings.mail_from,
                     chunk_size=settings.chunk_size)


def gen_invoices(engine: Engine, settings: Settings, selection: Selection, *,
                 today: dt.date | None = None, emails: bool = True,
                 send_now: bool = True) -> RunResult:
    """``send_now``: send the emails before returning (`geninvoices generate`); otherwise
    only wake this process's background sender, so an API call answers once committed."""
    result = generate(engine, selection, run_config(settings, today=today, emails=emails))
    if emails and result.invoice_ids:
        if send_now:
            send_after_commit(engine, settings, result)
        else:
            mailer.notify()
    return result


def send_after_commit(engine: Engine, settings: Settings, result: RunResult) -> None:
    """After a run has committed: drain the outbox (this run's emails and any waiting)."""
    if not result.invoice_ids:
        return
    try:
        outbox.send_due(engine, settings.smtp_url, settings.mail_from,
                        claim_seconds=settings.mail_claim_seconds,
                        outage_retry_seconds=settings.mail_retry_seconds)
    except Exception:  # noqa: BLE001 - the invoices are committed; mail retries later
        log.exception("sending Invoice Created emails failed; they stay queued")
