"""A full GenInvoices run against the database's own write floor (issue 10).

    python benchmarks/generate_bench.py [--clients 20000] [--items 100000]
        [--history-months 0] [--seed 10] [--database-url URL]... [--profile]

For each ``--database-url`` (default: SQLite in a temporary directory; ``postgresql`` and
``mariadb`` are shortcuts for the local servers) it creates two fresh databases of that kind,
migrates both with ``geninvoices.migrate.migrate`` and fills both with the same seeded data
set (``bench_dataset.py``). Then:

- generation: ``geninvoices serve --workers 1`` on the first, one ``GenInvoices`` call with
  ``noemails=1`` over loopback HTTP, timed from the request to the answer; the server's peak
  RSS (VmHWM) is read right after;
- floor: the invoices, lines and ``nextinvoicedate`` moves that run produced, written to the
  second database by plain SQLAlchemy Core in ONE transaction (executemany per table);

and prints ``<db>: generation X s, floor Y s, ratio R, peak RSS M MiB, history N months``
plus the counts, both checked against the counts the data set implies, and on SQLite what
the server wrote to storage (``write_bytes``), a figure that does not depend on the machine's
speed as the times do (benchmarks/README.md says how far it is exact). ``--profile`` instead
runs the action in-process under cProfile and prints the top functions. The databases are
removed at the end.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import pstats
import shlex
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from bench_dataset import KIND_TABLES, Expected, Shape, build
from bench_server import Scratch, Server
from sqlalchemy import bindparam, func, insert, select, update

from geninvoices import access
from geninvoices.actions import Context, find
from geninvoices.config import Settings
from geninvoices.db import make_engine
from geninvoices.migrate import migrate
from geninvoices.models.whmcs import tblinvoiceitems, tblinvoices

HTTP_TIMEOUT = 3600.0


@dataclass
class Written:
    """What the generation wrote that the floor writes again."""
    invoices: list[dict]
    lines: list[dict]
    moves: dict[str, list[dict]]  # per item kind: {"b_id", "b_next"}

    @property
    def date_updates(self) -> int:
        return sum(len(rows) for rows in self.moves.values())


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=20_000)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--history-months", type=int, default=0)
    parser.add_argument("--seed", type=int, default=10)
    parser.add_argument("--database-url", action="append",
                        help="repeatable; sqlite (default), postgresql, mariadb or a URL")
    parser.add_argument("--profile", action="store_true",
                        help="run the action in-process under cProfile instead of timing")
    parser.add_argument("--profile-out", type=Path,
                        help="with --profile: also save the raw stats here (for pstats/snakeviz)")
    args = parser.parse_args(argv)
    if args.clients < 1 or args.items < 0 or args.history_months < 0:
        parser.error("--clients must be at least 1, --items and --history-months not negative")
    return args


def run_date() -> dt.date:
    """Today as the server sees it (GENINVOICES_TIMEZONE, else the local zone)."""
    zone = Settings().timezone
    return dt.datetime.now(ZoneInfo(zone)).date() if zone else dt.date.today()


def prepare(url: str, shape: Shape) -> Expected:
    engine = make_engine(url)
    try:
        started = time.perf_counter()
        migrate(engine)
        expected = build(engine, shape)
        print(f"  data set in {url.rsplit('/', 1)[-1]}: {time.perf_counter() - started:.1f} s",
              flush=True)
        return expected
    finally:
        engine.dispose()


@dataclass
class Generation:
    seconds: float
    created: int
    rss_mib: float  # the server's peak RSS
    written_mib: float  # what the server process wrote to storage


def time_generation(url: str, logdir: Path) -> Generation:
    """One GenInvoices over HTTP, with the server's peak RSS and bytes written after it."""
    engine = make_engine(url)
    with engine.begin() as conn:
        ident, secret = access.create_credential(conn, allow=["GenInvoices"],
                                                 description="generate_bench")
    engine.dispose()
    server = Server(url, logdir / "serve.log")
    try:
        server.wait_until_up()
        form = {"action": "GenInvoices", "identifier": ident, "secret": secret,
                "noemails": "1", "responsetype": "json"}
        with httpx.Client(timeout=HTTP_TIMEOUT) as http:
            started = time.perf_counter()
            reply = http.post(server.endpoint, data=form)
            seconds = time.perf_counter() - started
        rss, written = server.peak_rss_mib(), server.written_mib()
    finally:
        server.stop()
    body = reply.json() if reply.headers.get("content-type", "").startswith(
        "application/json") else {}
    if reply.status_code != 200 or body.get("result") != "success":
        raise SystemExit(f"GenInvoices failed: HTTP {reply.status_code} {reply.text[:500]}\n"
                         f"server log {server.log_path}:\n{server.tail()}")
    return Generation(seconds, int(body["numcreated"]), rss, written)


def written_by_run(url: str, expected: Expected, today: dt.date) -> Written:
    """The run's invoices (ids past the history), their lines, and the items it moved."""
    engine = make_engine(url)
    past = expected.history_invoices
    try:
        with engine.connect() as conn:
            invoices = [dict(r) for r in conn.execute(select(tblinvoices).where(
                tblinvoices.c.id > past).order_by(tblinvoices.c.id)).mappings()]
            line_columns = [c for c in tblinvoiceitems.c if c.name != "id"]
            lines = [dict(r) for r in conn.execute(select(*line_columns).where(
                tblinvoiceitems.c.invoiceid > past).order_by(tblinvoiceitems.c.id)).mappings()]
            moves = {kind: [{"b_id": r.id, "b_next": r.nextinvoicedate} for r in conn.execute(
                select(t.c.id, t.c.nextinvoicedate).where(t.c.nextinvoicedate > today))]
                for kind, t in KIND_TABLES.items()}
    finally:
        engine.dispose()
    return Written(invoices, lines, moves)


