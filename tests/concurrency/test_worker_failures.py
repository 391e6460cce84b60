"""A worker of `generate --workers N` that fails (rules §8, §9): the command still ends with
one combined report, names the worker in an `error: worker N: ...` line, exits with the
worst code, and a run afterwards bills exactly what one run makes."""

from __future__ import annotations

import json

from tests.concurrency.test_concurrent_runs import reference
from tests.concurrency.world import (
    TODAY,
    build_world,
    cli,
    numbers_are_gapless,
    snapshot,
    without_numbers,
)

ENV = {"GENINVOICES_CHUNK_SIZE": "25"}


def _workers(url: str, count: int, env: dict) -> tuple[int, dict, str]:
    run = cli(url, "generate", "--workers", str(count), "--date", TODAY.isoformat(),
              "--json", env={**ENV, **env})
    out, err = run.communicate(timeout=300)
    return run.returncode, json.loads(out), err


def test_killed_workers_say_run_again_and_the_rerun_bills_exactly_once(fresh_db, engine_of):
    """Each worker killed (SIGKILL) while writing its first chunk: exit 75, both named; the
    next run completes the billing, as one run would have."""
    created, expected = reference(fresh_db, engine_of)
    url = fresh_db()
    engine = engine_of(url)
    build_world(engine, 400)
    code, reply, err = _workers(url, 2, {"GENINVOICES_TESTING": "1",
                                         "GENINVOICES_FAULT": "after_invoices:1"})
    assert code == 75, err
    assert [(w["exit"], w["numcreated"]) for w in reply["workers"]] == [(-9, 0), (-9, 0)]
    assert reply["result"] == "error"
    assert err.splitlines()[-2:] == [f"error: worker {n}: exited with -9 and no summary"
                                     for n in (1, 2)]
    code, reply, err = _workers(url, 2, {})  # deadlocks between them are retried
    assert code == 0, err
    assert int(reply["numcreated"]) == created
    state = snapshot(engine)
    assert without_numbers(state) == without_numbers(expected)
    assert numbers_are_gapless(state)


def test_each_worker_reports_its_own_error_line(fresh_db):
    """A database the parent can reach but that was never migrated: every worker says so in
    its one `error:` line (exit 1), which the command repeats with the worker's number."""
    url = fresh_db(migrated=False)
    code, reply, err = _workers(url, 2, {})
    assert code == 1, err
    assert [w["exit"] for w in reply["workers"]] == [1, 1]
    lines = [line for line in err.splitlines() if line.startswith("error: worker ")]
    assert [line[:16] for line in lines] == ["error: worker 1:", "error: worker 2:"]
    assert all("run `geninvoices migrate` first" in line for line in lines), err
    assert "Traceback" not in err
