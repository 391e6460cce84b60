"""Errors to WHMCS-style replies: the one place that knows HTTP statuses (rules §2's table)."""

from __future__ import annotations

import logging

from .. import errors as e

log = logging.getLogger("geninvoices.api")

STATUS: list[tuple[type[e.GenInvoicesError], int]] = [
    (e.IpNotAllowed, 403),
    (e.AuthenticationFailed, 403),
    (e.LinkRefused, 403),
    (e.PermissionDenied, 403),
    (e.RetryableError, 503),
    (e.RequestError, 200),
    (e.BusinessError, 200),
]


def error_reply(error: BaseException) -> tuple[int, str]:
    """(HTTP status, message) for any error; unexpected ones are logged, never shown."""
    if isinstance(error, e.GenInvoicesError):
        for kind, status in STATUS:
            if isinstance(error, kind):
                return status, error.message
    log.error("unexpected error answering an API call", exc_info=error)
    return 500, e.GenInvoicesError.message
