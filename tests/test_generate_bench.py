"""The benchmark of issue 10 checks itself: its data set implies the counts it claims, and a
tiny run on each backend passes its own checks and leaves no database behind."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, literal, select, text, union_all

from geninvoices.models.whmcs import tblclients, tbldomains, tblhosting, tblhostingaddons

from .conftest import BACKENDS, MARIADB_URL, PG_URL

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCH))

from bench_dataset import Shape, build  # noqa: E402

TODAY = dt.date(2026, 3, 31)


def invoices_by_sql(conn) -> int:
    """Rules §5.3 counted by the database: per client, one invoice per item when separate,
    else one per effective payment method (all lines share today's due date)."""
    items = union_all(*(select(t.c.userid, literal(k).label("kind"), t.c.id, t.c.paymentmethod)
                        for k, t in (("H", tblhosting), ("D", tbldomains),
                                     ("A", tblhostingaddons)))).subquery()
    c = tblclients
    method = func.coalesce(func.nullif(items.c.paymentmethod, ""), c.c.defaultgateway)
    together = select(items.c.userid, method).join(c, c.c.id == items.c.userid).where(
        c.c.separateinvoices == 0).distinct().subquery()
    separate = select(func.count()).select_from(items.join(c, c.c.id == items.c.userid)).where(
        c.c.separateinvoices == 1)
    return (conn.execute(select(func.count()).select_from(together)).scalar_one()
            + conn.execute(separate).scalar_one())


def test_the_data_set_implies_the_counts_it_reports(engine):
    expected = build(engine, Shape(clients=60, items=400, history_months=2, seed=3, today=TODAY))
    with engine.connect() as conn:
        assert expected.invoices == invoices_by_sql(conn)
        due = sum(conn.execute(select(func.count()).select_from(t).where(
            t.c.nextinvoicedate == TODAY, t.c.nextduedate == TODAY)).scalar_one()
            for t in (tblhosting, tbldomains, tblhostingaddons))
        assert due == expected.lines == expected.date_updates == 400
        assert conn.execute(text("SELECT COUNT(*) FROM tblinvoiceitems")).scalar_one() == 800
        assert conn.execute(text("SELECT COUNT(*) FROM geninvoices_ledger")).scalar_one() == 800
    assert expected.history_invoices == 2 * 60  # every client has a service here


def bench_databases(backend: str) -> set[str]:
    if backend == "sqlite":
        return set()
    url, query = ((PG_URL, "SELECT datname FROM pg_database") if backend == "postgresql"
                  else (MARIADB_URL, "SHOW DATABASES"))
    engine = create_engine(url)
    with engine.connect() as conn:
        names = {n for n in conn.execute(text(query)).scalars() if n.startswith("gi_bench_")}
    engine.dispose()
    return names


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
def test_a_tiny_run_passes_its_own_checks_and_cleans_up(backend):
    url = {"sqlite": "sqlite", "postgresql": PG_URL, "mariadb": MARIADB_URL}[backend]
    before = bench_databases(backend)
    done = subprocess.run(
        [sys.executable, str(BENCH / "generate_bench.py"), "--clients", "30", "--items", "150",
         "--history-months", "2", "--database-url", url],
        capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    label = {"postgresql": "postgresql", "mariadb": "mariadb"}.get(backend, "sqlite")
    assert re.search(rf"^{label}: generation [\d.]+ s, floor [\d.]+ s, ratio [\d.]+, "
                     r"peak RSS \d+ MiB, history 2 months$", done.stdout, re.M), done.stdout
    assert re.search(rf"^{label}: counts: invoices \d+, lines 150, date updates 150 ",
                     done.stdout, re.M), done.stdout
    assert bench_databases(backend) == before
