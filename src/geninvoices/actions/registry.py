"""The actions this version knows, by lower-cased name (WHMCS matches them case-insensitively)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, Engine

from ..access import Caller
from ..config import Settings
from ..db import transaction
from ..errors import UnknownAction


@dataclass(frozen=True)
class Context:
    engine: Engine
    settings: Settings
    caller: Caller | None = None
    address: str = ""  # the caller's IP address, as the front door determined it (rules §2)


@dataclass(frozen=True)
class Action:
    name: str  # WHMCS's spelling, e.g. "GetConfigurationValue"
    run: Callable[[Context, dict], dict]
    # a read of one statement or two, done in the caller's read transaction: the front door
    # runs it in the transaction that checked the allow-list and the lockout (one round trip)
    read: Callable[[Connection, dict], dict] | None = None


ACTIONS: dict[str, Action] = {}


def action(name: str):
    def register(run: Callable[[Context, dict], dict]):
        ACTIONS[name.lower()] = Action(name, run)
        return run
    return register


def read_action(name: str):
    """An action that only reads: ``read(conn, params)`` in one read transaction, its own
    when it runs alone, the front door's when that is already open."""
    def register(read: Callable[[Connection, dict], dict]):
        @functools.wraps(read)  # it is the action's own: its module, its name
        def run(ctx: Context, raw: dict) -> dict:
            with transaction(ctx.engine, write=False) as conn:
                return read(conn, raw)
        ACTIONS[name.lower()] = Action(name, run, read)
        return read
    return register


def find(name: str) -> Action:
    found = ACTIONS.get(name.strip().lower())
    if found is None:
        raise UnknownAction(name)
    return found
