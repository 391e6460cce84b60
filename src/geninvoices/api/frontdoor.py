"""One API call after its bytes have arrived: authenticate, dispatch, render (rules §1 to §3).

Nothing here touches the database on the event loop: a call that can be refused from memory
is answered there, everything else runs on the front door's threads, so a database that hangs
stalls only the calls that need it (an operator's database that hangs must not hang the server).
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from .. import actions
from ..access import Caller
from ..config import Settings
from ..db import transaction, translate
from ..errors import GenInvoicesError, NvpCannotExpress, PermissionDenied
from .auth import Authenticator
from .batches import SERVER_THREADS, ReadBatches
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


# The database calls run on the front door's own threads (a hop to them costs a fraction of
# anyio's): fifteen for calls that may wait on a lock for long, and the read batches' own
# (api/batches.py). The server's connection pool keeps one connection per thread (app.py):
# none is opened and closed per call.
THREADS = 15
POOL_SIZE = THREADS + SERVER_THREADS


class FrontDoor:
    def __init__(self, engine: Engine, settings: Settings):
        self.engine = engine
        self.settings = settings
        self.auth = Authenticator(engine, settings)
        self.threads = ThreadPoolExecutor(THREADS, thread_name_prefix="geninvoices-api")
        self.reads = ReadBatches(engine, self.answer_read, self.handle)

    async def answer(self, params: dict, address: str) -> Reply:
        refused = self.auth.refusal(params, address)
        if refused is not None:
            return self.error(self.format_of(params), refused, _action_name(params))
        found = actions.ACTIONS.get(_action_name(params).lower())
        if found is not None and found.read is not None:
            reply = await self.reads.answer(params, address)
            if reply is not None:
                return reply
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.threads, self.handle, params, address)

    def close(self) -> None:
        self.threads.shutdown(wait=False, cancel_futures=True)
        self.reads.close()

    def format_of(self, params: dict) -> str:
        return pick_format(params.get("responsetype"), self.settings.default_responsetype)

    def answer_read(self, conn: Connection, params: dict, address: str) -> Reply | None:
        """A read action for a caller verified lately, in ``conn``'s read transaction (a
        batch's): allow-list and lockout, permission, the read. None when the secret must be
        verified first (``handle`` does that). A database error is left to the batch."""
        fmt, name, caller = self.format_of(params), _action_name(params), ""
        try:
            who = self.auth.admit(conn, params, address)
            if who is None:
                return None
            caller, found = who.identifier, _permitted(name, who)
            return self.success(fmt, found.read(conn, params), name, caller)
        except SQLAlchemyError:
            raise
        except Exception as error:  # noqa: BLE001 - every error becomes a WHMCS reply
            return self.error(fmt, error, name, caller)

    def handle(self, params: dict, address: str) -> Reply:
        """Allow-list and lockout, then the action. A caller verified lately who asks for a
        read gets both in one read transaction: one round trip, as current as two."""
        fmt, name, caller, result = self.format_of(params), _action_name(params), "", None
        try:
            with transaction(self.engine, write=False) as conn:
                who = self.auth.admit(conn, params, address)
                if who is not None:
                    caller, found = who.identifier, _permitted(name, who)
                    result = found.read(conn, params) if found.read else None
            if who is None:  # a secret to verify first
                who = self.auth.verify(params, address)
                caller, found = who.identifier, _permitted(name, who)
            if result is None:
                result = found.run(actions.Context(self.engine, self.settings, who, address),
                                   params)
            return self.success(fmt, result, name, caller)
        except Exception as error:  # noqa: BLE001 - every error becomes a WHMCS reply
            return self.error(fmt, translate(error), name, caller)

    def authorize(self, params: dict, address: str) -> Caller:
        """Who may run ``params``' action, checked as ``handle`` checks a call (allow-list,
        lockout, secret, permission), without running it: the invoice documents (rules §15)
        are opened with GetInvoice's permission. On a front-door thread; a refusal raises."""
        with transaction(self.engine, write=False) as conn:
            who = self.auth.admit(conn, params, address)
        if who is None:
            who = self.auth.verify(params, address)
        _permitted(_action_name(params), who)
        return who

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


def _permitted(name: str, who: Caller) -> actions.registry.Action:
    found = actions.find(name)
    if not who.may_run(found.name):
        raise PermissionDenied(found.name)
    return found


def _action_name(params: dict) -> str:
    value = params.get("action")
    if isinstance(value, list) and value:
        value = value[-1]
    return value.strip() if isinstance(value, str) else ""
