"""A MariaDB database loaded from WHMCS's schema as it is, adopted, then billed (rules §6)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import text

from geninvoices.db import make_engine
from geninvoices.errors import MigrationRefused
from geninvoices.migrate import migrate
from tests.conftest import load_whmcs_schema
from tests.engine.helpers import D, invoices, lines, run, service

TODAY = D(2026, 3, 20)

# Rows as WHMCS writes them: every NOT NULL text column given, unset dates as zero dates.
WHMCS_ROWS = """
INSERT INTO tblcurrencies (id, code, prefix, suffix, format, rate, `default`)
  VALUES (1, 'EUR', '', ' EUR', 1, 1, 1);
INSERT INTO tblclients (id, uuid, firstname, lastname, companyname, email, address1, address2,
  city, state, postcode, country, phonenumber, tax_id, password, authmodule, authdata,
  currency, defaultgateway, credit, datecreated, notes, cardtype, cardlastfour, cardnum,
  startdate, expdate, issuenumber, bankname, banktype, bankcode, bankacct, gatewayid, ip, host,
  status, language, pwresetkey, securityqans)
  VALUES (1, 'u1', 'Grace', 'Hopper', '', 'grace@example.com', '', '', '', '', '', 'NL', '', '',
  '', '', '', 1, 'banktransfer', 0, '2020-01-01', '', '', '', '', '', '', '', '', '', '', '',
  '', '', '', 'Active', '', '', '');
INSERT INTO tblproducts (id, type, name, slug, description, paytype, subdomain, autosetup,
  servertype, configoption1, configoption2, configoption3, configoption4, configoption5,
  configoption6, configoption7, configoption8, configoption9, configoption10, configoption11,
  configoption12, configoption13, configoption14, configoption15, configoption16,
  configoption17, configoption18, configoption19, configoption20, configoption21,
  configoption22, configoption23, configoption24, freedomain, freedomainpaymentterms,
  freedomaintlds, billingcycleupgrade, overagesenabled, affiliatepaytype)
  VALUES (1, 'hostingaccount', 'Cloud VPS', 'vps', '', 'recurring', '', '', '', '', '', '', '',
  '', '', '', '', '', '', '', '', '', '', '', '', '', '', '', '', '', '', '', '', '', '', '',
  '', '', '');
INSERT INTO tblhosting (id, userid, packageid, regdate, domain, paymentmethod, amount,
  billingcycle, nextduedate, nextinvoicedate, domainstatus, username, password, notes,
  subscriptionid, suspendreason, dedicatedip, assignedips, ns1, ns2)
  VALUES (1, 1, 1, '2026-01-05', 'vps.example.nl', 'banktransfer', 20.00, 'Monthly',
  '2026-03-05', '2026-03-05', 'Active', '', '', '', '', '', '', '', '', ''),
  (2, 1, 1, '2026-01-25', 'two.example.nl', 'banktransfer', 30.00, 'Monthly',
  '2026-03-25', '2026-03-25', 'Active', '', '', '', '', '', '', '', '', ''),
  (3, 1, 1, '0000-00-00', 'zero.example.nl', 'banktransfer', 30.00, 'Monthly',
  '0000-00-00', '0000-00-00', 'Active', '', '', '', '', '', '', '', '', '');
INSERT INTO tblinvoices (id, userid, invoicenum, date, duedate, datepaid, subtotal, total,
  status, paymentmethod, notes)
  VALUES (499, 1, '', '2026-02-11', '2026-02-25', '2026-02-20 10:00:00', 30.00, 30.00,
  'Paid', 'banktransfer', ''),
  (500, 1, '', '2026-02-20', '2026-03-05', '0000-00-00 00:00:00', 20.00, 20.00,
  'Unpaid', 'banktransfer', '');
INSERT INTO tblinvoiceitems (invoiceid, userid, type, relid, description, amount, taxed,
  duedate, paymentmethod, notes)
  VALUES (499, 1, 'Hosting', 2, 'Cloud VPS (25/02/2026 - 24/03/2026)', 30.00, 0,
  '2026-02-25', 'banktransfer', ''),
  (500, 1, 'Hosting', 1, 'Cloud VPS (05/03/2026 - 04/04/2026)', 20.00, 0,
  '2026-03-05', 'banktransfer', '');
INSERT INTO tblaccounts (userid, currency, gateway, date, description, amountin, transid,
  invoiceid)
  VALUES (1, 0, 'banktransfer', '2026-02-20 10:00:00', 'Invoice Payment', 30.00, 'W-1', 499);
