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
