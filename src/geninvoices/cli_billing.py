"""`geninvoices generate` and `geninvoices mail` (rules §8): the same engine as GenInvoices.
Registered, with the one-line error handling, by ``cli.py``."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from . import cli_workers, outbox
from .billing.due import Selection
from .cli_support import MAX_ID, database, settings
from .clock import today_in
from .documents.mail import composer
from .runs import gen_invoices, preview

# The engine adds lead days and whole billing cycles to dates (years, for a triennial item):
# a year near 1 or 9999 would overflow Python's date, so the CLI refuses it up front.
FIRST_YEAR, LAST_YEAR = 1970, 9000
EXIT_SKIPPED = 3  # billed what it could; some items were skipped as bad data (see the list)


def parse_date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date; use YYYY-MM-DD") from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise typer.BadParameter(f"{value} is out of range; give a date between "
                                 f"{FIRST_YEAR}-01-01 and {LAST_YEAR}-12-31")
    return day


def generate(
    client: Annotated[int | None, typer.Option("--client", min=1, max=MAX_ID,
                                               help="only this client")] = None,
    service: Annotated[list[int] | None, typer.Option("--service", min=1, max=MAX_ID)] = None,
    domain: Annotated[list[int] | None, typer.Option("--domain", min=1, max=MAX_ID)] = None,
    addon: Annotated[list[int] | None, typer.Option("--addon", min=1, max=MAX_ID)] = None,
    no_emails: Annotated[bool, typer.Option("--no-emails")] = False,
    date: Annotated[str | None, typer.Option("--date", help="bill as of YYYY-MM-DD")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help=(
        "show what would be billed; write nothing"))] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    workers: Annotated[int, typer.Option("--workers", min=1, max=64, help=(
        "processes that split the clients through the database's row locks"))] = 1,
) -> None:
    """Bill everything due (or exactly the listed items), as the GenInvoices action does;
    its Invoice Created emails are sent after the commit, before the command exits.
    Exit 0 when all went well, 3 when items were skipped as bad data (listed)."""
    s = settings()
    if workers > 1:
        _generate_in_workers(s, workers, client, dry_run, parse_date(date) or today_in(s),
                             no_emails, as_json, dict(service=service, domain=domain,
                                                      addon=addon))
        return
    selection = Selection.of(client, service or None, domain or None, addon or None)
    with database(s) as engine, _progress(enabled=not as_json) as progress:
        result = gen_invoices(engine, s, selection, today=parse_date(date),
                              emails=not no_emails, dry_run=dry_run, progress=progress)
    reply = {"result": "success", "numcreated": str(result.numcreated)}
    if client is not None:
        reply["latestinvoiceid"] = str(result.latest_for(client))
    report = {"invoiceids": result.invoice_ids, "billableitems": result.billable_items,
              "promotionsended": result.promotions_ended, "skipped": result.skipped,
              "warnings": result.warnings}
    if dry_run:
        _show_preview(result, reply, as_json)
    elif as_json:
        typer.echo(json.dumps({**reply, **report}))
    else:
        _summary(result, reply)
    if result.skipped:
        raise typer.Exit(EXIT_SKIPPED)


def _generate_in_workers(s, workers: int, client: int | None, dry_run: bool, day: dt.date,
                         no_emails: bool, as_json: bool, lists: dict) -> None:
    """`--workers N`: N `generate` processes share the scan through SKIP LOCKED (rules §9).
    The parent's engine is disposed of before the workers are forked: they share no
    connection with it or with each other."""
    if client is not None or dry_run:
        raise typer.BadParameter("--workers splits a scan of many clients; it cannot be "
                                 "combined with --client or --dry-run", param_hint="--workers")
    with database(s) as engine, engine.connect():  # unreachable: one error, not N
        backend = engine.dialect.name
    if backend == "sqlite":
        typer.echo("note: SQLite lets one writer in at a time: the workers take turns "
                   "(safe, not faster); use PostgreSQL or MariaDB to bill in parallel",
                   err=True)
    combined, code = cli_workers.run_workers(
        workers, cli_workers.worker_args(day, no_emails, lists))
    cli_workers.report(combined, code, as_json)
    if code:
        raise typer.Exit(code)


def _summary(result, reply: dict) -> None:
    typer.echo(f"numcreated: {result.numcreated}")
    if "latestinvoiceid" in reply:
        typer.echo(f"latestinvoiceid: {reply['latestinvoiceid']}")
    typer.echo(f"billable items billed: {result.billable_items}")
    for item in result.promotions_ended:
        typer.echo(f"promotion ended: {item} now bills its standard price")
    for line in result.skipped:
        typer.echo(f"skipped: {line}")
    for line in result.warnings:
        typer.echo(f"warning: {line}")


def _show_preview(result, reply: dict, as_json: bool) -> None:
    invoices = preview(result)
    if as_json:
        typer.echo(json.dumps({**reply, "dryrun": True, "invoices": invoices,
                               "skipped": result.skipped, "warnings": result.warnings},
                              default=str))
        return
    table = Table("client", "due", "method", "item", "period", "amount", "taxed",
                  title=f"dry run: {len(invoices)} invoice(s) would be created; nothing written")
    for inv in invoices:
        for n, item in enumerate(inv["items"]):
            head = (f"{inv['clientid']} {inv['client']}", inv["duedate"],
                    inv["paymentmethod"]) if n == 0 else ("", "", "")
            table.add_row(*map(escape, head), escape(item["description"]),
                          f"{item['periodstart']} - {item['periodend']}", str(item["amount"]),
                          "yes" if item["taxed"] else "")
        table.add_row("", "", "", f"subtotal {inv['subtotal']}  tax {inv['tax']}  tax2 "
                      f"{inv['tax2']}  credit {inv['credit']}", "", f"total {inv['total']}",
                      "", end_section=True)
    Console(width=160).print(table)
    for line in result.skipped:
        typer.echo(f"skipped: {line}")


@contextlib.contextmanager
def _progress(enabled: bool):
    """A progress bar on a terminal (clients, invoices, rate); nothing otherwise."""
    if not (enabled and sys.stdout.isatty()):
        yield None
        return
    from rich.progress import (  # only with a bar on screen
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    columns = (TextColumn("billing"), BarColumn(), MofNCompleteColumn(),
               TextColumn("clients, {task.fields[invoices]} invoices"),
               TimeElapsedColumn())
    with Progress(*columns, transient=True) as bar:
        task = bar.add_task("billing", total=None, invoices=0)

        def update(done: int, total: int, invoices: int) -> None:
            bar.update(task, completed=done, total=total, invoices=invoices)
        yield update


def mail_send() -> None:
    """Send every Invoice Created email that is due (retries included); exit 1 when any
    failed or SMTP is not configured."""
    s = settings()
    with database(s) as engine:
        report = outbox.send_due(engine, s.smtp_url, s.mail_from,
                                 claim_seconds=s.mail_claim_seconds,
                                 outage_retry_seconds=s.mail_retry_seconds,
                                 compose=composer(engine, s))
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
