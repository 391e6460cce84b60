"""GenInvoices: the run (rules §4, §5 and §9). One engine for the API and the command line.

A run takes its clients in chunks. Each chunk is one transaction: lock the chunk's clients
(skipping those another run holds), read their items, decide what is due, claim those periods
in the ledger, and write invoices, lines, dates, credit and emails in bulk. Should the bulk
write fail, the chunk is written again client by client, each in its own savepoint, so one
client's bad data never rolls back its neighbours. The caller passes ``today``: the engine
never reads the clock to decide what is due.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy import Connection, Engine, select

from .. import faults
from ..db import transaction, translate
from ..errors import NotFound, RetryableError
from ..models.whmcs import tblclients
from . import due, write
from .items import Item, decide, pays_tax, warning_text
from .plan import Invoice, make_line, plan_client
from .run import Run, RunConfig, start_run

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


@dataclass
class _Chunk:
    """A chunk's locked clients and what of theirs is to be billed."""
    clients: dict[int, due.Client]
    fresh: list[tuple[Item, bool]]  # (item, taxed): periods not billed yet
    found: list[Item]  # periods a WHMCS invoice line billed already

    def only(self, client_id: int) -> _Chunk:
        return _Chunk({client_id: self.clients[client_id]},
                      [(i, t) for i, t in self.fresh if i.userid == client_id],
                      [i for i in self.found if i.userid == client_id])


def generate(engine: Engine, selection: due.Selection, config: RunConfig) -> RunResult:
    result = RunResult()
    with transaction(engine, write=False) as conn:
        if selection.clientid is not None and conn.execute(select(tblclients.c.id).where(
                tblclients.c.id == selection.clientid)).first() is None:
            raise NotFound("Client ID Not Found")
        run = start_run(conn, config)
        client_ids = due.candidate_clients(conn, run.lead_limit(), selection)
    for start in range(0, len(client_ids), config.chunk_size):
        with transaction(engine) as conn:
            _bill_chunk(conn, run, selection, client_ids[start:start + config.chunk_size],
                        result)
        faults.checkpoint("after_commit")
    return result


def _bill_chunk(conn: Connection, run: Run, selection: due.Selection, client_ids: list[int],
                result: RunResult) -> None:
    clients = due.lock_clients(conn, client_ids, wait=selection.clientid is not None)
    if not clients:
        return
    chunk = _due_in(conn, run, selection, clients, result)
    try:
        with conn.begin_nested():
            created = _bill(conn, run, chunk)
    except Exception as error:  # noqa: BLE001 - retried client by client below
        _reraise_retryable(error)
        log.warning("chunk write failed (%s); writing its clients one by one", error)
        created = []
        for client_id in clients:
            created += _bill_one(conn, run, chunk.only(client_id), result)
    result.invoices += [(i.id, i.userid) for i in created]


def _due_in(conn: Connection, run: Run, selection: due.Selection,
            clients: dict[int, due.Client], result: RunResult) -> _Chunk:
    """Decide each loaded item; split the due ones by whether a WHMCS line billed them."""
    wanted = []
    for item in due.load_items(conn, list(clients), run.lead_limit(), selection):
        client = clients[item.userid]
        decision = decide(item, run.today, run.options, listed=selection.listed(item),
                          client_pays_tax=pays_tax(run.options.tax_enabled, client.taxexempt))
        if decision.warning:
            _skip(result, warning_text(item, decision.warning))
        elif decision.bill:
            wanted.append((item, decision.taxed))
    billed = due.already_billed(conn, [i for i, _ in wanted])
    chunk = _Chunk(clients, [], [])
    for item, taxed in wanted:
        if (item.kind.type, item.id, item.nextinvoicedate) in billed:
            log.warning("%s %s: period from %s is already billed; next invoice date moved "
                        "past it", item.kind.type, item.id, item.nextinvoicedate)
            chunk.found.append(item)
        else:
            chunk.fresh.append((item, taxed))
    return chunk


def _bill_one(conn: Connection, run: Run, chunk: _Chunk, result: RunResult) -> list[Invoice]:
    if not chunk.fresh and not chunk.found:
        return []
    try:
        with conn.begin_nested():
            return _bill(conn, run, chunk)
    except Exception as error:  # noqa: BLE001 - one client's bad data stops only that client
        _reraise_retryable(error)
        client_id = next(iter(chunk.clients))
        _skip(result, f"client {client_id} skipped: {error.__class__.__name__}: {error}")
        return []


def _bill(conn: Connection, run: Run, chunk: _Chunk) -> list[Invoice]:
    """Claim, plan and write these clients' periods; the caller holds their savepoint."""
    for client_id in chunk.clients:
        faults.fail_if("write_client", client_id)
    write.record_found(conn, run, chunk.found)
    claimed = write.claim(conn, run, [i for i, _ in chunk.fresh])
    lines_by_client: dict[int, list] = {}
    for item, taxed in chunk.fresh:
        if (item.kind.type, item.id, item.nextinvoicedate) not in claimed:
            continue  # another run billed it first: the ledger says so
        client = chunk.clients[item.userid]
        line = make_line(item, item.nextinvoicedate, taxed, client, run)
        lines_by_client.setdefault(item.userid, []).append(line)
    plans = [plan_client(chunk.clients[cid], lines, run)
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
