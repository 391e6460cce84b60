"""CloseClient [doc]: "close the client, cancel any invoices and set the status of all
products to Cancelled or Terminated" (rules §11), in one transaction; billable items a run
would still bill are no longer invoiced."""

from __future__ import annotations

from sqlalchemy import Connection, and_, or_, select, update

from ..billing.kinds import NEXT_CRON, NEXT_INVOICE, NO_INVOICE, ON_DUE_DATE, RECUR
from ..clock import today_in, utcnow
from ..db import transaction
from ..errors import NotFound
from ..models.whmcs import (
    tblbillableitems,
    tblclients,
    tbldomains,
    tblhosting,
    tblhostingaddons,
    tblinvoices,
)
from .params import ActionParams, WholeNumber, parse
from .registry import Context, action

NOT_FOUND = "Client ID Not Found"
OPEN_INVOICES = ("Unpaid", "Draft")
PENDING = ("Pending",)
RUNNING = ("Active", "Suspended")
LIVE_DOMAINS = ("Pending", "Pending Registration", "Pending Transfer", "Active", "Grace",
                "Redemption")


class Params(ActionParams):
    clientid: WholeNumber | None = None


def _end_services(conn: Connection, client: int, today, now) -> None:
    """Pending services and addons are Cancelled; running ones Terminated today."""
    for table, status, owner in ((tblhosting, "domainstatus", "userid"),
                                 (tblhostingaddons, "status", "userid")):
        mine = table.c[owner] == client
        conn.execute(update(table).where(and_(mine, table.c[status].in_(PENDING)))
                     .values({status: "Cancelled", "updated_at": now}))
        conn.execute(update(table).where(and_(mine, table.c[status].in_(RUNNING)))
                     .values({status: "Terminated", "termination_date": today,
                              "updated_at": now}))


def _stop_billable_items(conn: Connection, client: int) -> None:
    """rules §11, §5.9: the items a run would still bill (a one-off not yet invoiced, a
    recurring one not yet done) become `noinvoice` (0); those already billed keep their
    action, the record of how they were billed."""
    b = tblbillableitems.c
    unbilled = or_(and_(b.invoiceaction.in_((NEXT_CRON, NEXT_INVOICE, ON_DUE_DATE)),
                        b.invoicecount == 0),
                   and_(b.invoiceaction == RECUR,
                        or_(b.recurfor == 0, b.invoicecount < b.recurfor)))
    conn.execute(update(tblbillableitems).where(and_(b.userid == client, unbilled))
                 .values(invoiceaction=NO_INVOICE))


@action("CloseClient")
def close_client(ctx: Context, raw: dict) -> dict:
    p = parse(Params, raw)
    today, now = today_in(ctx.settings), utcnow()
    with transaction(ctx.engine) as conn:
        c = tblclients.c
        if p.clientid is None or conn.execute(select(c.id).where(c.id == p.clientid)
                                              .with_for_update()).first() is None:
            raise NotFound(NOT_FOUND)
        inv = tblinvoices.c
        conn.execute(update(tblinvoices).where(and_(
            inv.userid == p.clientid, inv.status.in_(OPEN_INVOICES))).values(
            status="Cancelled", date_cancelled=now, updated_at=now))
        _end_services(conn, p.clientid, today, now)
        _stop_billable_items(conn, p.clientid)
        d = tbldomains.c
        conn.execute(update(tbldomains).where(and_(
            d.userid == p.clientid, d.status.in_(LIVE_DOMAINS))).values(
            status="Cancelled", updated_at=now))
        conn.execute(update(tblclients).where(c.id == p.clientid).values(
            status="Closed", updated_at=now))
    return {"clientid": str(p.clientid)}
