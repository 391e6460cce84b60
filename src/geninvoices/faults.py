"""Crash points for tests (rules §9): inert unless ``GENINVOICES_TESTING=1``.

The plan is read once, when a process starts (``arm``, called by the command line and the
app factory); until then, and whenever testing is off, ``checkpoint`` is one comparison.

With ``GENINVOICES_FAULT=stage:n`` the process sends itself SIGKILL the n-th time it passes
``checkpoint(stage)``, so a test can kill a run at a named moment and check what survives.
With ``GENINVOICES_PAUSE=stage:n:seconds`` it sleeps there instead, after creating the file
named by ``GENINVOICES_PAUSE_FILE``, so a test can cut the database away mid-run. With
``GENINVOICES_FAIL=stage:key`` ``fail_if(stage, key)`` raises, a stand-in for one client's
writes failing.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path


class InjectedFault(RuntimeError):
    pass


@dataclass
class _Plan:
    kill: tuple[str, int] | None = None
    pause: tuple[str, int, float] | None = None
    pause_file: str = ""
    fail: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def passes(self, stage: str) -> int:
        with self.lock:
            self.counts[stage] = self.counts.get(stage, 0) + 1
            return self.counts[stage]


_plan: _Plan | None = None
_stages: frozenset[str] = frozenset()


def _stage(value: str) -> list[str] | None:
    parts = value.split(":")
    return parts if len(parts) >= 2 and parts[0] and parts[1].isdigit() else None


def arm(environ: Mapping[str, str]) -> None:
    """Read the plan once; with testing off, every hook stays a no-op."""
    global _plan, _stages
    _plan, _stages = None, frozenset()
    if environ.get("GENINVOICES_TESTING") != "1":
        return
    plan = _Plan(pause_file=environ.get("GENINVOICES_PAUSE_FILE", ""),
                 fail=environ.get("GENINVOICES_FAIL", ""))
    if kill := _stage(environ.get("GENINVOICES_FAULT", "")):
        plan.kill = (kill[0], int(kill[1]))
    if pause := _stage(environ.get("GENINVOICES_PAUSE", "")):
        plan.pause = (pause[0], int(pause[1]), float(pause[2]) if len(pause) > 2 else 3.0)
    _plan = plan
    _stages = frozenset(s[0] for s in (plan.kill, plan.pause) if s)


def checkpoint(stage: str) -> None:
    if stage not in _stages:
        return
    passes = _plan.passes(stage)
    if _plan.kill and _plan.kill == (stage, passes):
        os.kill(os.getpid(), signal.SIGKILL)
    if _plan.pause and _plan.pause[:2] == (stage, passes):
        if _plan.pause_file:
            Path(_plan.pause_file).touch()
        time.sleep(_plan.pause[2])


def fail_if(stage: str, key: object) -> None:
    if _plan is not None and _plan.fail and _plan.fail == f"{stage}:{key}":
        raise InjectedFault(f"injected failure at {stage} for {key}")
