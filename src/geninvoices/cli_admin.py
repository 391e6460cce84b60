"""`geninvoices config list` and `geninvoices lockouts list|clear` (rules §8): what the
engine reads, and who the front door keeps out. Registered, with the one-line error
handling, by ``cli.py``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy import select

from . import access
from .cli_support import EXIT_USAGE, command, database, fail, settings
from .db import transaction
from .models.defaults import KNOWN_SETTINGS
from .models.whmcs import tblconfiguration as cfg
from .settings_check import engine_settings


def credentials_ensure() -> None:
    """Make sure the deployment's first credential exists (GENINVOICES_BOOTSTRAP_*); with
    none named, create one if no active credential exists and print it once."""
    from pydantic import ValidationError

    from .bootstrap import Bootstrap, ensure
    try:
        wanted = Bootstrap()
    except ValidationError as error:
        first = error.errors()[0]
        fail(f"bad GENINVOICES_BOOTSTRAP_{str(first['loc'][0]).upper()}: "
             f"{first['msg'].removeprefix('Value error, ')}", EXIT_USAGE)
    with database() as engine, transaction(engine) as conn:
        said, new = ensure(conn, wanted)
    typer.echo(said, err=True)
    if new is not None:
        typer.echo(f"identifier: {new[0]}\nsecret:     {new[1]}")
        typer.echo("The secret is shown only now; store it safely.", err=True)


lockouts_app = typer.Typer(help="Addresses locked out after failed logins.",
                           no_args_is_help=True)


def config_list() -> None:
    """Every setting the engine reads: its value and whether it is WHMCS's default."""
    with database() as engine, transaction(engine, write=False) as conn:
        stored = dict(conn.execute(select(cfg.c.setting, cfg.c.value)).all())
    table = Table("setting", "value", "default?")
    for key in engine_settings():
        default = KNOWN_SETTINGS[key]
        if key not in stored:
            table.add_row(key, escape(default), "not set: the default applies")
        else:
            same = (stored[key] or "").strip() == default
            table.add_row(key, escape(stored[key] or ""),
                          "default" if same else f"changed (default {default or 'empty'})")
    Console(width=140).print(table)


@lockouts_app.command("list")
@command
def lockouts_list() -> None:
    """Who is locked out now, after how many failed logins, and until when (UTC)."""
    s = settings()
    with database(s) as engine, transaction(engine, write=False) as conn:
        locked = access.lockouts(conn, s.lockout_attempts, s.lockout_window_seconds)
    if not locked:
        typer.echo("no address is locked out")
        return
    table = Table("address", "identifier", "failures in window", "lifts at (UTC)")
    for lock in locked:
        table.add_row(lock.address, escape(lock.identifier or "(any)"), str(lock.failures),
                      f"{lock.lifts_at:%Y-%m-%d %H:%M:%S}")
    Console(width=140).print(table)


@lockouts_app.command("clear")
@command
def lockouts_clear(address: Annotated[str | None, typer.Argument(
        help="only this address; default: every address")] = None) -> None:
    """Forget failed logins so a locked-out caller may try again at once."""
    if address is not None:
        try:
            address = access.normalise_ip(address)
        except ValueError:
            fail(f"{address!r} is not an IP address")
    with database() as engine, transaction(engine) as conn:
        cleared = access.clear_lockouts(conn, address)
    typer.echo(f"cleared {cleared} failed login(s)" + (f" of {address}" if address else ""))
