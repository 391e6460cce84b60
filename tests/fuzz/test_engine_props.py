"""The billing engine's invariants for generated worlds (issue 11), through the public path
only: the GenInvoices action, run twice, on SQLite. For every invoice ``total == subtotal +
tax + tax2 - credit`` and its lines add up; two decimals everywhere; no (type, relid, duedate)
billed twice; nothing billed that was not due (beyond today + lead days, before the item's next
invoice date, ineligible, 0.00) and, without continuous invoicing, a next period only once the
last invoice was paid (here: by credit)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geninvoices import actions
from geninvoices.actions.registry import Context
from geninvoices.clock import today_in
from geninvoices.config import Settings
from geninvoices.db import transaction
from tests import builders as b
from tests.conftest import reset

CENT = Decimal("0.01")
CYCLES = {"Monthly": 1, "Quarterly": 3, "Semi-Annually": 6, "Annually": 12}
ZONES = ["", "UTC", "Pacific/Kiritimati", "Pacific/Pago_Pago", "Asia/Kolkata"]
SERVICE_STATUSES = ["Active"] * 4 + ["Suspended", "Pending", "Cancelled", "Terminated"]
KIND = {"service": "Hosting", "domain": "Domain", "addon": "Addon"}


@dataclass(frozen=True)
class Item:
    kind: str
    amount: Decimal
    cycle: str
    status: str
    due_offset: int  # nextduedate - today, in days
    behind: bool  # nextinvoicedate one cycle past nextduedate (an unpaid invoice exists)
    taxed: bool


@dataclass(frozen=True)
class World:
    config: dict
    zone: str
    clients: list[tuple[Decimal, int, int, list[Item]]]  # credit, taxexempt, separate, items


money = st.integers(0, 50_000).map(lambda cents: Decimal(cents) / 100)
items = st.builds(Item, st.sampled_from(list(KIND)), money, st.sampled_from(list(CYCLES)),
                  st.sampled_from(SERVICE_STATUSES), st.integers(-60, 40), st.booleans(),
                  st.booleans())
configs = st.fixed_dictionaries({
    "TaxEnabled": st.sampled_from(["on", ""]), "TaxType": st.sampled_from(["Exclusive",
                                                                          "Inclusive"]),
    "TaxL2Compound": st.sampled_from(["on", ""]), "TaxDomains": st.sampled_from(["on", ""]),
    "CreateInvoiceDaysBefore": st.sampled_from(["0", "7", "14", "30", ""]),
    "CreateInvoiceDaysBeforeMonthly": st.sampled_from(["", "3", "21"]),
    "CreateDomainInvoiceDaysBefore": st.sampled_from(["", "0", "45"]),
    "ContinuousInvoiceGeneration": st.sampled_from(["on", ""]),
    "NoAutoApplyCredit": st.sampled_from(["on", ""]),
    "rate1": st.sampled_from(["0.000", "5.000", "17.500", "20.000", "8.500"]),
    "rate2": st.sampled_from([None, "5.000", "12.500"]),
})
worlds = st.builds(World, configs, st.sampled_from(ZONES), st.lists(st.tuples(
    money, st.integers(0, 1), st.integers(0, 1), st.lists(items, min_size=1, max_size=6)),
    min_size=1, max_size=3))


def build(engine, world: World, today: dt.date) -> dict[tuple[str, int], tuple[Item, dt.date]]:
    """The world in the database; (line type, relid) -> (item, its next invoice date)."""
    config = {k: v for k, v in world.config.items() if not k.startswith("rate")}
    made = {}
    with transaction(engine) as conn:
        b.make_currency(conn)
        b.set_config(conn, **config)
        b.make_tax(conn, level=1, rate=world.config["rate1"])
        if world.config["rate2"]:
            b.make_tax(conn, level=2, rate=world.config["rate2"], name="L2")
        for credit, exempt, separate, owned in world.clients:
            cid = b.make_client(conn, credit=str(credit), taxexempt=exempt,
                                separateinvoices=separate)
            parent = None
            for item in owned:
                due = today + dt.timedelta(days=item.due_offset)
                nid = due + relativedelta(months=CYCLES[item.cycle]) if item.behind else due
                relid = _make(conn, item, cid, due, nid, parent)
                if item.kind == "service":
                    parent = relid
                made[(KIND[item.kind], relid)] = (item, nid)
    return made


def _make(conn, item: Item, cid: int, due, nid, parent) -> int:
    regdate = due - dt.timedelta(days=400)
    if item.kind == "domain":
        return b.make_domain(conn, client=cid, amount=str(item.amount), regdate=regdate,
                             nextduedate=due, nextinvoicedate=nid,
                             status="Active" if item.status != "Cancelled" else "Cancelled")
    if item.kind == "addon":
        if parent is None:
            parent = b.make_service(conn, client=cid, product=b.make_product(conn),
                                    amount="0.00", regdate=regdate)
        return b.make_addon(conn, client=cid, service=parent, recurring=str(item.amount),
                            billingcycle=item.cycle, regdate=regdate, nextduedate=due,
                            nextinvoicedate=nid, status=item.status,
                            tax="1" if item.taxed else "")
    product = b.make_product(conn, tax=int(item.taxed))
    return b.make_service(conn, client=cid, product=product, amount=str(item.amount),
                          billingcycle=item.cycle, regdate=regdate, nextduedate=due,
                          nextinvoicedate=nid, status=item.status)


def lead_days(config: dict, item: Item) -> int:
    def days(key):
        return int(config[key]) if config.get(key, "").isdigit() else None
    general = 14 if days("CreateInvoiceDaysBefore") is None else days("CreateInvoiceDaysBefore")
    if item.kind == "domain":
        own = days("CreateDomainInvoiceDaysBefore")
    else:
        own = days("CreateInvoiceDaysBeforeMonthly") if item.cycle == "Monthly" else None
    return general if own is None else own


def raw_rows(engine, sql: str) -> list:
    """Rows as the driver hands them over: no column type rounds them to two places first."""
    with engine.connect() as conn:
        return conn.exec_driver_sql(sql).all()


def two_places(value) -> Decimal:
    number = Decimal(str(value))
    assert number == number.quantize(CENT), value
    return number


def check_invoices(engine, config: dict) -> None:
    inclusive = config["TaxEnabled"] == "on" and config["TaxType"] == "Inclusive"
    sums: dict[int, Decimal] = {}
    for invoiceid, amount in raw_rows(engine, "SELECT invoiceid, amount FROM tblinvoiceitems"):
        sums[invoiceid] = sums.get(invoiceid, Decimal(0)) + two_places(amount)
    for row in raw_rows(engine, "SELECT id, subtotal, tax, tax2, credit, total "
                                "FROM tblinvoices"):
        invoiceid, subtotal, tax, tax2, credit, total = row[0], *map(two_places, row[1:])
        assert total == subtotal + tax + tax2 - credit, row
        assert min(tax, tax2, credit, total) >= 0, row
        lines = sums.get(invoiceid, Decimal(0))
        assert (subtotal + tax + tax2 if inclusive else subtotal) == lines, (row, lines)


def check_credit(engine, world: World) -> None:
    """Credit applied to invoices is exactly what left the clients' balances."""
    given = sum((credit for credit, *_ in world.clients), Decimal(0))
    left = sum((two_places(c) for (c,) in raw_rows(engine, "SELECT credit FROM tblclients")),
               Decimal(0))
    used = sum((two_places(c) for (c,) in raw_rows(engine, "SELECT credit FROM tblinvoices")),
               Decimal(0))
    assert left >= 0 and given - left == used, (given, left, used)


