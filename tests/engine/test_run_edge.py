"""The run's edge (``runs.gen_invoices``): Python's cyclic collector is off while runs work
and on again once the last of them ends, even when one fails; the cycles a chunk leaves are
collected after it all the same."""

from __future__ import annotations

import gc
import weakref

import pytest

from geninvoices import runs
from geninvoices.billing.due import Selection
from geninvoices.config import Settings
from geninvoices.db import transaction
from geninvoices.errors import NotFound
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
