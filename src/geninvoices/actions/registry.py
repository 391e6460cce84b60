"""The actions this version knows, by lower-cased name (WHMCS matches them case-insensitively)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine

from ..access import Caller
from ..config import Settings
from ..errors import UnknownAction


@dataclass(frozen=True)
class Context:
    engine: Engine
    settings: Settings
    caller: Caller | None = None


@dataclass(frozen=True)
class Action:
    name: str  # WHMCS's spelling, e.g. "GetConfigurationValue"
    run: Callable[[Context, dict], dict]


ACTIONS: dict[str, Action] = {}


def action(name: str):
    def register(run: Callable[[Context, dict], dict]):
        ACTIONS[name.lower()] = Action(name, run)
        return run
    return register


def find(name: str) -> Action:
    found = ACTIONS.get(name.strip().lower())
    if found is None:
        raise UnknownAction(name)
    return found
