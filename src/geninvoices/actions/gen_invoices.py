"""GenInvoices [doc]: bill everything due, or exactly the listed items (rules §4)."""

from __future__ import annotations

import time

from .. import metrics
from ..billing.due import Selection
from ..runs import gen_invoices as run_gen_invoices
from ..runs import preview
from .params import ActionParams, IdList, PhpBool, WholeNumber, parse
from .registry import Context, action


class Params(ActionParams):
    noemails: PhpBool = False
    clientid: WholeNumber | None = None
    serviceids: IdList | None = None
    domainids: IdList | None = None
    addonids: IdList | None = None
    dryrun: PhpBool = False  # our extension: what a run would create, writing nothing


@action("GenInvoices")
def gen_invoices(ctx: Context, raw: dict) -> dict:
    p = parse(Params, raw)
    selection = Selection.of(p.clientid, p.serviceids, p.domainids, p.addonids)
    started = time.perf_counter()
    result = run_gen_invoices(ctx.engine, ctx.settings, selection, emails=not p.noemails,
                              dry_run=p.dryrun, send_now=False)  # the sender mails
    if not p.dryrun:
        metrics.record_run(result, time.perf_counter() - started)
    reply = {"numcreated": str(result.numcreated)}
    if p.clientid is not None:
        reply["latestinvoiceid"] = str(result.latest_for(p.clientid))
    if p.dryrun:
        invoices = preview(result)
        reply.update(dryrun="1", wouldcreate=str(len(invoices)),
                     invoices={"invoice": [{**i, "items": {"item": i["items"]}}
                                           for i in invoices]})
    return reply
