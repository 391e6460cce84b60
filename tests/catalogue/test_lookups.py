"""The catalogue lookups an order uses (rules §12): prices as stored, -1 = not offered."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import insert

from geninvoices.catalogue import active_gateways, cycle_key, domain_price, product_price
from geninvoices.models.whmcs import tblpaymentgateways, tblpricing
from tests.builders import make_currency, make_domain_pricing, make_product

D = Decimal


def test_cycle_spellings():
    assert cycle_key("Semi-Annually") == cycle_key("semiannually") == "semiannually"
    assert cycle_key("One Time") == "onetime"
    assert cycle_key("Free Account") == cycle_key("free") == "free"
    assert cycle_key("weekly") is None


def test_product_price_per_cycle_and_currency(engine):
    with engine.begin() as conn:
        usd = make_currency(conn)
        eur = make_currency(conn, code="EUR", prefix="€", suffix="", default=0)
        pid = make_product(conn)
        conn.execute(insert(tblpricing).values(
            type="product", relid=pid, currency=usd, msetupfee=D("1.50"), monthly=D("9.99"),
            qsetupfee=D("-1.00"), quarterly=D("-1.00"), asetupfee=D("0.00"),
            annually=D("99.00"), ssetupfee=D("0"), semiannually=D("0.00"),
            bsetupfee=D("0"), biennially=D("-1"), tsetupfee=D("0"), triennially=D("-1")))
        assert product_price(conn, pid, usd, "monthly") == (D("1.50"), D("9.99"))
        assert product_price(conn, pid, usd, "Annually") == (D("0.00"), D("99.00"))
        assert product_price(conn, pid, usd, "semiannually") == (D("0.00"), D("0.00"))
        assert product_price(conn, pid, usd, "quarterly") is None
        assert product_price(conn, pid, usd, "onetime") == (D("1.50"), D("9.99"))
        assert product_price(conn, pid, usd, "Free Account") == (D("0.00"), D("0.00"))
        assert product_price(conn, pid, eur, "monthly") is None
        assert product_price(conn, pid + 1, usd, "monthly") is None
        with pytest.raises(ValueError):
            product_price(conn, pid, usd, "weekly")


def test_domain_price_per_kind_and_years(engine):
    with engine.begin() as conn:
        usd = make_currency(conn)
        make_domain_pricing(conn, extension=".co.uk", renew={usd: {1: "9.00", 2: "17.50"}},
                            register={usd: {1: "0.00"}})
        assert domain_price(conn, ".CO.UK", usd, 2, "renew") == D("17.50")
        assert domain_price(conn, "co.uk", usd, 1, "register") == D("0.00")
        assert domain_price(conn, ".co.uk", usd, 3, "renew") is None
        assert domain_price(conn, ".co.uk", usd, 11, "renew") is None
        assert domain_price(conn, ".co.uk", usd, 1, "transfer") is None
        assert domain_price(conn, ".com", usd, 1, "renew") is None
        with pytest.raises(ValueError):
            domain_price(conn, ".co.uk", usd, 1, "restore")


def test_active_gateways_in_display_order(engine):
    with engine.begin() as conn:
        rows = [("paypal", "name", "PayPal", 2), ("paypal", "type", "Invoices", 2),
                ("banktransfer", "name", "Bank Transfer", 1),
                ("banktransfer", "visible", "on", 1), ("stale", "type", "CC", 0)]
        conn.execute(insert(tblpaymentgateways), [
            {"gateway": g, "setting": s, "value": v, "order": o} for g, s, v, o in rows])
        assert list(active_gateways(conn).items()) == [
            ("banktransfer", "Bank Transfer"), ("paypal", "PayPal")]
