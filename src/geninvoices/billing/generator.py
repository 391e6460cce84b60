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
from array import array
from dataclasses import dataclass, field, fields, replace

from sqlalchemy import Connection, Engine, select

from .. import faults
from ..db import deadlock_retried, transaction, translate
from ..errors import NotFound, RetryableError
from ..models.whmcs import tblclients, tblinvoices
from . import bulk, due, promotions, write
from .items import Item, decide, pays_tax, warning_text
from .kinds import BILLABLE, RECURRING
from .plan import ClientPlan, Invoice, Line, make_lines, plan_client
from .promotions import Priced
from .run import Run, RunConfig, start_run

log = logging.getLogger("geninvoices.billing")

# Clients per chunk (rules §9). A server's chunk bounds how long a single-client run waits
# for a client a full run holds: PostgreSQL writes 500 clients' chunk in about the time
# MariaDB writes 200. SQLite has one writer, which every other write waits for anyway:
# there fewer, larger commits write each index page fewer times (a chunk's new invoices
# still land beside each client's older ones in the (userid, status) index).
CHUNK_SIZE = 200
CHUNK_SIZES = {"sqlite": 5000, "postgresql": 500}


@dataclass
class RunResult:
    # the invoices made, in order, and each one's client: machine integers, not a Python
    # object per invoice, so a run's memory does not grow with the clients it bills
    made: array = field(default_factory=lambda: array("q"))
    made_for: array = field(default_factory=lambda: array("q"))
    skipped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # billed, but worth a look
    billable_items: int = 0  # billable item lines written (rules §5.9)
    lines: int = 0  # invoice lines written
    promotions_ended: list[str] = field(default_factory=list)  # items moved off (§5.10)
    previews: list[ClientPlan] = field(default_factory=list)  # a dry run's plans, unwritten
    # (type, id) of each item seen, kept only when the run lists ids (to name those it never
    # found): a full run would hold a tuple per item
    loaded: set[tuple[str, int]] = field(default_factory=set, repr=False)

    def absorb(self, other: RunResult) -> None:
        """Add a committed chunk's result to the run's (lists and sets grown in place: a
        copy per chunk would cost a run of many chunks the square of its size)."""
        for name in (f.name for f in fields(self)):
            mine, theirs = getattr(self, name), getattr(other, name)
            if isinstance(mine, set):
                mine |= theirs
            elif isinstance(mine, (list, array)):
                mine += theirs
            else:
                setattr(self, name, mine + theirs)

    @property
    def numcreated(self) -> int:
        return len(self.made)

    def latest_for(self, client_id: int) -> int:
        return max((i for i, c in zip(self.made, self.made_for, strict=True)
                    if c == client_id), default=0)

    @property
    def invoice_ids(self) -> list[int]:
        return self.made.tolist()


@dataclass
class _Chunk:
    """A chunk's locked clients and what of theirs is to be billed."""
    clients: dict[int, due.Client]
    fresh: list[tuple[Item, bool, Priced]] = field(default_factory=list)  # not billed yet
    found: list[Item] = field(default_factory=list)  # a WHMCS invoice line billed already
    riders: list[tuple[Item, bool]] = field(default_factory=list)  # join the next invoice

    def only(self, client_id: int) -> _Chunk:
        mine = lambda pairs: [p for p in pairs if p[0].userid == client_id]  # noqa: E731
        return _Chunk({client_id: self.clients[client_id]}, mine(self.fresh),
                      [i for i in self.found if i.userid == client_id], mine(self.riders))


def generate(engine: Engine, selection: due.Selection, config: RunConfig) -> RunResult:
    result = RunResult()
    with transaction(engine, write=False) as conn:
        if selection.clientid is not None and conn.execute(select(tblclients.c.id).where(
                tblclients.c.id == selection.clientid)).first() is None:
            raise NotFound("Client ID Not Found")
        run = start_run(conn, config)
        client_ids = due.candidate_clients(conn, run.lead_limit(), selection)
    size = config.chunk_size or CHUNK_SIZES.get(engine.dialect.name, CHUNK_SIZE)
    for start in range(0, len(client_ids), size):
        chunk_ids = client_ids[start:start + size]
        result.absorb(_chunk_committed(engine, run, selection, chunk_ids))
        faults.checkpoint("after_commit")
        if config.progress is not None:
            config.progress(start + len(chunk_ids), len(client_ids), result.numcreated)
    _note_unlisted(selection, result)
    return result


