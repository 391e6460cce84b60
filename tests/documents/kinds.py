"""Invoices of every kind the engine makes, billed by the engine itself, for the document
tests: each builder returns the invoice id and what its document must show."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select

from geninvoices.db import transaction
from geninvoices.models.whmcs import tblinvoices
from tests import builders as b
from tests.actions.http import Api
from tests.engine.helpers import run

TODAY = dt.date(2026, 3, 2)  # in the past: the emails queued are due at once
ARABIC_NAME, HEBREW_COMPANY = "محمد العلي", "חברת אינטרנט"


@dataclass
class Billed:
    invoice_id: int
    texts: list[str] = field(default_factory=list)  # what the PDF's text must hold


def _bill(engine, client_id: int) -> int:
    run(engine, TODAY, clientid=client_id, emails=False)
    with engine.connect() as conn:
        return conn.execute(select(tblinvoices.c.id).where(
            tblinvoices.c.userid == client_id).order_by(tblinvoices.c.id.desc())).scalar()


def _client_with_services(engine, amounts, *, product_tax=1, **client) -> int:
    with transaction(engine) as conn:
        cid = b.make_client(conn, **client)
        pid = b.make_product(conn, tax=product_tax)
        for n, amount in enumerate(amounts):
            b.make_service(conn, client=cid, product=pid, amount=amount, regdate=TODAY,
                           domain=f"site{n}.example.com")
    return cid


def exclusive_tax(engine) -> Billed:
    with transaction(engine) as conn:
        b.set_config(conn, TaxEnabled="on", TaxType="Exclusive")
        b.make_tax(conn, rate="20.000", name="VAT")
    cid = _client_with_services(engine, ["10.00", "5.50"], email="ex@example.com")
    return Billed(_bill(engine, cid), ["Sub Total", "$15.50 USD", "20% VAT", "$3.10 USD",
                                       "$18.60 USD", "site0.example.com", "site1.example.com"])


def inclusive_tax(engine) -> Billed:
    with transaction(engine) as conn:
        b.set_config(conn, TaxEnabled="on", TaxType="Inclusive")
        b.make_tax(conn, rate="20.000", name="VAT")
    cid = _client_with_services(engine, ["12.00"], email="in@example.com")
    return Billed(_bill(engine, cid), ["$10.00 USD", "20% VAT (included)", "$2.00 USD",
                                       "$12.00 USD"])


def two_levels_compound(engine) -> Billed:
    with transaction(engine) as conn:
        b.set_config(conn, TaxEnabled="on", TaxType="Exclusive", TaxL2Compound="on")
        b.make_tax(conn, rate="10.000", name="GST", country="CA")
        b.make_tax(conn, level=2, rate="5.000", name="PST", country="CA")
    cid = _client_with_services(engine, ["100.00"], email="ca@example.com", country="CA")
    # 100 + 10 GST; PST on 110 = 5.50 (compound)
    return Billed(_bill(engine, cid), ["10% GST", "$10.00 USD", "5% PST", "$5.50 USD",
                                       "$115.50 USD"])


def with_credit(engine) -> Billed:
    cid = _client_with_services(engine, ["20.00"], product_tax=0, email="cr@example.com",
                                credit="5.00")
    return Billed(_bill(engine, cid), ["Credit", "$5.00 USD", "$15.00 USD"])


def paid(engine) -> Billed:
    cid = _client_with_services(engine, ["30.00"], product_tax=0, email="pd@example.com")
    invoice = _bill(engine, cid)
    reply = Api(engine).json("AddInvoicePayment", invoiceid=str(invoice), transid="TX-PAID-1",
                             gateway="banktransfer", date="2026-03-03")
    assert reply["result"] == "success", reply
    return Billed(invoice, ["PAID", "TX-PAID-1", "Amount Paid", "$30.00 USD",
                            "Balance Due", "$0.00 USD"])


def partly_paid(engine) -> Billed:
    cid = _client_with_services(engine, ["40.00"], product_tax=0, email="pp@example.com")
    invoice = _bill(engine, cid)
    reply = Api(engine).json("AddInvoicePayment", invoiceid=str(invoice), transid="TX-HALF",
                             gateway="banktransfer", amount="15.00", date="2026-03-03")
    assert reply["result"] == "success", reply
    return Billed(invoice, ["UNPAID", "TX-HALF", "$15.00 USD", "Balance Due", "$25.00 USD"])


def many_lines(engine) -> Billed:
    amounts = [f"{n}.25" for n in range(1, 91)]
    cid = _client_with_services(engine, amounts, product_tax=0, email="many@example.com")
    total = sum(int(a.split(".")[0]) for a in amounts) + 0.25 * len(amounts)
    return Billed(_bill(engine, cid), [f"site{n}.example.com" for n in range(90)]
                  + [f"${total:,.2f} USD".replace(",", "")])


def long_description(engine) -> Billed:
    name = "a-very-long-customer-domain-name-" * 6 + "example.com"
    with transaction(engine) as conn:
        cid = b.make_client(conn, email="long@example.com")
        pid = b.make_product(conn, name="Managed Dedicated Server With Extended Support")
        b.make_service(conn, client=cid, product=pid, amount="99.00", regdate=TODAY, domain=name)
    return Billed(_bill(engine, cid), ["Managed Dedicated Server", "$99.00 USD"])


def right_to_left(engine) -> Billed:
    first, last = ARABIC_NAME.split(" ")
    with transaction(engine) as conn:
        cid = b.make_client(conn, firstname=first, lastname=last, email="rtl@example.com",
                            companyname=HEBREW_COMPANY, country="IL")
        pid = b.make_product(conn, name="استضافة")
        b.make_service(conn, client=cid, product=pid, amount="7.00", regdate=TODAY,
                       domain="example.co.il")
    return Billed(_bill(engine, cid), ["$7.00 USD", "example.co.il"])


def accented(engine) -> Billed:
    with transaction(engine) as conn:
        cid = b.make_client(conn, firstname="Zoë", lastname="Ångström-Müller",
                            email="zoe@example.com", companyname="Société Générale d'Hébergement")
        pid = b.make_product(conn, name="Hébergement Mutualisé")
        b.make_service(conn, client=cid, product=pid, amount="8.00", regdate=TODAY)
    return Billed(_bill(engine, cid), ["Zoë Ångström-Müller", "Société Générale",
                                       "Hébergement Mutualisé", "$8.00 USD"])


KINDS = {f.__name__: f for f in (exclusive_tax, inclusive_tax, two_levels_compound,
                                 with_credit, paid, partly_paid, many_lines, long_description,
                                 right_to_left, accented)}


def setup_currency(engine) -> None:
    with transaction(engine) as conn:
        b.make_currency(conn)
        b.set_config(conn, CompanyName="Example Hosting Ltd",
                     InvoicePayTo="1 Example Street\nAmsterdam\nNetherlands",
                     TaxID="NL123456789B01", DateFormat="YYYY-MM-DD")
