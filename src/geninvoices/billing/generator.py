"""GenInvoices: the run (spec 4, 5 and 9). One engine for the API and the command line.

A run takes its clients in chunks. Each chunk is one transaction: lock the chunk's clients
(skipping those another run holds), read their items, decide what is due, claim those periods
in the ledger, and write invoices, lines, dates, credit and emails in bulk. Should the bulk
write fail, the chunk is written again client by client, each in its own savepoint, so one
client's bad data never rolls back its neighbours. The caller passes ``today``: the engine
never reads the clock to decide what is due.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from dataclasses import dataclass, field

from sqlalchemy import Connection, Engine, select

from .. import faults
from ..db import transaction, translate
from ..errors import NotFound, RetryableError
from ..models import own
from ..models.whmcs import tblclients, tblcurrencies, tbltax
from . import due, write
from .items import Item, decide, warning_text
from .mail import Currency
from .options import BillingOptions, load_options
from .plan import Invoice, make_line, plan_client
from .tax import TaxRule

log = logging.getLogger("geninvoices.billing")


@dataclass
class RunResult:
    invoices: list[tuple[int, int]] = field(default_factory=list)  # (invoice id, client id)
    skipped: list[str] = field(default_factory=list)

    @property
    def numcreated(self) -> int:
        return len(self.invoices)

    def latest_for(self, client_id: int) -> int:
        return max((i for i, c in self.invoices if c == client_id), default=0)

    @property
    def invoice_ids(self) -> list[int]:
        return [i for i, _ in self.invoices]


@dataclass(frozen=True)
class RunSettings:
    today: dt.date
    emails: bool = True
    default_gateway: str = ""
    mail_from: str = "billing@localhost"
    chunk_size: int = 200


def generate(engine: Engine, selection: due.Selection, settings: RunSettings) -> RunResult:
    result = RunResult()
    with transaction(engine, write=False) as conn:
        if selection.clientid is not None and conn.execute(select(tblclients.c.id).where(
                tblclients.c.id == selection.clientid)).first() is None:
            raise NotFound("Client ID Not Found")
        options = load_options(conn, default_gateway=settings.default_gateway)
        context = _context(conn, settings, options)
        client_ids = due.candidate_clients(conn, settings.today, options, selection)
    for start in range(0, len(client_ids), settings.chunk_size):
        chunk = client_ids[start:start + settings.chunk_size]
        with transaction(engine) as conn:
            _bill_chunk(conn, context, selection, chunk, result)
        faults.checkpoint("after_commit")
    return result


@dataclass(frozen=True)
class _Context:
    run: write.Run
    rules: list[TaxRule]


def _context(conn: Connection, settings: RunSettings, options: BillingOptions) -> _Context:
    rules = [TaxRule(r.level, r.name or "", r.country or "", r.state or "", r.taxrate)
             for r in conn.execute(select(tbltax))]
    currencies = {r.id: Currency(r.id, r.code or "", r.prefix or "", r.suffix or "")
                  for r in conn.execute(select(tblcurrencies))}
    default = next((currencies[r.id] for r in conn.execute(
        select(tblcurrencies.c.id).where(tblcurrencies.c.default == 1))),
        Currency(0, "", "", ""))
    install = conn.execute(select(own.meta.c.value).where(own.meta.c.key == "install_id")).scalar()
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
    run = write.Run(secrets.token_hex(16), settings.today, now, options, settings.emails,
                    settings.mail_from, install or "geninvoices", currencies, default)
    return _Context(run, rules)


def _bill_chunk(conn: Connection, ctx: _Context, selection: due.Selection, chunk: list[int],
                result: RunResult) -> None:
    today, options = ctx.run.today, ctx.run.options
    clients = due.lock_clients(conn, chunk, wait=selection.clientid is not None)
    if not clients:
        return
    items = due.load_items(conn, list(clients), today, options, selection)
    wanted = []
    for item in items:
        decision = decide(item, today, options, listed=selection.listed(item))
        if decision.warning:
            _skip(result, warning_text(item, decision.warning))
        elif decision.bill:
            wanted.append(item)
    billed = due.already_billed(conn, wanted)
    fresh = [i for i in wanted if (i.kind, i.id, i.nextinvoicedate) not in billed]
    found = [(i, i.nextinvoicedate) for i in wanted if (i.kind, i.id, i.nextinvoicedate) in billed]
    for item, start in found:
        log.warning("%s %s: period from %s is already billed; next invoice date moved past it",
                    item.kind, item.id, start)
    try:
        with conn.begin_nested():
            created = _bill(conn, ctx, clients, fresh, found)
    except Exception as error:  # noqa: BLE001 - retried client by client below
        _reraise_retryable(error)
        log.warning("chunk write failed (%s); writing its clients one by one", error)
        created = []
        for client_id in clients:
            created += _bill_one(conn, ctx, clients, client_id, fresh, found, result)
    result.invoices += [(i.id, i.userid) for i in created]


def _bill_one(conn: Connection, ctx: _Context, clients: dict[int, due.Client], client_id: int,
              fresh: list[Item], found: list[tuple[Item, dt.date]],
              result: RunResult) -> list[Invoice]:
    mine = [i for i in fresh if i.userid == client_id]
    mine_found = [(i, s) for i, s in found if i.userid == client_id]
    if not mine and not mine_found:
        return []
    try:
        with conn.begin_nested():
            return _bill(conn, ctx, {client_id: clients[client_id]}, mine, mine_found)
    except Exception as error:  # noqa: BLE001 - one client's bad data stops only that client
        _reraise_retryable(error)
        _skip(result, f"client {client_id} skipped: {error.__class__.__name__}: {error}")
        return []


def _bill(conn: Connection, ctx: _Context, clients: dict[int, due.Client], fresh: list[Item],
          found: list[tuple[Item, dt.date]]) -> list[Invoice]:
    """Claim, plan and write these clients' periods; the caller holds their savepoint."""
    run = ctx.run
    for client_id in clients:
        faults.fail_if("write_client", client_id)
    write.record_found(conn, run, found)
    claimed = write.claim(conn, run, [(i, i.nextinvoicedate) for i in fresh])
    lines_by_client: dict[int, list] = {}
    for item in fresh:
        if (item.kind, item.id, item.nextinvoicedate) not in claimed:
            continue  # another run billed it first: the ledger says so
        line = make_line(item, item.nextinvoicedate, clients[item.userid], run.options)
        lines_by_client.setdefault(item.userid, []).append(line)
    plans = [plan_client(clients[cid], lines, run.today, run.options, ctx.rules)
             for cid, lines in sorted(lines_by_client.items())]
    return write.write_plans(conn, run, plans)


def _reraise_retryable(error: Exception) -> None:
    """A lost connection or a lock timeout is the run's, not one client's: give up, retry."""
    translated = translate(error)
    if isinstance(translated, RetryableError):
        raise translated from error


def _skip(result: RunResult, message: str) -> None:
    log.warning(message)
    result.skipped.append(message)
