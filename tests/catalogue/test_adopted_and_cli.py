"""The catalogue's command line (rules §12), and AddProduct/GetProducts on an adopted
WHMCS-shaped MariaDB database in strict mode, where a row missing a NOT NULL text column
fails."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from sqlalchemy import event, insert, select

from geninvoices.db import make_engine
from geninvoices.migrate import migrate
from geninvoices.models.whmcs import (
    tblcurrencies,
    tblpaymentgateways,
    tblpricing,
    tblproductgroups,
    tblproducts,
)
from tests.actions.http import Api
from tests.conftest import load_whmcs_schema
from tests.test_cli import gi, one_error_line


@pytest.fixture
def url(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert gi(url, "migrate").returncode == 0
    return url


def test_groups_add_and_list(url):
    listed = gi(url, "products", "groups", "list")
    assert listed.returncode == 0 and "Default" in listed.stdout
    added = gi(url, "products", "groups", "add", "VPS", "--hidden")
    assert (added.returncode, added.stdout.strip()) == (0, "added product group 2: VPS")
    line = one_error_line(gi(url, "products", "groups", "add", "vps"), 1)
    assert line == "error: a product group named 'vps' already exists (id 2)"
    assert one_error_line(gi(url, "products", "groups", "add", " "), 1) == (
        "error: a product group needs a name")
    engine = make_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(select(tblproductgroups).order_by(tblproductgroups.c.id)).all()
    engine.dispose()
    assert [(r.name, r.hidden, r.order, r.orderfrmtpl, r.disabledgateways) for r in rows] == [
        ("Default", 0, 1, "", ""), ("VPS", 1, 2, "", "")]
    assert rows[1].created_at is not None and rows[1].created_at == rows[1].updated_at


def test_gateways_add_and_list_write_whmcs_rows(url):
    assert "no gateway is active" in gi(url, "gateways", "list").stdout
    assert gi(url, "gateways", "add", "banktransfer", "--name", "Bank Transfer").returncode == 0
    assert gi(url, "gateways", "add", "paypal", "--name", "PayPal", "--type", "CC",
              "--hidden").returncode == 0
    listed = gi(url, "gateways", "list").stdout
    assert listed.index("banktransfer") < listed.index("paypal")
    engine = make_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(select(tblpaymentgateways.c.gateway, tblpaymentgateways.c.setting,
                                   tblpaymentgateways.c.value, tblpaymentgateways.c.order)
                            .order_by(tblpaymentgateways.c.id)).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [
        ("banktransfer", "name", "Bank Transfer", 1), ("banktransfer", "type", "Invoices", 1),
        ("banktransfer", "visible", "on", 1), ("paypal", "name", "PayPal", 2),
        ("paypal", "type", "CC", 2), ("paypal", "visible", "", 2)]


@pytest.mark.parametrize("args, code, says", [
    (["gateways", "add", "paypal", "--name", "PayPal"], 1, "already active"),
    (["gateways", "add", "Pay Pal", "--name", "x"], 1, "bad gateway module name"),
    (["gateways", "add", "stripe", "--name", "Card", "--type", "Card"], 1, "bad gateway type"),
    (["gateways", "add", "stripe"], 2, "Missing option '--name'"),
    (["products", "groups", "add"], 2, "Missing argument"),
])
def test_bad_commands_are_one_line(url, args, code, says):
    assert gi(url, "gateways", "add", "paypal", "--name", "PayPal").returncode == 0
    assert says in one_error_line(gi(url, *args), code)


def test_add_and_get_products_on_an_adopted_whmcs_database(server_dbs):
    url = server_dbs["mariadb"].create()
    load_whmcs_schema(url)
    engine = make_engine(url)

    @event.listens_for(engine, "connect")
    def strict(dbapi_connection, _):  # what a careful WHMCS host runs
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SET SESSION sql_mode = 'STRICT_ALL_TABLES'")
    migrate(engine, adopt=True)
    with engine.begin() as conn:
        usd = conn.execute(insert(tblcurrencies).values(
            code="USD", prefix="$", suffix=" USD", format=1, rate=Decimal("1"),
            default=1)).inserted_primary_key[0]
    added = gi(url, "products", "groups", "add", "Hosting")
    assert added.returncode == 0, added.stderr
    gid = int(added.stdout.split()[3].rstrip(":"))
    api = Api(engine)
    reply = api.json("AddProduct", gid=str(gid), name="Starter", type="hostingaccount",
                     paytype="recurring", module="cpanel",
                     **{f"pricing[{usd}][monthly]": "4.99", f"pricing[{usd}][annually]": "49.00"})
    assert reply["result"] == "success", reply
    got = api.json("GetProducts", gid=str(gid))
    [product] = got["products"]["product"]
    assert (product["name"], product["pricing"]["USD"]["monthly"],
            product["pricing"]["USD"]["annually"], product["pricing"]["USD"]["quarterly"]) == (
        "Starter", "4.99", "49.00", "-1.00")
    with engine.connect() as conn:
        row = conn.execute(select(tblproducts)).mappings().one()
        prices = conn.execute(select(tblpricing)).mappings().one()
    assert (row["freedomain"], row["overagesenabled"], row["configoption24"]) == ("", "", "")
    assert row["created_at"] is not None and prices["tsetupfee"] == Decimal("0.00")
    assert json.loads(api.post("GetProducts", pid=str(reply["pid"])).text)["totalresults"] == 1
    engine.dispose()