def _chunk_committed(engine: Engine, run: Run, selection: due.Selection,
                     client_ids: list[int]) -> RunResult:
    """One chunk in one transaction. Should the database end that transaction as a
    deadlock's victim (two workers' chunks, or a chunk and another writer, waiting on each
    other), nothing of it was written: the chunk is billed again from the start (rules §9)."""
    def bill(conn: Connection) -> RunResult:
        part = RunResult()
        if run.config.dry_run:
            _preview_chunk(conn, run, selection, client_ids, part)
        else:
            _bill_chunk(conn, run, selection, client_ids, part)
        return part
    return deadlock_retried(engine, bill, what="a chunk", write=not run.config.dry_run)


def _note_unlisted(selection: due.Selection, result: RunResult) -> None:
    """Listed ids the run never found are passed over (rules §4), but said: an id of another
    client (with ``clientid``), one that does not exist, or one whose status is never billed."""
    if not selection.listing:
        return
    whose = f"client {selection.clientid}'s" if selection.clientid is not None else "known"
    for kind in RECURRING:
        for item_id in selection.ids_for(kind):
            if (kind.type, item_id) not in result.loaded:
                _warn(result, f"{kind.noun} {item_id} not billed: not a {whose} "
                              f"{kind.noun}, or its status is never billed")


def _preview_chunk(conn: Connection, run: Run, selection: due.Selection,
                   client_ids: list[int], result: RunResult) -> None:
    """What ``_bill_chunk`` would write, planned by the same code, with no lock, claim or
    write: every period not billed yet counts as claimed."""
    clients = due.lock_clients(conn, client_ids, wait=False, lock=False)
    if clients:
        chunk = _due_in(conn, run, selection, clients, result)
        result.previews += _plans(run, chunk, _every_period)


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
    result.made.extend(i.id for i in created)
    result.made_for.extend(i.userid for i in created)
    for line in (line for invoice in created for line in invoice.lines):
        result.lines += 1
        result.billable_items += line.type == BILLABLE.type
        if line.revert_to is not None:
            result.promotions_ended.append(f"{line.item.kind.noun} {line.item.id}")


def _due_in(conn: Connection, run: Run, selection: due.Selection,
            clients: dict[int, due.Client], result: RunResult) -> _Chunk:
    """Decide each loaded item; split the due ones by whether a WHMCS line billed them."""
    loaded = due.load_items(conn, list(clients), run.lead_limit(), selection)
    if selection.listing:
        result.loaded.update((item.kind.type, item.id) for item in loaded)
    wanted = _decided(run, selection, clients, result, loaded)
    # where the claims go in with their invoice ids, they find the ledger's periods (and
    # _bill then looks them up): one lookup fewer per chunk; a preview claims nothing
    billed = due.already_billed(conn, [i for i, _ in wanted],
                                ledger=run.config.dry_run or not bulk.ids_ahead(conn))
    currencies = {c.id: run.currency_of(c.currency) for c in clients.values()}
    facts = promotions.load_facts(conn, [i for i, _ in wanted],
                                  {cid: cur.id for cid, cur in currencies.items()})
    chunk = _Chunk(clients)
    for item, taxed in wanted:
        if item.period in billed:
            _log_found(item)
            chunk.found.append(item)
            continue
        priced = promotions.price(item, facts.get((item.kind.type, item.id)),
                                  currencies[item.userid])
        if priced.warning:
            _warn(result, warning_text(item, priced.warning).replace(" skipped:", ":"))
        chunk.fresh.append((item, taxed, priced))
    riders = due.load_riders(conn, list(clients))
    chunk.riders = _decided(run, due.Selection(), clients, result, riders)
    return chunk


