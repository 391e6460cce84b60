"""Crash points for tests (spec 9): inert unless ``GENINVOICES_TESTING=1``.

With ``GENINVOICES_FAULT=stage:n`` the process sends itself SIGKILL the n-th time it passes
``checkpoint(stage)``, so a test can kill a run at a named moment and check what survives.
"""

from __future__ import annotations

import os
import signal
import threading

_counts: dict[str, int] = {}
_lock = threading.Lock()


def _target() -> tuple[str, int] | None:
    if os.environ.get("GENINVOICES_TESTING") != "1":
        return None
    stage, _, n = os.environ.get("GENINVOICES_FAULT", "").partition(":")
    return (stage, int(n)) if stage and n.isdigit() else None


def checkpoint(stage: str) -> None:
    target = _target()
    if target is None or target[0] != stage:
        return
    with _lock:
        _counts[stage] = _counts.get(stage, 0) + 1
        hit = _counts[stage] == target[1]
    if hit:
        os.kill(os.getpid(), signal.SIGKILL)


class InjectedFault(RuntimeError):
    pass


def fail_if(stage: str, key: object) -> None:
    """With ``GENINVOICES_FAIL=stage:key`` (and testing on), raise at that stage for that key:
    a stand-in for one client's writes failing."""
    if os.environ.get("GENINVOICES_TESTING") != "1":
        return
    if os.environ.get("GENINVOICES_FAIL", "") == f"{stage}:{key}":
        raise InjectedFault(f"injected failure at {stage} for {key}")
