"""`geninvoices generate --workers N` (rules §8, §9): N processes of the same `generate`.

Each worker is a plain `geninvoices generate --json` run with the same options and the same
billing date. They need no coordinator: a scan locks each chunk's clients with `SELECT ... FOR
UPDATE SKIP LOCKED`, so a worker passes over the clients another one holds and bills the
next ones, and the ledger's unique key on (kind, item, period start) keeps every period to
one invoice whatever the timing. This module only starts them and adds up what they say.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from dataclasses import dataclass, field

import typer

from .cli_support import EXIT_BUSINESS, EXIT_RETRY

EXIT_SKIPPED = 3
# the documented order of exit codes, worst first: try again > error > skipped > fine
SEVERITY = {EXIT_RETRY: 3, EXIT_BUSINESS: 2, EXIT_SKIPPED: 1, 0: 0}


def worst_exit(codes: list[int]) -> int:
    """The combined exit code. A worker killed by a signal (negative code) left its chunk
    rolled back and its clients unbilled: run again (75). Any other code counts as 1."""
    mapped = [EXIT_RETRY if c < 0 else c if c in SEVERITY else EXIT_BUSINESS for c in codes]
    return max(mapped, key=SEVERITY.__getitem__, default=0)


@dataclass
class Combined:
    numcreated: int = 0
    invoiceids: list[int] = field(default_factory=list)
    billableitems: int = 0
    promotionsended: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    per_worker: list[dict] = field(default_factory=list)

    def add(self, number: int, code: int, out: str, err: str) -> None:
        reply = _json_of(out) if code in (0, EXIT_SKIPPED) else None
        if reply is None:
            message = _error_line(err) or f"exited with {code} and no summary"
            self.errors.append(f"worker {number}: {message}")
            self.per_worker.append({"worker": number, "exit": code, "numcreated": 0})
            return
        self.numcreated += int(reply["numcreated"])
        self.invoiceids += reply["invoiceids"]
        self.billableitems += reply["billableitems"]
        self.promotionsended += reply["promotionsended"]
        self.skipped += reply["skipped"]
        self.warnings += reply["warnings"]
        self.per_worker.append({"worker": number, "exit": code,
                                "numcreated": int(reply["numcreated"])})


def _json_of(out: str) -> dict | None:
    try:
        return json.loads(out.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return None


def _error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.startswith("error: ")]
    return lines[-1].removeprefix("error: ") if lines else ""


def worker_args(day: dt.date, no_emails: bool, lists: dict[str, list[int] | None]) -> list[str]:
    """One worker's command line: the parent's options, its billing date fixed, so every
    worker bills as of the same day even across midnight."""
    args = [sys.executable, "-m", "geninvoices.cli", "generate", "--json",
            "--date", day.isoformat()]
    if no_emails:
        args.append("--no-emails")
    for option, ids in lists.items():
        for item_id in ids or ():
            args += [f"--{option}", str(item_id)]
    return args


def run_workers(count: int, args: list[str]) -> tuple[Combined, int]:
    """Start ``count`` workers at once, wait for all; returns the sum and the worst exit."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    procs = [subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(count)]
    combined, codes = Combined(), []
    for number, proc in enumerate(procs, start=1):
        out, err = proc.communicate()
        codes.append(proc.returncode)
        combined.add(number, proc.returncode, out, err)
    combined.invoiceids.sort()
    return combined, worst_exit(codes)


def report(combined: Combined, code: int, as_json: bool) -> None:
    for line in combined.errors:
        typer.echo(f"error: {line}", err=True)
    if as_json:
        head = ({"result": "success"} if not combined.errors else
                {"result": "error", "message": combined.errors[0]})
        typer.echo(json.dumps({**head, "numcreated": str(combined.numcreated),
                               "invoiceids": combined.invoiceids,
                               "billableitems": combined.billableitems,
                               "promotionsended": combined.promotionsended,
                               "skipped": combined.skipped, "warnings": combined.warnings,
                               "workers": combined.per_worker}))
        return
    typer.echo(f"numcreated: {combined.numcreated}")
    typer.echo(f"billable items billed: {combined.billableitems}")
    typer.echo("workers: " + ", ".join(f"{w['worker']}: {w['numcreated']} (exit {w['exit']})"
                                       for w in combined.per_worker))
    for item in combined.promotionsended:
        typer.echo(f"promotion ended: {item} now bills its standard price")
    for line in combined.skipped:
        typer.echo(f"skipped: {line}")
    for line in combined.warnings:
        typer.echo(f"warning: {line}")
