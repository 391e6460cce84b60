"""Crash points for tests (spec 9): inert unless ``GENINVOICES_TESTING=1``.

With ``GENINVOICES_FAULT=stage:n`` the process sends itself SIGKILL the n-th time it passes
``checkpoint(stage)``, so a test can kill a run at a named moment and check what survives.
With ``GENINVOICES_PAUSE=stage:n:seconds`` it sleeps there instead, after creating the file
named by ``GENINVOICES_PAUSE_FILE``, so a test can cut the database away mid-run.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

_counts: dict[str, int] = {}
_lock = threading.Lock()


def _setting(name: str) -> list[str] | None:
    if os.environ.get("GENINVOICES_TESTING") != "1":
        return None
    parts = os.environ.get(name, "").split(":")
    return parts if len(parts) >= 2 and parts[0] and parts[1].isdigit() else None


def _passes(stage: str) -> int:
    with _lock:
        _counts[stage] = _counts.get(stage, 0) + 1
        return _counts[stage]


def checkpoint(stage: str) -> None:
    kill, pause = _setting("GENINVOICES_FAULT"), _setting("GENINVOICES_PAUSE")
    if stage not in ((kill or [None])[0], (pause or [None])[0]):
        return
    passes = _passes(stage)
    if kill and kill[0] == stage and passes == int(kill[1]):
        os.kill(os.getpid(), signal.SIGKILL)
    if pause and pause[0] == stage and passes == int(pause[1]):
        marker = os.environ.get("GENINVOICES_PAUSE_FILE")
        if marker:
            Path(marker).touch()
        time.sleep(float(pause[2]) if len(pause) > 2 else 3.0)


class InjectedFault(RuntimeError):
    pass


def fail_if(stage: str, key: object) -> None:
    """With ``GENINVOICES_FAIL=stage:key`` (and testing on), raise at that stage for that key:
    a stand-in for one client's writes failing."""
    if os.environ.get("GENINVOICES_TESTING") != "1":
        return
    if os.environ.get("GENINVOICES_FAIL", "") == f"{stage}:{key}":
        raise InjectedFault(f"injected failure at {stage} for {key}")
