"""A dry run (`generate --dry-run`, `dryrun=1`) plans with the same code as a real run and
writes nothing; the real run that follows creates exactly what it showed (rules §4)."""

from __future__ import annotations

import json
from decimal import Decimal

from sqlalchemy import func, select

from geninvoices.billing.due import Selection
from geninvoices.billing.generator import generate
from geninvoices.models import own, whmcs
from geninvoices.runs import preview
from tests.actions.http import Api
from tests.concurrency.world import PAST, TODAY, build_world, snapshot
from tests.engine.helpers import config, invoices, lines

TABLES = (whmcs.tblinvoices, whmcs.tblinvoiceitems, whmcs.tblcredit, own.ledger, own.outbox,
          whmcs.tblconfiguration, whmcs.tblbillableitems, whmcs.tblhosting)


def counts(engine) -> dict:
    with engine.connect() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar()
                for t in TABLES}


def shown(rows: list[dict]) -> list:
    return sorted((r["clientid"], r["duedate"], r["paymentmethod"], str(r["subtotal"]),
                   str(r["tax"]), str(r["credit"]), str(r["total"]),
                   tuple((i["type"], i["relid"], i["description"], str(i["amount"]))
                         for i in r["items"])) for r in rows)


def made(engine) -> list:
    by_invoice: dict[int, list] = {}
    for ln in lines(engine):
        by_invoice.setdefault(ln["invoiceid"], []).append(
            (ln["type"], ln["relid"], ln["description"], str(ln["amount"])))
    return sorted((i["userid"], i["duedate"].isoformat(), i["paymentmethod"],
                   str(i["subtotal"]), str(i["tax"]), str(i["credit"]), str(i["total"]),
                   tuple(by_invoice[i["id"]])) for i in invoices(engine)
                  if not i["invoicenum"].startswith(PAST))  # the world's, from before


def test_a_dry_run_writes_nothing_and_shows_what_the_real_run_makes(engine):
    build_world(engine, 30)
    before, state = counts(engine), snapshot(engine)
    dry = generate(engine, Selection(), config(TODAY, dry_run=True, chunk_size=7))
    assert dry.numcreated == 0 and dry.previews
    assert counts(engine) == before and snapshot(engine) == state  # nothing written
    real = generate(engine, Selection(), config(TODAY, chunk_size=7))
    assert real.numcreated == len(preview(dry)) > 30
    assert shown(preview(dry)) == made(engine)
    assert (dry.skipped, dry.warnings) == (real.skipped, real.warnings)
    assert dry.billable_items == 0 and real.billable_items > 0  # counted when written


def test_dryrun_through_the_api(engine):
    build_world(engine, 6)
    before = counts(engine)
    reply = Api(engine).json("GenInvoices", dryrun="1", noemails="1")
    assert (reply["result"], reply["numcreated"], reply["dryrun"]) == ("success", "0", "1")
    assert int(reply["wouldcreate"]) == len(reply["invoices"]["invoice"]) > 6
    first = reply["invoices"]["invoice"][0]
    assert Decimal(first["total"]) == Decimal(first["subtotal"]) + Decimal(first["tax"]) + \
        Decimal(first["tax2"]) - Decimal(first["credit"])
    assert counts(engine) == before
    plain = Api(engine).json("GenInvoices", noemails="1")
    assert set(plain) == {"result", "numcreated"}  # the normal reply is unchanged
    assert int(plain["numcreated"]) == int(reply["wouldcreate"])
    assert json.dumps(plain)
