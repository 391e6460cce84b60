"""Recurring promotions on domains, on every backend (rules §5.10): the standard price is the
renewal price of the domain's extension for its registration period in the client's
currency; the discount line brings it back to the stored amount; a limited promotion ends;
with no such price the stored amount is billed on one line."""

from __future__ import annotations

from decimal import Decimal

import pytest

from geninvoices.db import transaction
from tests import builders as b
from tests.engine.helpers import D, domain, invoices, lines, run
from tests.engine.test_billables_promotions import pay_all

M = Decimal
TODAY = D(2026, 3, 20)


@pytest.fixture
def shop(engine):
    """Two currencies; the client pays in the second. TLDs .uk and .co.uk, priced in both,
    with different prices per period, so a wrong extension, currency or column shows."""
    with transaction(engine) as conn:
        gbp = b.make_currency(conn, code="GBP", prefix="£", suffix=" GBP")
        usd = b.make_currency(conn, code="USD", prefix="$", suffix=" USD", default=0)
        cid = b.make_client(conn, currency=usd)
        for tld, one, two in ((".uk", M("5.00"), M("9.00")), (".co.uk", M("11.00"), M("20.00"))):
            b.make_domain_pricing(
                conn, extension=tld,
                renew={gbp: {1: one, 2: two}, usd: {1: one + 1, 2: two + 2}},
                register={gbp: {1: "1.00", 2: "2.00"}, usd: {1: "1.00", 2: "2.00"}})
    return engine, cid


def add(engine, builder, **kw):
    with transaction(engine) as conn:
        return builder(conn, **kw)


def billed(engine):
    return [(ln["type"], ln["relid"], ln["description"], ln["amount"]) for ln in lines(engine)]


def test_a_percentage_promotion_shows_the_tld_renewal_price_and_its_discount(shop):
    engine, cid = shop
    promo = add(engine, b.make_promotion, code="DOM10", value="10.00")
    did = add(engine, b.make_domain, client=cid, domain="example.co.uk", years=2,
              amount="19.80", nextduedate=D(2026, 3, 25), promoid=promo)
    run(engine, TODAY)
    (kind, relid, _, amount), discount = billed(engine)
    # .co.uk, 2 years (qsetupfee), USD: 22.00; the stored 19.80 is 10% off
    assert (kind, relid, amount) == ("Domain", did, M("22.00"))
    assert discount == ("PromoDomain", did, "Promotional Code: DOM10 - 10% Recurring Discount",
                        M("-2.20"))
    assert invoices(engine)[0]["total"] == M("19.80")
    assert domain(engine, did)["promoid"] == promo  # for ever: never ends


def test_a_limited_promotion_on_a_domain_ends_after_its_renewals(shop):
    engine, cid = shop
    promo = add(engine, b.make_promotion, type="Fixed Amount", value="3.00", recurfor=2)
    did = add(engine, b.make_domain, client=cid, domain="example.uk", years=1, amount="3.00",
              nextduedate=D(2026, 3, 25), promoid=promo)
    totals, ended = [], []
    for year in (2026, 2027, 2028, 2029):  # its first invoice, then three renewals
        ended.append(run(engine, D(year, 3, 20)).promotions_ended)
        totals.append(invoices(engine)[-1]["total"])
        pay_all(engine)
    assert totals == [M("3.00"), M("3.00"), M("3.00"), M("6.00")]  # .uk, 1 year, USD: 6.00
    assert ended == [[], [], [], [f"domain {did}"]]
    row = domain(engine, did)
    assert (row["recurringamount"], row["promoid"]) == (M("6.00"), 0)
    assert [t for t, *_ in billed(engine)].count("PromoDomain") == 3
    assert [(t, r, a) for t, r, _, a in billed(engine)][-1] == ("Domain", did, M("6.00"))


@pytest.mark.parametrize("name, years", [
    ("example.org", 1),  # no such TLD
    ("example.uk", 3),  # the TLD does not renew for 3 years (-1.00)
    ("localhost", 1),  # no extension at all
])
def test_no_tld_price_bills_the_stored_amount_on_one_line(shop, name, years):
    engine, cid = shop
    promo = add(engine, b.make_promotion, recurfor=1)
    did = add(engine, b.make_domain, client=cid, domain=name, years=years, amount="4.50",
              nextduedate=D(2026, 3, 25), promoid=promo)
    result = run(engine, TODAY)
    assert [(t, r, a) for t, r, _, a in billed(engine)] == [("Domain", did, M("4.50"))]
    assert result.promotions_ended == [] and result.warnings == []
    assert domain(engine, did)["promoid"] == promo


def test_a_spent_promotion_without_a_tld_price_stays_and_warns(shop):
    engine, cid = shop
    promo = add(engine, b.make_promotion, recurfor=1)
    did = add(engine, b.make_domain, client=cid, domain="example.org", amount="4.50",
              nextduedate=D(2026, 3, 25), promoid=promo)
    with transaction(engine) as conn:  # the first invoice and one renewal are behind it
        for due in (D(2024, 3, 25), D(2025, 3, 25)):
            b.make_past_invoice(conn, client=cid, lines=[("Domain", did, due, "4.50")])
    result = run(engine, TODAY)
    assert [a for *_, a in billed(engine)][-1] == M("4.50")
    assert any(f"domain {did}" in w and "no standard price" in w for w in result.warnings)
    assert domain(engine, did)["promoid"] == promo
