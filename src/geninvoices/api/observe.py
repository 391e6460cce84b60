"""What each API call leaves behind: one log line and a few counters (README "Health and
metrics").

The line is key=value on one line: every value a caller chose (action, identifier) is quoted
and escaped when it holds anything but plain characters, so no input can start a line of its
own or pass for another key. It never holds a secret, a query string or a body.
"""

from __future__ import annotations

import json
import logging
import re

from .. import actions, metrics
from .frontdoor import Reply

access_log = logging.getLogger("geninvoices.access")
PLAIN = re.compile(r"[A-Za-z0-9._:@/+-]+")
LOGGED_CHARACTERS = 64  # of one caller-chosen value: enough to recognise, too few to flood
REFUSED = {"AuthenticationFailed", "LockedOut"}


def field(value: str) -> str:
    """A value as one token of the line: bare when plain, else quoted with every control,
    quote, space and non-ASCII character escaped (JSON-style); a long one cut short, marked."""
    if len(value) > LOGGED_CHARACTERS:
        value = value[:LOGGED_CHARACTERS] + "..."
    return value if PLAIN.fullmatch(value) else json.dumps(value, ensure_ascii=True)


def record(reply: Reply, method: str, address: str, seconds: float) -> None:
    known = reply.action if reply.action in actions.ACTIONS else "unknown"
    metrics.REQUESTS.labels(known if reply.action else "none",
                            "success" if reply.outcome == "success" else "error").inc()
    if reply.outcome in REFUSED:
        metrics.AUTH_FAILURES.inc()
        if reply.outcome == "LockedOut":
            metrics.LOCKOUTS.inc()
    outcome = "success" if reply.outcome == "success" else f"error error={reply.outcome}"
    access_log.info("api action=%s caller=%s client=%s method=%s status=%s outcome=%s "
                    "duration_ms=%.1f", field(reply.action or "-"), field(reply.caller or "-"),
                    field(address), method, reply.status, outcome, seconds * 1000)
