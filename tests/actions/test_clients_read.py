"""GetClients and GetClientsDetails (rules §11, WHMCS's api-reference) through api.php."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from sqlalchemy import event, or_, select

from geninvoices.db import transaction
from geninvoices.models.whmcs import tblaccounts, tblclients, tblinvoices
from tests import builders as b
from tests.actions.http import Api
from tests.plans import explained, statements

PEOPLE = [  # firstname, lastname, email, company, status
    ("Ada", "Lovelace", "ada@example.com", "Analytical Engines", "Active"),
    ("Grace", "Hopper", "grace@navy.example", "", "Active"),
    ("Alan", "Turing", "alan@bletchley.example", "Bombe 100%", "Inactive"),
    ("Edsger", "Dijkstra", "ewd@example.com", "", "Closed"),
]


@pytest.fixture
def people(engine):
    with transaction(engine) as conn:
        currency = b.make_currency(conn)
        return [b.make_client(conn, firstname=f, lastname=la, email=e, companyname=co, status=s,
                              currency=currency) for f, la, e, co, s in PEOPLE]


def names(reply) -> list[str]:
    return [c["firstname"] for c in reply["clients"]["client"]]


def test_every_client_in_id_order_with_the_documented_fields(engine, people):
    reply = Api(engine).json("GetClients")
    assert (reply["result"], reply["totalresults"], reply["startnumber"],
            reply["numreturned"]) == ("success", 4, 0, 4)
    assert names(reply) == ["Ada", "Grace", "Alan", "Edsger"]
    assert reply["clients"]["client"][0] == {
        "id": people[0], "firstname": "Ada", "lastname": "Lovelace",
        "companyname": "Analytical Engines", "email": "ada@example.com",
        "datecreated": "0000-00-00", "groupid": 0, "status": "Active"}


@pytest.mark.parametrize("term, found", [
    ("ada", ["Ada"]),                 # email and first name
    ("HOP", ["Grace"]),               # last name, any case
    ("grace hop", ["Grace"]),         # full name
    ("analytical", ["Ada"]),          # company name
    ("example.com", []),              # only the start of each field
    ("a", ["Ada", "Alan"]),
    ("bombe 100%", ["Alan"]),         # a wildcard is a character like any other
    ("%", []),
    ("_", []),
])
def test_search_looks_at_the_start_of_each_field(engine, people, term, found):
    assert names(Api(engine).json("GetClients", search=term)) == found


def test_search_finds_a_full_name_whose_first_name_has_a_space(engine, people):
    with transaction(engine) as conn:
        b.make_client(conn, firstname="Mary Ann", lastname="Evans", email="george@eliot.example")
        b.make_client(conn, firstname="Mary", lastname="Shelley", email="mws@example.com")
    api = Api(engine)
    assert names(api.json("GetClients", search="mary ann ev")) == ["Mary Ann"]
    assert names(api.json("GetClients", search="MARY ")) == ["Mary Ann", "Mary"]
    assert names(api.json("GetClients", search="mary sh")) == ["Mary"]
    assert names(api.json("GetClients", search="ann ev")) == []  # the start, only


def test_search_with_status_paging_and_order(engine, people):
    api = Api(engine)
    found = api.json("GetClients", search="a", status="Active")  # Ada (twice over), not Alan
    assert (found["totalresults"], names(found)) == (1, ["Ada"])
    page = api.json("GetClients", search="a", orderby="firstname", sorting="DESC",
                    limitstart="1", limitnum="1")
    assert (page["totalresults"], page["numreturned"], names(page)) == (2, 1, ["Ada"])


def test_search_reads_each_column_through_its_index(engine, people):
    """rules §11: each arm of the search is a prefix match its column's index serves (revision
    0010), so the search never reads the whole of tblclients."""
    with statements(engine, "UNION") as sent:
        Api(engine).json("GetClients", search="Grace Hop")
    seen = [(statement, parameters) for statement, parameters in sent
            if "tblclients" in statement]
    mysql = engine.dialect.name == "mysql"
    # read once, the count and the page taken from its ids; on MariaDB, whose arms read
    # their columns' order keys alone (revision 0013), once for each
    assert len(seen) == (2 if mysql else 1)
    for statement, parameters in seen:
        plan = explained(engine, statement, parameters)
        # one arm per column and the full name's, which narrows by the first name's index
        arms = re.findall(r"gi_clients_\w+_order" if mysql else r"gi_clients_\w+_search",
                          plan)
        if engine.dialect.name == "sqlite":
            assert "SCAN tblclients" not in plan, plan
            assert len(arms) == 5 and plan.count("USING COVERING INDEX gi_clients_") == 4, plan
        elif engine.dialect.name == "postgresql":
            assert "Seq Scan" not in plan, plan
            assert len(arms) == 5, plan
        else:
            assert len(arms) == 5, plan


def test_paging_status_and_ordering(engine, people):
    api = Api(engine)
    page = api.json("GetClients", limitstart="1", limitnum="2")
    assert (page["totalresults"], page["startnumber"], page["numreturned"],
            names(page)) == (4, 1, 2, ["Grace", "Alan"])
    assert names(api.json("GetClients", status="active")) == ["Ada", "Grace"]
    assert api.json("GetClients", status="Closed")["totalresults"] == 1
    assert names(api.json("GetClients", orderby="lastname")) == [
        "Edsger", "Grace", "Ada", "Alan"]
    assert names(api.json("GetClients", orderby="firstname", sorting="DESC")) == [
        "Grace", "Edsger", "Alan", "Ada"]
    none = api.json("GetClients", limitnum="0")
    assert (none["totalresults"], none["numreturned"], none["clients"]) == (
        4, 0, {"client": []})


LONG = "Wolfeschlegelsteinhausenbergerdorff" * 2  # 70 characters: past the 64 of a key
AWKWARD_NAMES = ["", "smith", "Smith", "SMITH", "Lee ", "Lee", "Émile", "Emile", "emile",
                 LONG + "b", LONG + "a", LONG, LONG + "a", "O'Brien", "van Dyke", "Zoë",
                 "zoe", "", "Ångström", "Adams", "adams", "Lee", LONG[:64], LONG[:64] + " z"]


@pytest.mark.parametrize("orderby", ["lastname", "companyname"])
@pytest.mark.parametrize("sorting", ["ASC", "DESC"])
def test_pages_in_a_text_columns_order_are_the_databases_own_order(engine, orderby, sorting):
    """rules §11: every page in a TEXT column's order, ties (equal under the collation, or
    sharing the first 64 characters that MariaDB's order key holds) broken by id, is the
    slice of the whole table sorted by the database; with a status too."""
    with transaction(engine) as conn:
        for i, name in enumerate(AWKWARD_NAMES):
            b.make_client(conn, firstname=f"n{i}", lastname=name, companyname=name,
                          email=f"c{i}@example.com", status=("Active", "Closed")[i % 3 == 0])
    seen = []

    def record(_conn, _cursor, statement, *_):
        seen.append(statement)
    event.listen(engine, "before_cursor_execute", record)
    api, column = Api(engine), tblclients.c[orderby]
    for status in ("", "Closed"):
        with engine.connect() as conn:
            query = select(tblclients.c.firstname).order_by(
                *([column.desc(), tblclients.c.id.desc()] if sorting == "DESC"
                  else [column, tblclients.c.id]))
            if status:
                query = query.where(tblclients.c.status == status)
            whole = list(conn.execute(query).scalars())
        for start in range(len(whole) + 1):
            reply = api.json("GetClients", orderby=orderby, sorting=sorting, status=status,
                             limitstart=str(start), limitnum="3")
            assert (reply["totalresults"], names(reply)) == (len(whole),
                                                             whole[start:start + 3]), start
    event.remove(engine, "before_cursor_execute", record)
    if engine.dialect.name == "mysql":  # through the order key of revision 0013
        assert any(f"gi_{orderby}_key" in statement for statement in seen)


SEARCHED = ["lee", "Lee ", "emile", "É", "smi", "o'b", "van d", "n19 ad", LONG[:60], LONG[:64],
            LONG + "a", LONG[:64] + " "]


def test_a_search_finds_what_the_columns_like_finds(engine):
    """rules §11: a search finds exactly the clients whose columns start with the term by
    the column's own LIKE (PostgreSQL: ILIKE); on MariaDB through the order keys of
    revision 0013 (a term of up to 64 characters), longer terms looking at the columns."""
    with transaction(engine) as conn:
        for i, name in enumerate(AWKWARD_NAMES):
            b.make_client(conn, firstname=f"n{i}", lastname=name, companyname=name[::-1],
                          email=f"{name.strip()[:5]}{i}@example.com".replace(" ", ""))
    for term in SEARCHED:
        expected = _liked(engine, term.strip())  # GetClients strips the term
        for sorting in ("ASC", "DESC"):
            reply = Api(engine).json("GetClients", search=term, sorting=sorting)
            assert (reply["totalresults"], names(reply)) == (
                len(expected), expected if sorting == "ASC" else expected[::-1]), term
            page = Api(engine).json("GetClients", search=term, sorting=sorting,
                                    limitstart="1", limitnum="2")
            assert names(page) == names(reply)[1:3], term


def _liked(engine, term: str) -> list[str]:
    """The first names of the clients one of whose columns starts with ``term`` by LIKE
    (PostgreSQL: ILIKE, as GetClients matches there)."""
    pattern = term.replace("/", "//").replace("%", "/%").replace("_", "/_") + "%"
    c = tblclients.c
    like = "ilike" if engine.dialect.name == "postgresql" else "like"  # as the search is
    matches = [getattr(column, like)(pattern, escape="/") for column in (
        c.email, c.firstname, c.lastname, c.companyname, c.firstname + " " + c.lastname)]
    with engine.connect() as conn:
        return list(conn.execute(select(c.firstname).where(or_(*matches)).order_by(c.id))
                    .scalars())


@pytest.mark.parametrize("params, message", [
    ({"orderby": "password"}, "Invalid orderby: must be one of id|firstname|lastname|"
                              "companyname|email|groupid|datecreated|status"),
    ({"sorting": "up"}, "Invalid sorting: must be ASC or DESC"),
    ({"status": "Gone"}, "Invalid status: must be Active, Inactive or Closed"),
    ({"limitnum": "-1"}, "Invalid limitnum: must be a whole number"),
])
def test_bad_parameters(engine, people, params, message):
    assert Api(engine).json("GetClients", **params) == {"result": "error", "message": message}


def test_details_by_id_or_email(engine, people):
    api = Api(engine)
    by_id = api.json("GetClientsDetails", clientid=str(people[1]))
    by_email = api.json("GetClientsDetails", email="GRACE@navy.example")
    assert by_id == by_email
    client = by_id["client"]
    assert {k: client[k] for k in ("id", "client_id", "userid", "firstname", "fullname",
                                   "email", "status", "credit", "currency", "currency_code",
                                   "taxexempt", "lastlogin", "countrycode")} == {
        "id": people[1], "client_id": people[1], "userid": people[1], "firstname": "Grace",
        "fullname": "Grace Hopper", "email": "grace@navy.example", "status": "Active",
        "credit": "0.00", "currency": client["currency"], "currency_code": "USD",
        "taxexempt": False, "lastlogin": "No Login Logged", "countrycode": "GB"}
    assert (client["countryname"], client["phonecc"], client["customfields"]) == (
        "United Kingdom", "44", [])  # as the 8.x example writes them
    assert by_id["firstname"] == "Grace"  # the deprecated top-level copy WHMCS still answers
    assert "password" not in client and "stats" not in by_id


@pytest.mark.parametrize("code, name, calling", [
    ("US", "United States", "1"), ("de", "Germany", "49"), ("AQ", "Antarctica", ""),
    ("ZZ", "", ""), ("", "", ""),
])
def test_details_name_the_country_and_its_calling_code(engine, code, name, calling):
    with transaction(engine) as conn:
        client = b.make_client(conn, currency=b.make_currency(conn), country=code)
    api = Api(engine)
    found = api.json("GetClientsDetails", clientid=str(client))["client"]
    assert (found["countrycode"], found["countryname"], found["phonecc"]) == (code, name, calling)
    xml = api.post("GetClientsDetails", clientid=str(client), responsetype="xml").text
    assert f"<countryname>{name}</countryname>" in xml or (not name and "<countryname" in xml)


@pytest.mark.parametrize("params, message", [
    ({}, "Either clientid Or email Is Required"),
    ({"clientid": "999"}, "Client Not Found"),
    ({"email": "nobody@example.com"}, "Client Not Found"),
])
def test_details_errors(engine, people, params, message):
    assert Api(engine).json("GetClientsDetails", **params) == {
        "result": "error", "message": message}


def test_stats_count_invoices_services_domains_and_credit(engine, people):
    ada = people[0]
    today = dt.date.today()
    with transaction(engine) as conn:
        conn.execute(tblclients.update().where(tblclients.c.id == ada)
                     .values(credit=Decimal("7.50")))
        product = b.make_product(conn)
        b.make_service(conn, client=ada, product=product)
        b.make_service(conn, client=ada, product=product, status="Cancelled")
        b.make_domain(conn, client=ada)
        rows = [("Unpaid", "30.00", today - dt.timedelta(days=3)),
                ("Unpaid", "20.00", today + dt.timedelta(days=3)),
                ("Paid", "15.00", today), ("Cancelled", "5.00", today)]
        ids = [conn.execute(tblinvoices.insert().values(
            userid=ada, status=s, total=Decimal(t), duedate=d)).inserted_primary_key[0]
            for s, t, d in rows]
        for invoice, amount in ((ids[0], "10.00"), (ids[2], "15.00")):
            conn.execute(tblaccounts.insert().values(
                userid=ada, invoiceid=invoice, amountin=Decimal(amount),
                fees=Decimal("0.50"), gateway="banktransfer", transid=f"t{invoice}"))
    stats = Api(engine).json("GetClientsDetails", clientid=str(ada), stats="1")["stats"]
    assert {k: stats[k] for k in (
        "numdueinvoices", "dueinvoicesbalance", "numoverdueinvoices", "overdueinvoicesbalance",
        "numunpaidinvoices", "unpaidinvoicesamount", "numpaidinvoices", "paidinvoicesamount",
        "numcancelledinvoices", "numDraftInvoices", "incredit", "creditbalance",
        "grossRevenue", "income", "productsnumhosting", "productsnumactivehosting",
        "productsnumtotal", "productsnumactive", "numdomains", "numactivedomains")} == {
        "numdueinvoices": 2, "dueinvoicesbalance": "$40.00 USD", "numoverdueinvoices": 1,
        "overdueinvoicesbalance": "$20.00 USD", "numunpaidinvoices": 2,
        "unpaidinvoicesamount": "$50.00 USD", "numpaidinvoices": 1,
        "paidinvoicesamount": "$15.00 USD", "numcancelledinvoices": 1, "numDraftInvoices": 0,
        "incredit": True, "creditbalance": "$7.50 USD", "grossRevenue": "$25.00 USD",
        "income": "$24.00 USD", "productsnumhosting": 2, "productsnumactivehosting": 1,
        "productsnumtotal": 2, "productsnumactive": 1, "numdomains": 1, "numactivedomains": 1}


def test_details_in_xml(engine, people):
    xml = Api(engine).post("GetClientsDetails", clientid=str(people[0]), stats="1",
                           responsetype="xml").text
    assert "<client>" in xml and "<numdueinvoices>0</numdueinvoices>" in xml
