"""`geninvoices generate --workers N` (rules §8, §9): N processes of the same `generate`.

Each worker is the parent forked (so it starts at once, with everything already imported)
that then runs exactly what `geninvoices generate --json` runs, with the same options and the
same billing date, its stdout and stderr going to files the parent reads when it exits. The
parent holds no database connection when it forks; each worker makes its own engine.

They need no coordinator: a scan locks each chunk's clients with `SELECT ... FOR UPDATE SKIP
LOCKED`, so a worker passes over the clients another one holds and bills the
next ones, and the ledger's unique key on (kind, item, period start) keeps every period to
one invoice whatever the timing. This module only starts them and adds up what they say.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import sys
import tempfile
import traceback
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
    """One worker's `geninvoices` arguments: the parent's options, its billing date fixed, so
    every worker bills as of the same day even across midnight."""
    args = ["generate", "--json", "--date", day.isoformat()]
    if no_emails:
        args.append("--no-emails")
    for option, ids in lists.items():
        for item_id in ids or ():
            args += [f"--{option}", str(item_id)]
    return args


def run_workers(count: int, args: list[str]) -> tuple[Combined, int]:
    """Start ``count`` workers at once, wait for all; returns the sum and the worst exit."""
    if not hasattr(os, "fork"):
        raise typer.BadParameter("needs a system with fork (Linux, macOS, BSD)",
                                 param_hint="--workers")
    for stream in (sys.stdout, sys.stderr):
        stream.flush()  # or the workers would write the parent's pending output again
    workers = [_fork(args) for _ in range(count)]
    combined, codes = Combined(), []
    for number, (pid, out, err) in enumerate(workers, start=1):
        code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])  # -N: killed by signal N
        codes.append(code)
        combined.add(number, code, _read(out, sys.stdout), _read(err, sys.stderr))
    combined.invoiceids.sort()
    return combined, worst_exit(codes)


def _fork(args: list[str]):
    """One worker; files, not pipes, take its output: a summary listing every invoice id
    outgrows a pipe's buffer, and the parent reads nothing until the worker is done."""
    out, err = tempfile.TemporaryFile(), tempfile.TemporaryFile()  # noqa: SIM115 - read back
    pid = os.fork()
    if pid == 0:
        code = EXIT_BUSINESS
        try:
            os.dup2(out.fileno(), 1)
            os.dup2(err.fileno(), 2)
            code = _worker(args)
        finally:
            for stream in (sys.stdout, sys.stderr):
                with contextlib.suppress(Exception):
                    stream.flush()
            os._exit(code)  # never back into the parent's code (its atexit, its finally)
    return pid, out, err


def _worker(args: list[str]) -> int:
    """What `geninvoices generate ...` does in a process of its own, as an exit code."""
    from .cli import main  # the command line itself; it imports this module

    try:
        main(args)
    except SystemExit as done:
        if done.code is None or isinstance(done.code, int):
            return done.code or 0
        print(done.code, file=sys.stderr)
    except BaseException as error:  # noqa: BLE001 - a worker reports, never unwinds
        traceback.print_exc()
        print(f"error: unexpected {error.__class__.__name__}: {error}", file=sys.stderr)
    return EXIT_BUSINESS


def _read(file, like) -> str:
    with file:
        file.seek(0)
        return file.read().decode(like.encoding or "utf-8", errors="replace")


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