def time_floor(url: str, written: Written) -> tuple[float, dict[str, float]]:
    """The same rows in one transaction: executemany per table, connection made beforehand.
    Returns the total and the time of each step."""
    engine = make_engine(url)
    steps: dict[str, float] = {}
    try:
        with engine.connect() as conn:
            started = mark = time.perf_counter()

            def step(name: str) -> None:
                nonlocal mark
                steps[name], mark = time.perf_counter() - mark, time.perf_counter()

            with conn.begin():
                if written.invoices:  # an empty list would be one INSERT of defaults
                    conn.execute(insert(tblinvoices), written.invoices)
                step("invoices")
                if written.lines:
                    conn.execute(insert(tblinvoiceitems), written.lines)
                step("lines")
                for kind, rows in written.moves.items():
                    table = KIND_TABLES[kind]
                    if rows:
                        conn.execute(update(table).where(table.c.id == bindparam("b_id"))
                                     .values(nextinvoicedate=bindparam("b_next")), rows)
                step("updates")
            step("commit")
            return time.perf_counter() - started, steps
    finally:
        engine.dispose()


def floor_counts(url: str, expected: Expected, today: dt.date) -> tuple[int, int, int]:
    engine = make_engine(url)
    past = expected.history_invoices
    try:
        with engine.connect() as conn:
            count = lambda table, where: conn.execute(  # noqa: E731
                select(func.count()).select_from(table).where(where)).scalar_one()
            return (count(tblinvoices, tblinvoices.c.id > past),
                    count(tblinvoiceitems, tblinvoiceitems.c.invoiceid > past),
                    sum(count(t, t.c.nextinvoicedate > today) for t in KIND_TABLES.values()))
    finally:
        engine.dispose()


def check(what: str, got: int, want: int) -> None:
    if got != want:
        raise SystemExit(f"bench check failed: {what} is {got}, the data set implies {want}")


def timed_run(scratch: Scratch, shape: Shape, logdir: Path) -> None:
    print(f"{scratch.label}: building two databases with the same data set", flush=True)
    gen_url, floor_url = scratch.create("gen"), scratch.create("floor")
    expected = prepare(gen_url, shape)
    prepare(floor_url, shape)
    generation = time_generation(gen_url, logdir)
    seconds, created, rss = generation.seconds, generation.created, generation.rss_mib
    check("numcreated", created, expected.invoices)
    written = written_by_run(gen_url, expected, shape.today)
    check("invoices written", len(written.invoices), expected.invoices)
    check("lines written", len(written.lines), expected.lines)
    check("dates moved", written.date_updates, expected.date_updates)
    floor, steps = time_floor(floor_url, written)
    check("floor counts", sum(floor_counts(floor_url, expected, shape.today)),
          expected.invoices + expected.lines + expected.date_updates)
    print(f"{scratch.label}: generation {seconds:.2f} s, floor {floor:.2f} s, "
          f"ratio {seconds / max(floor, 1e-9):.1f}, peak RSS {rss:.0f} MiB, "
          f"history {shape.history_months} months")
    print(f"{scratch.label}: counts: invoices {created}, lines {len(written.lines)}, "
          f"date updates {written.date_updates} (all as the data set implies; "
          f"{shape.items / max(seconds, 1e-9):,.0f} items/s)")
    print(f"{scratch.label}: floor steps: "
          + ", ".join(f"{name} {t:.2f} s" for name, t in steps.items()), flush=True)
    if scratch.kind == "sqlite":  # in-process: the server's writes are the database's
        print(f"{scratch.label}: the generation wrote {generation.written_mib:,.0f} MiB to "
              "storage (write-ahead log and checkpoints)", flush=True)


def profile_run(scratch: Scratch, shape: Shape, out: Path | None) -> None:
    url = scratch.create("profile")
    expected = prepare(url, shape)
    settings = Settings(database_url=url)
    engine = make_engine(url, lock_timeout_seconds=settings.lock_timeout_seconds)
    profiler = cProfile.Profile()
    started = time.perf_counter()
    try:
        reply = profiler.runcall(find("GenInvoices").run, Context(engine, settings),
                                 {"noemails": "1"})
    finally:
        engine.dispose()
    seconds = time.perf_counter() - started
    check("numcreated", int(reply["numcreated"]), expected.invoices)
    print(f"{scratch.label}: profiled generation {seconds:.2f} s (under cProfile), "
          f"numcreated {reply['numcreated']}, history {shape.history_months} months")
    stats = pstats.Stats(profiler, stream=sys.stdout)
    if out is not None:
        stats.dump_stats(out)
    for order in ("cumulative", "tottime"):
        print(f"--- top 25 by {order} time ---")
        stats.sort_stats(order).print_stats(25)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    command = shlex.join(["python", "benchmarks/generate_bench.py", *sys.argv[1:]])
    print("command:", command, flush=True)
    shape = Shape(args.clients, args.items, args.history_months, args.seed, run_date())
    for url in args.database_url or ["sqlite"]:
        scratch = Scratch(url)
        logdir = Path(tempfile.mkdtemp(prefix="gi-bench-log-"))
        try:
            if args.profile:
                profile_run(scratch, shape, args.profile_out)
            else:
                timed_run(scratch, shape, logdir)
            shutil.rmtree(logdir)  # kept when a run fails: the server's log is in it
        finally:
            scratch.drop_all()
    print("command:", command)


if __name__ == "__main__":
    main()
