"""How `generate --workers N` combines its workers (rules §8): the worst exit code by the
documented order 75 > 1 > 3 > 0, and a worker that printed no summary reported as an error."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from geninvoices.cli_workers import Combined, worst_exit


def test_the_worst_exit_code_wins_in_the_documented_order():
    assert worst_exit([0, 0, 0]) == 0
    assert worst_exit([0, 3, 0]) == 3
    assert worst_exit([3, 1, 0]) == 1
    assert worst_exit([1, 75, 3]) == 75
    assert worst_exit([0, -9]) == 75  # killed: its chunk rolled back, run again
    assert worst_exit([3, 2]) == 1  # any other failure is an error


def test_summaries_are_added_and_a_failed_worker_is_named():
    combined = Combined()
    reply = {"numcreated": "2", "invoiceids": [5, 9], "billableitems": 1,
             "promotionsended": [], "skipped": ["service 3 skipped: bad"], "warnings": []}
    combined.add(1, 3, json.dumps(reply), "")
    combined.add(2, 0, json.dumps({**reply, "invoiceids": [6, 7], "skipped": []}), "")
    combined.add(3, 75, "", "WARNING x\nerror: Another run holds these records, please retry")
    assert combined.numcreated == 4 and combined.invoiceids == [5, 9, 6, 7]
    assert combined.skipped == ["service 3 skipped: bad"]
    assert combined.errors == ["worker 3: Another run holds these records, please retry"]
    assert [w["numcreated"] for w in combined.per_worker] == [2, 2, 0]


def _cli(url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "GENINVOICES_DATABASE_URL": url}
    return subprocess.run([sys.executable, "-m", "geninvoices.cli", *args], env=env,
                          capture_output=True, text=True, timeout=120)


def test_workers_on_sqlite_say_that_writers_take_turns(tmp_path):
    url = f"sqlite:///{tmp_path / 'w.db'}"
    assert _cli(url, "migrate").returncode == 0
    run = _cli(url, "generate", "--workers", "2", "--json")
    assert run.returncode == 0, run.stderr
    assert "one writer in at a time" in run.stderr
    reply = json.loads(run.stdout)
    assert reply["numcreated"] == "0" and [w["exit"] for w in reply["workers"]] == [0, 0]


def test_workers_refuse_a_single_client_or_a_dry_run(tmp_path):
    url = f"sqlite:///{tmp_path / 'w.db'}"
    assert _cli(url, "migrate").returncode == 0
    for extra in (["--client", "1"], ["--dry-run"]):
        run = _cli(url, "generate", "--workers", "2", *extra)
        assert run.returncode == 2 and run.stderr.startswith("error: "), run.stderr
    assert _cli(url, "generate", "--workers", "0").returncode == 2