def check_lines(engine, world: World, made: dict, today: dt.date) -> None:
    billed = raw_rows(engine, "SELECT l.type, l.relid, l.duedate, i.status FROM tblinvoiceitems l"
                              " JOIN tblinvoices i ON i.id = l.invoiceid ORDER BY l.duedate")
    keys = [(t, r, str(d)[:10]) for t, r, d, _ in billed]
    assert len(keys) == len(set(keys)), "a period billed twice"
    statuses: dict[tuple[str, int], list[str]] = {}
    for (kind, relid, duedate), (*_, status) in zip(keys, billed, strict=True):
        item, nid = made[(kind, relid)]
        period = dt.date.fromisoformat(duedate)
        assert item.amount > 0, (item, "0.00 billed")
        assert _eligible(item, world.config), (item, "ineligible billed")
        assert nid <= period <= today + dt.timedelta(days=lead_days(world.config, item)), (
            item, nid, period, today)
        statuses.setdefault((kind, relid), []).append(status)
    continuous = world.config["ContinuousInvoiceGeneration"] == "on"
    for item, seen in statuses.items():
        assert len(seen) <= 2, (item, seen)  # one period per item per run
        if len(seen) == 2 and not continuous:  # only once the first was paid (by credit)
            assert seen[0] == "Paid", (item, seen)


def _eligible(item: Item, config: dict) -> bool:
    if item.kind == "domain":
        return item.status != "Cancelled"
    if item.behind and config["ContinuousInvoiceGeneration"] != "on":
        return False
    allowed = {"Active", "Suspended"}
    if config["ContinuousInvoiceGeneration"] != "on":
        allowed.add("Pending")
    return item.status in allowed


def test_generated_worlds_keep_the_engines_invariants(sqlite_session_engine, record_property):
    engine, seen = sqlite_session_engine, {"worlds": 0, "items": 0, "lines": 0, "invoices": 0}

    @settings(max_examples=80, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(world=worlds)
    def check(world):
        reset(engine)
        settings_ = Settings(database_url="sqlite://", timezone=world.zone)
        today = today_in(settings_)  # what the action bills as of, in this zone
        made = build(engine, world, today)
        gen = actions.find("GenInvoices")
        for _ in range(2):  # a second run must not bill a period again
            gen.run(Context(engine, settings_), {"noemails": "1"})
        check_invoices(engine, world.config)
        check_lines(engine, world, made, today)
        check_credit(engine, world)
        seen["worlds"] += 1
        seen["items"] += len(made)
        seen["lines"] += len(raw_rows(engine, "SELECT id FROM tblinvoiceitems"))
        seen["invoices"] += len(raw_rows(engine, "SELECT id FROM tblinvoices"))

    check()
    for name, value in seen.items():
        record_property(f"fuzz_{name}", value)
    assert seen["lines"] > 100 and seen["invoices"] > 50  # the worlds did bill things