def _decided(run: Run, selection: due.Selection, clients: dict[int, due.Client],
             result: RunResult, loaded: list[Item]) -> list[tuple[Item, bool]]:
    """The items to bill, with their lines' tax flag; bad data is reported and left."""
    wanted = []
    for item in (item.kind.dated(item, run.today) for item in loaded):
        client = clients[item.userid]
        decision = decide(item, run.today, run.options, listed=selection.listed(item),
                          client_pays_tax=pays_tax(run.options.tax_enabled, client.taxexempt))
        if decision.warning:
            _skip(result, warning_text(item, decision.warning))
        elif decision.bill:
            wanted.append((item, decision.taxed))
    return wanted


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
    if (planned := _plans(run, chunk, _every_period)) and (
            ids := bulk.next_ids(conn, tblinvoices, sum(len(p.invoices) for p in planned))):
        try:
            with conn.begin_nested():
                return write.claim_and_write(conn, run, planned, ids)
        except write.ClaimedElsewhere:
            log.info("a period of this chunk was claimed already; claiming before writing")
            chunk = _ledger_checked(conn, run, chunk)
    plans = _plans(run, chunk, lambda items: write.claim(conn, run, items))
    return write.write_plans(conn, run, plans)


def _ledger_checked(conn: Connection, run: Run, chunk: _Chunk) -> _Chunk:
    """The chunk with the periods the ledger holds moved from fresh to found (and recorded
    as found), as ``_due_in`` does where it reads the ledger itself."""
    held = due.in_ledger(conn, _every_period([i for i, _, _ in chunk.fresh]))
    found = [i for i, _, _ in chunk.fresh if i.period in held]
    for item in found:
        _log_found(item)
    write.record_found(conn, run, found)
    return replace(chunk, found=chunk.found + found,
                   fresh=[f for f in chunk.fresh if f[0].period not in held])


def _log_found(item: Item) -> None:
    log.warning("%s %s: period from %s is already billed; next invoice date moved past it",
                item.kind.type, item.id, item.nextinvoicedate)


def _every_period(items: list[Item]) -> set[tuple]:
    return {i.period for i in items}


def _plans(run: Run, chunk: _Chunk, claim) -> list[ClientPlan]:
    """The clients' invoices for the periods ``claim`` grants (it returns their keys)."""
    claimed = claim([i for i, _, _ in chunk.fresh])
    lines: dict[int, list[Line]] = {}
    for item, taxed, priced in chunk.fresh:
        if item.period not in claimed:
            continue  # another run billed it first: the ledger says so
        client = chunk.clients[item.userid]
        lines.setdefault(item.userid, []).extend(
            make_lines(item, item.nextinvoicedate, taxed, client, run, priced))
    riders = _rider_lines(run, chunk, lines, claim)
    return [plan_client(chunk.clients[cid], client_lines, run, riders.get(cid))
            for cid, client_lines in sorted(lines.items())]


def _rider_lines(run: Run, chunk: _Chunk, lines: dict[int, list[Line]],
                 claim) -> dict[int, list[Line]]:
    """Billable items that join a client's first new invoice (rules §5.9), dated by their
    own due date or that invoice's, and claimed in the ledger like any period."""
    dated = []
    for item, taxed in chunk.riders:
        if item.userid in lines:
            first_due = min(line.start for line in lines[item.userid])
            day = item.stored_duedate or first_due
            dated.append((replace(item, nextinvoicedate=day, nextduedate=day), taxed))
    claimed = claim([i for i, _ in dated])
    riders: dict[int, list[Line]] = {}
    for item, taxed in dated:
        if item.period in claimed:
            client = chunk.clients[item.userid]
            riders.setdefault(item.userid, []).extend(
                make_lines(item, item.nextinvoicedate, taxed, client, run))
    return riders


def _reraise_retryable(error: Exception) -> None:
    """A lost connection or a lock timeout is the run's, not one client's: give up, retry."""
    translated = translate(error)
    if isinstance(translated, RetryableError):
        raise translated from error


def _skip(result: RunResult, message: str) -> None:
    log.warning(message)
    result.skipped.append(message)


def _warn(result: RunResult, message: str) -> None:
    log.warning(message)
    result.warnings.append(message)
