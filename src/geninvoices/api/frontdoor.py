"""One API call after its bytes have arrived: authenticate, dispatch, render (rules §1 to §3)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from .. import actions
from ..config import Settings
from ..db import translate
from ..errors import GenInvoicesError, NvpCannotExpress, PermissionDenied
from .auth import Authenticator
from .handlers import error_reply
from .render import CONTENT_TYPES, pick_format, render


@dataclass(frozen=True)
class Reply:
    status: int
    body: str
    content_type: str
    action: str = ""
    caller: str = ""
    outcome: str = "success"  # or the error's class name, for the log line and the metrics


class FrontDoor:
    def __init__(self, engine: Engine, settings: Settings):
        self.engine = engine
        self.settings = settings
        self.auth = Authenticator(engine, settings)

    def is_quick(self, params: dict) -> bool:
        """A quick read by a caller verified lately is answered without a worker thread;
        a slow hash or a long action would stall every other call on the event loop."""
        found = actions.ACTIONS.get(_action_name(params).lower())
        return (found is None or found.quick) and self.auth.is_cached(params)

    def format_of(self, params: dict) -> str:
        return pick_format(params.get("responsetype"), self.settings.default_responsetype)

    def handle(self, params: dict, address: str) -> Reply:
        fmt, name, caller = self.format_of(params), _action_name(params), ""
        try:
            who = self.auth.authenticate(params, address)
            caller = who.identifier
            found = actions.find(name)
            if not who.may_run(found.name):
                raise PermissionDenied(found.name)
            result = found.run(actions.Context(self.engine, self.settings, who), params)
            return self.success(fmt, result, name, caller)
        except Exception as error:  # noqa: BLE001 - every error becomes a WHMCS reply
            return self.error(fmt, translate(error), name, caller)

    def success(self, fmt: str, result: dict, name: str, caller: str) -> Reply:
        try:
            text = render(fmt, {"result": "success", **result}, name)
        except NvpCannotExpress as error:
            return self.error(fmt, error, name, caller)
        return Reply(200, text, CONTENT_TYPES[fmt], name.lower(), caller)

    def error(self, fmt: str, error: BaseException, name: str, caller: str = "") -> Reply:
        status, message = error_reply(error)
        text = render(fmt, {"result": "error", "message": message}, name)
        return Reply(status, text, CONTENT_TYPES[fmt], name.lower(), caller,
                     type(error).__name__)

    def reject(self, params: dict, error: GenInvoicesError) -> Reply:
        """A request refused before it was read whole (a limit): nothing was looked up."""
        return self.error(self.format_of(params), error, _action_name(params))


def _action_name(params: dict) -> str:
    value = params.get("action")
    if isinstance(value, list) and value:
        value = value[-1]
    return value.strip() if isinstance(value, str) else ""
