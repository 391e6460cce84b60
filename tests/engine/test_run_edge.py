"""The run's edge (``runs.gen_invoices``): Python's cyclic collector is off while runs work
and on again once the last of them ends, even when one fails; the cycles a chunk leaves are
collected after it all the same. On SQLite the run checkpoints its write-ahead log once, at
its end, and only its own writes defer the checkpoint."""

from __future__ import annotations

import gc
import struct
import threading
import weakref
from pathlib import Path

import pytest

from geninvoices import db, runs
from geninvoices.billing.due import Selection
from geninvoices.config import Settings
from geninvoices.db import make_engine, transaction
from geninvoices.errors import NotFound
from geninvoices.migrate import migrate
from tests import builders as b
from tests.engine.helpers import D


@pytest.fixture
def settings(engine, database_url) -> Settings:
    """Three clients with a service due each, billed one client a chunk."""
    with transaction(engine) as conn:
        pid = b.make_product(conn)
        for i in range(3):
            cid = b.make_client(conn, email=f"gc{i}@example.com")
            b.make_service(conn, client=cid, product=pid, nextduedate=D(2026, 3, 25))
    return Settings(database_url=database_url, chunk_size=1)


def test_the_collector_is_off_during_runs_and_on_after_the_last(engine, settings):
    seen = []

    def progress(done, total, created):
        seen.append(gc.isenabled())

    assert gc.isenabled()
    with runs.cyclic_gc_paused():  # another run of this process, still working
        result = runs.gen_invoices(engine, settings, Selection(), today=D(2026, 3, 20),
                                   emails=False, progress=progress)
        assert not gc.isenabled()  # the other run still works
    assert gc.isenabled()
    assert result.numcreated == 3 and seen == [False, False, False]
    with pytest.raises(NotFound):
        runs.gen_invoices(engine, settings, Selection.of(999999, None, None, None),
                          today=D(2026, 3, 20), emails=False)
    assert gc.isenabled()


class _Cyclic:
    def __init__(self):
        self.me = self


def test_cycles_left_during_a_run_are_collected_after_the_next_chunk(engine, settings):
    left: list[weakref.ref] = []
    alive_after_next_chunk = []

    def progress(done, total, created):
        if left:
            alive_after_next_chunk.append(left[-1]() is not None)
        left.append(weakref.ref(_Cyclic()))  # garbage only the cyclic collector frees

    result = runs.gen_invoices(engine, settings, Selection(), today=D(2026, 3, 20),
                               emails=False, progress=progress)
    assert result.numcreated == 3
    assert alive_after_next_chunk == [False, False]


# SQLite's write-ahead log (rules §9, "Whole clients, in chunks"): a run's chunk commits leave
# their pages in the log, and the run folds it into the database file once, at its end.


def _log_frames(database: Path) -> tuple[int, int]:
    """(frames in the log, frames already copied into the file), read from the WAL index's
    header without touching the database (sqlite.org/walformat.html: mxFrame at byte 16,
    nBackfill at byte 96, in the machine's byte order)."""
    header = (database.parent / (database.name + "-shm")).read_bytes()[:100]
    return struct.unpack_from("=I", header, 16)[0], struct.unpack_from("=I", header, 96)[0]


@pytest.fixture
def sqlite_file(tmp_path) -> Path:
    path = tmp_path / "wal.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    engine.dispose()
    return path


def test_a_sqlite_run_leaves_its_log_folded_into_the_file(sqlite_file):
    engine = make_engine(f"sqlite:///{sqlite_file}")
    try:
        with transaction(engine) as conn:
            pid = b.make_product(conn)
            for i in range(3):
                cid = b.make_client(conn, email=f"wal{i}@example.com")
                b.make_service(conn, client=cid, product=pid, nextduedate=D(2026, 3, 25))
        frames, copied = _log_frames(sqlite_file)
        assert frames > copied  # the set-up's commits stay in the log: far below 64 MiB
        settings = Settings(database_url=f"sqlite:///{sqlite_file}", chunk_size=1)
        in_log_after_chunk = []

        def progress(done, total, created):
            in_log_after_chunk.append(_log_frames(sqlite_file))

        result = runs.gen_invoices(engine, settings, Selection(), today=D(2026, 3, 20),
                                   emails=False, progress=progress)
        assert result.numcreated == 3
        # each chunk's commit left its pages in the log; the end of the run copied them all
        assert all(frames > copied for frames, copied in in_log_after_chunk)
        frames, copied = _log_frames(sqlite_file)
        assert frames == copied > in_log_after_chunk[-1][1]
    finally:
        engine.dispose()


def _write_past_the_usual_bound(engine, folded: list[int]) -> None:
    """Commit a little more than ``db.WAL_PAGES`` pages of new rows, 8 MiB a transaction,
    as a run's chunks would; after each commit, note how many frames had been folded into
    the file (a later write starts the log over once all were)."""
    blob = b"x" * (1024 * 1024)
    with transaction(engine) as conn:
        conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS scratch (b BLOB)")
    for _ in range(db.WAL_PAGES * 4096 // (8 * len(blob)) + 1):
        with transaction(engine) as conn:
            conn.exec_driver_sql("INSERT INTO scratch VALUES (?)", [(blob,)] * 8)
        folded.append(_log_frames_of(engine)[1])


def _log_frames_of(engine) -> tuple[int, int]:
    return _log_frames(Path(engine.url.database))


def test_only_a_runs_own_commits_let_the_log_grow_past_64_mib(sqlite_file):
    engine = make_engine(f"sqlite:///{sqlite_file}", pool_size=1)
    try:
        with db.one_checkpoint(engine):
            in_run: list[int] = []
            _write_past_the_usual_bound(engine, in_run)
            frames, copied = _log_frames_of(engine)
            assert frames > db.WAL_PAGES and max(in_run) == copied == 0  # none folded in
        frames, copied = _log_frames_of(engine)
        assert frames == copied > db.WAL_PAGES  # all folded in once, at the run's end
        with db.one_checkpoint(engine):
            beside: list[int] = []  # another thread (another API call) writes meanwhile
            thread = threading.Thread(target=_write_past_the_usual_bound,
                                      args=(engine, beside))
            thread.start()
            thread.join()
            assert max(beside) > 0  # its commit past 64 MiB folded the log in, as usual
        with pytest.raises(RuntimeError), db.one_checkpoint(engine):
            raise RuntimeError("a run that fails")
        after: list[int] = []  # the same pooled connection, after the runs
        _write_past_the_usual_bound(engine, after)
        assert max(after) > 0
    finally:
        engine.dispose()
