"""The service actions on an adopted database loaded from WHMCS's own schema on MariaDB, with
rows as WHMCS writes them: zero dates, every NOT NULL text column given (rules §14, §6)."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text

from geninvoices.db import make_engine
from geninvoices.migrate import add_indexes, migrate
from tests.actions.http import Api
from tests.conftest import load_whmcs_schema
from tests.engine.helpers import D, service
from tests.engine.test_whmcs_database import WHMCS_ROWS

MORE_ROWS = """
INSERT INTO tbldomains (id, userid, type, registrationdate, domain, registrar,
  registrationperiod, expirydate, subscriptionid, status, nextduedate, nextinvoicedate,
  additionalnotes, paymentmethod, reminders, recurringamount)
  VALUES (4, 1, 'Register', '0000-00-00', 'hopper.nl', 'enom', 1, '0000-00-00', '',
  'Active', '0000-00-00', '0000-00-00', '', 'banktransfer', '', 9.99);
INSERT INTO tblhostingaddons (id, hostingid, addonid, userid, name, billingcycle, tax, status,
  regdate, nextduedate, nextinvoicedate, paymentmethod, notes, subscriptionid, recurring)
  VALUES (6, 3, 0, 1, 'Backups', 'Monthly', '', 'Active', '0000-00-00', '0000-00-00',
  '0000-00-00', 'banktransfer', '', '', 4.00)
"""


@pytest.fixture
def adopted(server_dbs):
    url = server_dbs["mariadb"].create()
    load_whmcs_schema(url)
    engine = make_engine(url)
    with engine.begin() as conn:
        for sql in (WHMCS_ROWS + ";" + MORE_ROWS).split(";"):
            if sql.strip():
                conn.execute(text(sql))
    migrate(engine, adopt=True)
    yield engine
    engine.dispose()


def test_reads_answer_zero_dates_as_whmcs_does(adopted):
    api = Api(adopted)
    products = api.json("GetClientsProducts", clientid="1")
    assert products["totalresults"] == "3"
    zero = products["products"]["product"][2]
    assert (zero["id"], zero["regdate"], zero["nextduedate"], zero["overidesuspenduntil"],
            zero["lastupdate"], zero["name"]) == (
        "3", "0000-00-00", "0000-00-00", "0000-00-00", "0000-00-00 00:00:00", "Cloud VPS")
    [domain] = api.json("GetClientsDomains", clientid="1")["domains"]["domain"]
    assert (domain["domainname"], domain["regdate"], domain["expirydate"],
            domain["nextduedate"], domain["recurringamount"]) == (
        "hopper.nl", "0000-00-00", "0000-00-00", "0000-00-00", "9.99")
    [addon] = api.json("GetClientsAddons", serviceid="3")["addons"]["addon"]
    assert (addon["name"], addon["nextduedate"], addon["nextinvoicedate"]) == (
        "Backups", "0000-00-00", "0000-00-00")


def test_updates_respect_whmcs_invoice_lines_and_keep_zero_dates(adopted):
    api = Api(adopted)
    # WHMCS's invoice 500 bills service 1 from 5 March (unpaid)
    inside = api.json("UpdateClientProduct", serviceid="1", nextduedate="2026-03-20")
    assert inside["message"].startswith("Next Due Date 2026-03-20 falls inside the period "
                                        "2026-03-05 to 2026-04-04")
    assert api.json("UpdateClientProduct", serviceid="1", nextduedate="2026-03-05",
                    recurringamount="22.00")["result"] == "success"
    row = service(adopted, 1)
    assert (row["nextduedate"], row["nextinvoicedate"]) == (D(2026, 3, 5), D(2026, 4, 5))
    with adopted.connect() as conn:
        stored = conn.exec_driver_sql(
            "SELECT CAST(termination_date AS CHAR), CAST(completed_date AS CHAR), amount "
            "FROM tblhosting WHERE id = 1").one()
    assert tuple(stored) == ("0000-00-00", "0000-00-00", 22)
    assert api.json("UpdateClientDomain", domainid="4", donotrenew="1")["result"] == "success"
    assert api.json("AddCancelRequest", serviceid="3")["result"] == "success"


ORDERS = """
INSERT INTO tblorders (id, ordernum, userid, date, nameservers, transfersecret, renewals,
  promocode, promotype, promovalue, orderdata, amount, paymentmethod, invoiceid, status,
  ipaddress, fraudmodule, fraudoutput, notes)
  VALUES (7, 1234567890, 1, '2026-01-01 10:00:00', '', '', '', '', '', '', '', 9.99,
  'banktransfer', 0, 'Pending', '', '', '', ''),
  (8, 1234567891, 1, '2026-01-02 10:00:00', '', '', '', '', '', '', '', 5.00,
  'banktransfer', 0, 'Active', '', '', '', '')
"""


def test_orders_by_status_with_and_without_the_index_of_revision_0012(adopted):
    with adopted.begin() as conn:
        conn.execute(text(ORDERS))
    assert "gi_orders_status_id" not in {
        i["name"] for i in inspect(adopted).get_indexes("tblorders")}
    before = Api(adopted).json("GetOrders", status="Pending")  # no index to hint at
    assert "gi_orders_status_id" in add_indexes(adopted)
    restarted = make_engine(adopted.url.render_as_string(hide_password=False))
    try:  # a new engine looks again, finds the index and counts through it
        after = Api(restarted).json("GetOrders", status="Pending")
    finally:
        restarted.dispose()
    assert before == after
    assert (after["totalresults"], [o["id"] for o in after["orders"]["order"]]) == (1, [7])
