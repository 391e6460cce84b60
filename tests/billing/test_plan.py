"""Planning a client's invoices: grouping and credit (rules §5.3, §5.5)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from geninvoices.billing import plan
from geninvoices.billing.due import Client
from geninvoices.billing.kinds import DOMAIN, SERVICE
from geninvoices.billing.options import BillingOptions
from geninvoices.billing.run import Run, RunConfig
from tests.billing.test_items import item

D = dt.date
M = Decimal
TODAY = D(2026, 3, 20)


def run(options: BillingOptions | None = None, default_gateway: str = "") -> Run:
    options = options or BillingOptions()
    config = RunConfig(TODAY, dt.datetime(2026, 3, 20, 9), default_gateway=default_gateway)
    return Run(config, "t", options, [], {}, None, "i")


def client(**kw) -> Client:
    base = dict(id=1, firstname="A", lastname="B", companyname="", email="a@b", country="GB",
                state="", currency=1, credit=M("0.00"), taxexempt=False, separateinvoices=False,
                defaultgateway="")
    return Client(**{**base, **kw})


def line(the_run: Run, the_client: Client, **kw) -> plan.Line:
    it = item(**kw)
    [made] = plan.make_lines(it, it.nextinvoicedate, False, the_client, the_run)
    return made


def test_credit_pays_in_creation_order_as_far_as_it_goes():
    r, c = run(), client(credit=M("15.00"))
    lines = [line(r, c, id=i, nextinvoicedate=D(2026, 3, 20 + i), nextduedate=D(2026, 3, 20 + i))
             for i in (1, 2, 3)]
    made = plan.plan_client(c, lines, r)
    assert [(i.credit, i.total, i.paid_by_credit) for i in made.invoices] == [
        (M("10.00"), M("0.00"), True), (M("5.00"), M("5.00"), False), (M("0"), M("10.00"), False)]


def test_grouping_by_due_date_and_gateway_services_first():
    r, c = run(default_gateway="server"), client(defaultgateway="")
    lines = [line(r, c, kind=DOMAIN, id=5, paymentmethod=""),
             line(r, c, id=2, paymentmethod=""), line(r, c, id=1, paymentmethod="paypal"),
             line(r, c, kind=SERVICE, id=3, paymentmethod="")]
    made = plan.plan_client(c, lines, r).invoices
    assert [(i.paymentmethod, [(ln.item.kind.type, ln.item.id) for ln in i.lines])
            for i in made] == [("paypal", [("Hosting", 1)]),
                               ("server", [("Hosting", 2), ("Hosting", 3), ("Domain", 5)])]


def test_separate_invoices_one_per_item():
    r, c = run(), client(separateinvoices=True)
    made = plan.plan_client(c, [line(r, c, id=1), line(r, c, id=2)], r).invoices
    assert [[ln.item.id for ln in i.lines] for i in made] == [[1], [2]]
