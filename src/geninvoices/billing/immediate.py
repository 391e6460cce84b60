"""Bill exactly these items of one client now (rules §13): an order's first invoice.

The engine's own steps, inside the caller's transaction: lock the client (§9), load the
items by id, claim each one's period from its next invoice date in the ledger (§9), make
its lines (``plan.make_lines``: tax by the item's kind, §5.4, and a promotion's discount
line), plan the invoice (``plan.plan_client``: tax, credit, §5.3 to §5.5) and write it
(``write.write_plans``: lines, ledger invoice ids, next invoice dates, credit, the payment
rule for an invoice that credit pays, custom numbers, the outbox). The caller has decided
these items are billed now and at what amount, so status and lead days are not judged
here; a period the ledger already holds is never billed again.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import Connection

from ..errors import BusinessError, NotFound
from . import cycles, describe, due, write
from .items import Item, pays_tax
from .kinds import DOMAIN, Kind
from .plan import Invoice, Line, make_lines, plan_client
from .promotions import Priced
from .run import Run


@dataclass(frozen=True)
class Charge:
    """One item's period from its next invoice date, at an amount the caller decided."""
    kind: Kind
    id: int
    priced: Priced  # the item's line (setup fee included) and a discount line, if any
    registration: bool = False  # a domain's first registration, not a renewal


def bill_items(conn: Connection, run: Run, client_id: int, charges: list[Charge], *,
               one_invoice: bool = False) -> list[Invoice]:
    """Write the invoice(s) for ``charges``; ``one_invoice``: all on one invoice even for a
    client with separate invoices (an order has one). Returns what was written."""
    client = due.lock_clients(conn, [client_id], wait=True).get(client_id)
    if client is None:
        raise NotFound("Client ID Not Found")
    if one_invoice:
        client = replace(client, separateinvoices=False)
    ids: dict[Kind, list[int]] = {}
    for charge in charges:
        ids.setdefault(charge.kind, []).append(charge.id)
    loaded = {(i.kind.type, i.id): i for i in due.load_by_id(conn, client_id, ids)}
    wanted = [(_billable(loaded.get((c.kind.type, c.id)), c), c) for c in charges]
    claimed = write.claim(conn, run, [item for item, _ in wanted])
    taxes = pays_tax(run.options.tax_enabled, client.taxexempt)
    lines: list[Line] = []
    for item, charge in wanted:
        if item.period in claimed:
            taxed = taxes and item.kind.taxed(item, run.options)
            made = make_lines(item, item.nextinvoicedate, taxed, client, run, charge.priced)
            lines += _registration(made, run) if charge.registration else made
    if not lines:
        return []
    return write.write_plans(conn, run, [plan_client(client, lines, run)])


def _billable(item: Item | None, charge: Charge) -> Item:
    """The loaded item, or the caller's mistake said plainly (nothing is written)."""
    if item is None or item.nextinvoicedate is None:
        raise BusinessError(f"{charge.kind.noun} {charge.id} has no period to bill")
    problem = item.kind.check_cycle(item)
    if problem:
        raise BusinessError(f"{charge.kind.noun} {charge.id}: {problem}")
    return item


def _registration(made: list[Line], run: Run) -> list[Line]:
    """A new domain's own line says Registration (its renewals say Renewal, §5.3)."""
    own = made[0]
    if own.item.kind is not DOMAIN:
        return made
    text = describe.domain_registration_description(
        own.item.label, int(own.item.cycle), own.start,
        cycles.period_end(own.start, own.next_start), run.options.date_format)
    return [replace(own, description=text), *made[1:]]
