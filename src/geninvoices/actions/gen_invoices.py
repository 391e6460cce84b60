"""GenInvoices [doc]: bill everything due, or exactly the listed items (spec 4).

The action parses, builds the run's settings (today in GENINVOICES_TIMEZONE) and, after the
engine has committed, sends the Invoice Created emails it queued.
"""

from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo

from ..billing.due import Selection
from ..billing.generator import RunResult, RunSettings, generate
from ..config import Settings
from .. import outbox
from .params import ActionParams, IdList, PhpBool, WholeNumber, parse
from .registry import Context, action

log = logging.getLogger("geninvoices.actions")


class Params(ActionParams):
    noemails: PhpBool = False
    clientid: WholeNumber | None = None
    serviceids: IdList | None = None
    domainids: IdList | None = None
    addonids: IdList | None = None


def today_in(settings: Settings) -> dt.date:
    if settings.timezone:
        return dt.datetime.now(ZoneInfo(settings.timezone)).date()
    return dt.date.today()


def run_settings(settings: Settings, today: dt.date, *, emails: bool) -> RunSettings:
    return RunSettings(today=today, emails=emails, default_gateway=settings.default_gateway,
                       mail_from=settings.mail_from, chunk_size=settings.chunk_size)


def selection_of(p: Params) -> Selection:
    as_tuple = lambda ids: None if ids is None else tuple(ids)  # noqa: E731
    return Selection(p.clientid, as_tuple(p.serviceids), as_tuple(p.domainids),
                     as_tuple(p.addonids))


def send_after_commit(engine, settings: Settings, result: RunResult) -> None:
    """After a run has committed: drain the outbox (this run's emails and any waiting)."""
    if not result.invoice_ids:
        return
    try:
        outbox.send_due(engine, settings.smtp_url, settings.mail_from,
                        claim_seconds=settings.mail_claim_seconds)
    except Exception:  # noqa: BLE001 - the invoices are committed; mail retries later
        log.exception("sending Invoice Created emails failed; they stay queued")


@action("GenInvoices")
def gen_invoices(ctx: Context, raw: dict) -> dict:
    p = parse(Params, raw)
    settings = run_settings(ctx.settings, today_in(ctx.settings), emails=not p.noemails)
    result = generate(ctx.engine, selection_of(p), settings)
    if not p.noemails:
        send_after_commit(ctx.engine, ctx.settings, result)
    reply = {"numcreated": str(result.numcreated)}
    if p.clientid is not None:
        reply["latestinvoiceid"] = str(result.latest_for(p.clientid))
    return reply
