"""24 months of a client's life only through the API (rules §5.9, §5.10): a domain renewed
yearly, a billable item added with AddBillableItem that recurs monthly 6 times, a service
under a 10% promotion for 3 renewals; every month GenInvoices, then every unpaid invoice paid
with AddInvoicePayment. On every backend."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from geninvoices.config import Settings
from geninvoices.db import transaction
from tests import builders as b
from tests.actions.http import Api
from tests.engine.helpers import invoices, lines, service

M = Decimal
START = dt.date(2027, 1, 5)


def month_start(n: int) -> dt.date:
    return dt.date(2027 + n // 12, n % 12 + 1, 1)


def test_two_years_through_the_api(engine):
    with transaction(engine) as conn:
        currency = b.make_currency(conn)
        cid = b.make_client(conn, defaultgateway="banktransfer")
        pid = b.make_product(conn, name="Web Hosting")
        b.make_pricing(conn, product=pid, currency=currency, monthly="10.00")
        promo = b.make_promotion(conn, code="WELCOME", recurfor=3)
        sid = b.make_service(conn, client=cid, product=pid, amount="9.00", regdate=START,
                             promoid=promo)
        b.make_domain(conn, client=cid, amount="12.00", regdate=START)
    api = Api(engine)
    added = api.json("AddBillableItem", clientid=str(cid), description="Monthly support",
                     amount="30.00", invoiceaction="recur", recur="1", recurcycle="Months",
                     recurfor="6", duedate=START.isoformat())
    assert added["result"] == "success"
    created = []
    for n in range(24):
        month = Api(engine, Settings(database_url="sqlite://", testing=True,
                                     test_today=month_start(n)))
        reply = month.json("GenInvoices", noemails="1", clientid=str(cid))
        created.append(int(reply["numcreated"]))
        unpaid = month.json("GetInvoices", userid=str(cid), status="Unpaid")
        for inv in unpaid["invoices"]["invoice"]:
            paid = month.json("AddInvoicePayment", invoiceid=str(inv["id"]),
                              transid=f"tx-{inv['id']}", gateway="banktransfer")
            assert paid["result"] == "success", paid
    assert created == [1] * 24
    totals = [i["total"] for i in invoices(engine)]
    assert totals[:4] == [M("51.00"), M("39.00"), M("39.00"), M("39.00")]  # 9 + 30 (+ 12)
    assert totals[4:6] == [M("40.00"), M("40.00")]  # the promotion spent: 10 + 30
    assert totals[6:12] == [M("10.00")] * 6  # the billable item done after 6 times
    assert totals[12] == M("22.00") and totals[13:] == [M("10.00")] * 11
    assert sum(totals) == M("236.00") + M("24.00") + M("180.00")
    kinds = [ln["type"] for ln in lines(engine)]
    assert (kinds.count("PromoHosting"), kinds.count("Item"), kinds.count("Domain")) == (4, 6, 2)
    row = service(engine, sid)
    assert (row["amount"], row["promoid"], row["nextduedate"]) == (
        M("10.00"), 0, dt.date(2029, 1, 5))
    assert {i["status"] for i in invoices(engine)} == {"Paid"}
