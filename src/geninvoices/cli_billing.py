"""`geninvoices generate` and `geninvoices mail` (rules §8): the same engine as GenInvoices.
Registered, with the one-line error handling, by ``cli.py``."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from . import outbox
from .billing.due import Selection
from .config import Settings
from .db import make_engine
from .runs import gen_invoices


def _engine(settings: Settings):
    return make_engine(settings.database_url, lock_timeout_seconds=settings.lock_timeout_seconds)


def parse_date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date; use YYYY-MM-DD") from None


def generate(
    client: Annotated[Optional[int], typer.Option("--client", min=1, help="only this client")] = None,
    service: Annotated[Optional[list[int]], typer.Option("--service", min=1)] = None,
    domain: Annotated[Optional[list[int]], typer.Option("--domain", min=1)] = None,
    addon: Annotated[Optional[list[int]], typer.Option("--addon", min=1)] = None,
    no_emails: Annotated[bool, typer.Option("--no-emails")] = False,
    date: Annotated[Optional[str], typer.Option("--date", help="bill as of YYYY-MM-DD")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Bill everything due (or exactly the listed items), as the GenInvoices action does."""
    settings = Settings()
    selection = Selection.of(client, service or None, domain or None, addon or None)
    engine = _engine(settings)
    try:
        result = gen_invoices(engine, settings, selection, today=parse_date(date),
                              emails=not no_emails)
    finally:
        engine.dispose()
    reply = {"result": "success", "numcreated": str(result.numcreated)}
    if client is not None:
        reply["latestinvoiceid"] = str(result.latest_for(client))
    if as_json:
        typer.echo(json.dumps({**reply, "skipped": result.skipped}))
        return
    typer.echo(f"numcreated: {result.numcreated}")
    if client is not None:
        typer.echo(f"latestinvoiceid: {reply['latestinvoiceid']}")
    for line in result.skipped:
        typer.echo(f"skipped: {line}")


def mail_send() -> None:
    """Send the Invoice Created emails that are due (retries included)."""
    settings = Settings()
    engine = _engine(settings)
    try:
        report = outbox.send_due(engine, settings.smtp_url, settings.mail_from,
                                 claim_seconds=settings.mail_claim_seconds)
    finally:
        engine.dispose()
    if report.not_configured:
        typer.echo("GENINVOICES_SMTP_URL is not set: emails stay queued", err=True)
        raise typer.Exit(1)
    typer.echo(f"sent: {len(report.sent)}, failed: {len(report.failed)}")


def mail_list(failed: Annotated[bool, typer.Option("--failed", help="only stuck ones")] = False):
    """The outbox: what was sent, what waits, and (with --failed) what keeps failing."""
    settings = Settings()
    engine = _engine(settings)
    try:
        rows = outbox.list_rows(engine, failed=failed)
    finally:
        engine.dispose()
    table = Table("invoice", "to", "status", "attempts", "next attempt", "last error")
    for r in rows:
        table.add_row(str(r.invoiceid), r.recipient, r.status, str(r.attempts),
                      str(r.next_attempt_at), (r.last_error or "")[:60])
    Console(width=120).print(table)
