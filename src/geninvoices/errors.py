"""Every error geninvoices reports to a caller. Messages only: HTTP statuses live in
``api/handlers.py``, exit codes in ``cli.py``.

    GenInvoicesError                 message shown to the caller as it is
    ├── RequestError                 the request itself is unusable
    │   ├── RequestTooLarge          over a limit of rules §1 ("Request too large: ...")
    │   ├── NotUtf8                  parameters that are not UTF-8 text
    │   ├── NulCharacter             parameters holding NUL (no database stores it alike)
    │   ├── BadParameter             a parameter that does not parse ("Invalid x: ...")
    │   ├── UnknownAction            'Invalid API Action: "x" is not a valid API action'
    │   └── NvpCannotExpress         a nested result asked for in nvp
    ├── AccessError                  who is calling
    │   ├── IpNotAllowed             "Invalid IP 203.0.113.7"
    │   ├── AuthenticationFailed     "Authentication Failed"
    │   ├── LinkRefused              an invoice link whose signature is wrong or expired
    │   └── PermissionDenied         'Invalid Permissions: API action "x" is not allowed'
    ├── BusinessError                a rule of an action ("Client ID Not Found", ...)
    │   └── NotFound                 the thing named does not exist
    ├── MigrationRefused             `migrate` will not touch this database as it is
    ├── TemplateProblem              an invoice template override that does not render
    └── RetryableError               try again later; nothing was changed
        ├── DatabaseUnavailable      "Database unavailable, please retry"
        └── LockTimeout              "Another run holds these records, please retry"
"""

from __future__ import annotations


class GenInvoicesError(Exception):
    message = "An internal error occurred"

    def __init__(self, message: str | None = None):
        if message is not None:
            self.message = message
        super().__init__(self.message)


class RequestError(GenInvoicesError):
    pass


class RequestTooLarge(RequestError):
    def __init__(self, what: str):
        super().__init__(f"Request too large: {what}")


class NotUtf8(RequestError):
    message = "Invalid request: parameters must be UTF-8 text"


class NulCharacter(RequestError):
    message = "Invalid request: parameters must not contain NUL characters"


class BadParameter(RequestError):
    def __init__(self, name: str, problem: str):
        super().__init__(f"Invalid {name}: {problem}")


class UnknownAction(RequestError):
    def __init__(self, action: str):
        super().__init__(f'Invalid API Action: "{action.lower()}" is not a valid API action')


class NvpCannotExpress(RequestError):
    message = "responsetype nvp cannot express this result; use json or xml"


class AccessError(GenInvoicesError):
    pass


class IpNotAllowed(AccessError):
    def __init__(self, address: str):
        super().__init__(f"Invalid IP {address}")


class AuthenticationFailed(AccessError):
    message = "Authentication Failed"


class LockedOut(AuthenticationFailed):
    """Refused unread while the caller is locked out; the reply is the same as for a wrong
    secret, only the metrics and the log line tell them apart."""


class LinkRefused(AccessError):
    message = "Invalid or expired invoice link"


class PermissionDenied(AccessError):
    def __init__(self, action: str):
        super().__init__(f'Invalid Permissions: API action "{action.lower()}" is not allowed')


class BusinessError(GenInvoicesError):
    pass


class NotFound(BusinessError):
    pass


class MigrationRefused(GenInvoicesError):
    pass


class TemplateProblem(GenInvoicesError):
    pass


class RetryableError(GenInvoicesError):
    pass


class DatabaseUnavailable(RetryableError):
    message = "Database unavailable, please retry"


class LockTimeout(RetryableError):
    message = "Another run holds these records, please retry"
