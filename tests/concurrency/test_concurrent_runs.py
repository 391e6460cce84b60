"""Eight runs at once end with exactly what one run makes (issue 4.1): through a real
`geninvoices serve --workers 4`, and as eight `geninvoices generate` processes."""

from __future__ import annotations

import json
import threading

import httpx

from geninvoices import access
from geninvoices.billing.due import Selection
from geninvoices.billing.generator import generate
from geninvoices.db import transaction
from tests.concurrency.world import (
    TODAY,
    build_world,
    cli,
    numbers_are_gapless,
    snapshot,
    without_numbers,
)
from tests.engine.helpers import config
from tests.net import start_server, stop, wait_until_up

CLIENTS = 400
ENV = {"GENINVOICES_CHUNK_SIZE": "25"}  # many chunks, so runs really interleave


def reference(fresh_db, engine_of):
    engine = engine_of(fresh_db())
    assert build_world(engine, CLIENTS) >= 2000
    result = generate(engine, Selection(), config(TODAY, chunk_size=25))
    return result.numcreated, snapshot(engine)


def test_eight_generate_processes_make_what_one_run_makes(fresh_db, engine_of):
    created, expected = reference(fresh_db, engine_of)
    url = fresh_db()
    engine = engine_of(url)
    build_world(engine, CLIENTS)
    runs = [cli(url, "generate", "--date", TODAY.isoformat(), "--json", env=ENV)
            for _ in range(8)]
    outputs = [run.communicate(timeout=300) for run in runs]
    assert [run.returncode for run in runs] == [0] * 8, [err for _, err in outputs]
    assert sum(int(json.loads(out)["numcreated"]) for out, _ in outputs) == created
    state = snapshot(engine)
    assert without_numbers(state) == without_numbers(expected)
    assert numbers_are_gapless(state) and len(state["numbers"]) == created


def test_generate_with_four_workers_makes_what_one_run_makes(fresh_db, engine_of):
    """One command, four worker processes splitting the clients through SKIP LOCKED (rules
    §9): one combined summary, the same result as one run, numbers gapless."""
    created, expected = reference(fresh_db, engine_of)
    url = fresh_db()
    engine = engine_of(url)
    build_world(engine, CLIENTS)
    run = cli(url, "generate", "--workers", "4", "--date", TODAY.isoformat(), "--json",
              env=ENV)
    out, err = run.communicate(timeout=300)
    assert run.returncode == 0, err
    reply = json.loads(out)
    assert reply["result"] == "success" and int(reply["numcreated"]) == created
    assert [w["exit"] for w in reply["workers"]] == [0] * 4
    assert sum(w["numcreated"] for w in reply["workers"]) == created
    state = snapshot(engine)
    assert without_numbers(state) == without_numbers(expected)
    assert numbers_are_gapless(state) and len(state["numbers"]) == created
    assert len(set(reply["invoiceids"])) == created


def test_eight_api_calls_to_four_workers_make_what_one_run_makes(fresh_db, engine_of):
    created, expected = reference(fresh_db, engine_of)
    url = fresh_db()
    engine = engine_of(url)
    build_world(engine, CLIENTS)
    with transaction(engine) as conn:
        ident, secret = access.create_credential(conn, allow=["GenInvoices"])
    server, endpoint = start_server(url, workers=4, env=ENV)
    replies, start = [], threading.Event()

    def call():
        start.wait()
        replies.append(httpx.post(endpoint, timeout=300, headers={"connection": "close"}, data={
            "action": "GenInvoices", "identifier": ident, "secret": secret,
            "responsetype": "json"}))
    try:
        wait_until_up(endpoint)
        threads = [threading.Thread(target=call) for _ in range(8)]
        for t in threads:
            t.start()
        start.set()
        for t in threads:
            t.join()
    finally:
        stop(server)
    assert [r.status_code for r in replies] == [200] * 8, [r.text for r in replies]
    assert sum(int(r.json()["numcreated"]) for r in replies) == created
    state = snapshot(engine)
    assert without_numbers(state) == without_numbers(expected)
    assert numbers_are_gapless(state)
