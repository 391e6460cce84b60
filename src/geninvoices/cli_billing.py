"""`geninvoices generate` and `geninvoices mail` (rules §8): the same engine as GenInvoices.
Registered, with the one-line error handling, by ``cli.py``."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from . import outbox
from .billing.due import Selection
from .cli_support import database, settings
from .runs import gen_invoices


def parse_date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date; use YYYY-MM-DD") from None


def generate(
    client: Annotated[int | None, typer.Option("--client", min=1, help="only this client")] = None,
    service: Annotated[list[int] | None, typer.Option("--service", min=1)] = None,
    domain: Annotated[list[int] | None, typer.Option("--domain", min=1)] = None,
    addon: Annotated[list[int] | None, typer.Option("--addon", min=1)] = None,
    no_emails: Annotated[bool, typer.Option("--no-emails")] = False,
    date: Annotated[str | None, typer.Option("--date", help="bill as of YYYY-MM-DD")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Bill everything due (or exactly the listed items), as the GenInvoices action does;
    its Invoice Created emails are sent after the commit, before the command exits."""
    s = settings()
    selection = Selection.of(client, service or None, domain or None, addon or None)
    with database(s) as engine:
        result = gen_invoices(engine, s, selection, today=parse_date(date),
                              emails=not no_emails)
    reply = {"result": "success", "numcreated": str(result.numcreated)}
    if client is not None:
        reply["latestinvoiceid"] = str(result.latest_for(client))
    report = {"billableitems": result.billable_items,
              "promotionsended": result.promotions_ended, "skipped": result.skipped,
              "warnings": result.warnings}
    if as_json:
        typer.echo(json.dumps({**reply, **report}))
        return
    typer.echo(f"numcreated: {result.numcreated}")
    if client is not None:
        typer.echo(f"latestinvoiceid: {reply['latestinvoiceid']}")
    typer.echo(f"billable items billed: {result.billable_items}")
    for item in result.promotions_ended:
        typer.echo(f"promotion ended: {item} now bills its standard price")
    for line in result.skipped:
        typer.echo(f"skipped: {line}")
    for line in result.warnings:
        typer.echo(f"warning: {line}")


def mail_send() -> None:
    """Send every Invoice Created email that is due (retries included); exit 1 when any
    failed or SMTP is not configured."""
    s = settings()
    with database(s) as engine:
        report = outbox.send_due(engine, s.smtp_url, s.mail_from,
                                 claim_seconds=s.mail_claim_seconds,
                                 outage_retry_seconds=s.mail_retry_seconds)
    if report.not_configured:
        typer.echo("error: GENINVOICES_SMTP_URL is not set: emails stay queued", err=True)
        raise typer.Exit(1)
    typer.echo(f"sent: {len(report.sent)}, failed: {len(report.failed)}")
    if report.failed:
        typer.echo("error: some emails could not be sent and stay queued; see "
                   "`geninvoices mail list --failed`", err=True)
        raise typer.Exit(1)


def mail_list(failed: Annotated[bool, typer.Option("--failed", help="only stuck ones")] = False):
    """The outbox: what was sent, what waits, and (with --failed) what keeps failing and why."""
    with database() as engine:
        rows = outbox.list_rows(engine, failed=failed)
    table = Table("invoice", "to", "status", "attempts", "next attempt (UTC)", "last error")
    for r in rows:
        table.add_row(str(r.invoiceid), escape(r.recipient), r.status, str(r.attempts),
                      str(r.next_attempt_at), escape(r.last_error or ""))
    Console(width=200).print(table)