"""


@pytest.fixture
def whmcs_url(server_dbs):
    url = server_dbs["mariadb"].create()
    load_whmcs_schema(url)
    engine = make_engine(url)
    with engine.begin() as conn:  # WHMCS's own rows, under the server's strict default mode
        for sql in WHMCS_ROWS.split(";"):
            if sql.strip():
                conn.execute(text(sql))
    engine.dispose()
    return url


def test_adopted_whmcs_database_is_billed_and_whmcs_periods_are_not_rebilled(whmcs_url):
    engine = make_engine(whmcs_url)
    try:
        with pytest.raises(MigrationRefused, match="--adopt"):
            migrate(engine)
        migrate(engine, adopt=True)
        result = run(engine, TODAY)
        assert result.numcreated == 1 and result.skipped == []
        new = [i for i in invoices(engine) if i["id"] not in (499, 500)]
        assert [(i["userid"], i["total"], i["duedate"]) for i in new] == [
            (1, Decimal("30.00"), D(2026, 3, 25))]
        billed = [ln for ln in lines(engine) if ln["invoiceid"] == new[0]["id"]]
        assert billed[0]["description"] == "Cloud VPS - two.example.nl (25/03/2026 - 24/04/2026)"
        # service 1: WHMCS billed 5 March already: recorded, moved past, not billed again
        assert service(engine, 1)["nextinvoicedate"] == D(2026, 4, 5)
        assert service(engine, 3)["nextinvoicedate"] is None  # zero date: never billed
        assert run(engine, TODAY).numcreated == 0
        old = {i["id"]: i for i in invoices(engine) if i["id"] in (499, 500)}
        assert (old[499]["status"], old[500]["status"]) == ("Paid", "Unpaid")  # untouched
        with engine.connect() as conn:
            datepaid = conn.exec_driver_sql(
                f"SELECT CAST(datepaid AS CHAR) FROM tblinvoices WHERE id = {new[0]['id']}"
            ).scalar()
        assert datepaid == "0000-00-00 00:00:00"
    finally:
        engine.dispose()


# Billable items and a promotion as WHMCS stores them: recurcycle text always given, a zero
# due date for an item to bill on the next run, a promotion with its NOT NULL text columns.
WHMCS_BILLABLES = """
INSERT INTO tblbillableitems (id, userid, description, hours, amount, recur, recurcycle,
  recurfor, invoiceaction, unit, duedate, invoicecount)
  VALUES (7, 1, 'Migration work', 2.0, 80.00, 0, '', 0, 1, 0, '0000-00-00', 0),
  (8, 1, 'Monitoring', 1.0, 5.00, 1, 'Months', 6, 4, 0, '2026-03-31', 2),
  (9, 1, 'Old one-off', 1.0, 9.00, 0, '', 0, 3, 0, '2026-01-10', 1),
  (10, 1, 'Not to invoice', 1.0, 9.00, 0, '', 0, 0, 0, '2026-03-20', 0);
INSERT INTO tblpromotions (id, code, type, recurring, value, cycles, appliesto, requires,
  requiresexisting, startdate, expirationdate, maxuses, uses, lifetimepromo, applyonce,
  newsignups, existingclient, onceperclient, recurfor, upgrades, upgradeconfig, notes)
  VALUES (3, 'VPS25', 'Percentage', 1, 25.00, '', '1', '', 0, '2025-01-01', NULL, 0, 1, 0, 0,
  0, 0, 0, 0, 0, '', '');
INSERT INTO tblpricing (type, currency, relid, msetupfee, qsetupfee, ssetupfee, asetupfee,
  bsetupfee, tsetupfee, monthly, quarterly, semiannually, annually, biennially, triennially)
  VALUES ('product', 1, 1, 0, 0, 0, 0, 0, 0, 40.00, -1, -1, -1, -1, -1);
UPDATE tblhosting SET promoid = 3 WHERE id = 2;
"""


def test_adopted_whmcs_database_bills_its_billable_items_and_promotions(whmcs_url):
    engine = make_engine(whmcs_url)
    try:
        with engine.begin() as conn:
            for sql in WHMCS_BILLABLES.split(";"):
                if sql.strip():
                    conn.execute(text(sql))
        migrate(engine, adopt=True)
        result = run(engine, TODAY)
        # three due dates, three invoices (rules §5.3): 20 March (today), 25 and 31 March
        assert result.numcreated == 3 and result.skipped == [] and result.billable_items == 2
        new = {i["id"]: i for i in invoices(engine) if i["id"] not in (499, 500)}
        got = [(ln["type"], ln["relid"], ln["amount"], new[ln["invoiceid"]]["duedate"])
               for ln in lines(engine) if ln["invoiceid"] in new]
        assert sorted(got) == [("Hosting", 2, Decimal("40.00"), D(2026, 3, 25)),
                               ("Item", 7, Decimal("80.00"), TODAY),
                               ("Item", 8, Decimal("5.00"), D(2026, 3, 31)),
                               ("PromoHosting", 2, Decimal("-10.00"), D(2026, 3, 25))]
        assert sorted(i["total"] for i in new.values()) == [
            Decimal("5.00"), Decimal("30.00"), Decimal("80.00")]
        with engine.connect() as conn:
            rows = conn.exec_driver_sql(
                "SELECT id, invoicecount, CAST(duedate AS CHAR) FROM tblbillableitems "
                "ORDER BY id").all()
        assert [tuple(r) for r in rows] == [(7, 1, "0000-00-00"), (8, 3, "2026-04-30"),
                                            (9, 1, "2026-01-10"), (10, 0, "2026-03-20")]
        assert run(engine, TODAY).numcreated == 0
    finally:
        engine.dispose()
