"""Who is calling, in the order of rules §2: IP allow-list (skipped with a valid access key),
lockout, credentials. Permission for the action is checked by the route after the action
is known to exist.

Verifying a slow hash on every request would cap the server at a few dozen requests a second,
so a verified secret is remembered in this process for at most ``credential_cache_seconds``
(60 at most) after it was checked against the database; using it never extends that. Keyed by
an HMAC of identifier and secret under a random per-process key, so the secret itself is never
kept. A revoked credential, a disabled admin or a changed password therefore stops working
within that bound in every worker.

A guess is recorded as a failure *before* its hash is verified, and counted after that record
is committed: parallel guesses see each other, so no more than ``lockout_attempts`` of them are
ever verified in a window (SECURITY.md).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
import threading
import time
from dataclasses import dataclass, field

from sqlalchemy import Engine

from .. import access
from ..access import Caller
from ..config import Settings
from ..db import transaction
from ..errors import AccessError, AuthenticationFailed, IpNotAllowed, LockedOut


@dataclass
class Expiring:
    """A bounded map whose entries live ``ttl`` seconds from when they were put."""
    ttl: float
    max_entries: int = 10_000
    _entries: dict = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, key):
        entry = self._entries.get(key)
        if entry is None or entry[0] <= time.monotonic():
            return None
        return entry[1]

    def put(self, key, value, since: float | None = None) -> None:
        """Remember ``value`` until ``ttl`` after ``since`` (a ``time.monotonic()``; now)."""
        if self.ttl <= 0:
            return
        now = time.monotonic()
        with self._lock:
            if len(self._entries) >= self.max_entries:
                self._entries = {k: v for k, v in self._entries.items() if v[0] > now}
                if len(self._entries) >= self.max_entries:
                    self._entries.clear()
            self._entries[key] = ((now if since is None else since) + self.ttl, value)

    def discard(self, key) -> None:
        self._entries.pop(key, None)


def client_address(peer: str | None, forwarded_for: list[str], trusted: frozenset[str]) -> str:
    """The connection's address; X-Forwarded-For only when the peer is a trusted proxy: every
    header line, joined, read from the right past trusted hops. A hop that is no bare IP
    address (``unknown``, a port, brackets, an empty field) comes back as it was sent, quoted
    when empty, and the caller is refused with it (``access.is_ip`` tells them apart)."""
    try:
        address = access.normalise_ip(peer or "")
    except ValueError:
        return peer or "unknown"
    if address not in trusted or not forwarded_for:
        return address
    for hop in reversed(",".join(forwarded_for).split(",")):
        hop = hop.strip()
        try:
            address = access.normalise_ip(hop)
        except ValueError:
            return hop[:100] or '""'
        if address not in trusted:
            break
    return address


def is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


CREDENTIAL_FIELDS = ("identifier", "secret", "username", "password")


def credentials_of(params: dict) -> tuple[str, str] | None:
    """(identifier, secret) as sent, or None when missing or malformed: an array in any
    credential field (``secret[]=a&secret[]=b`` must not get to pick one), or text that no
    stored credential can hold (NUL, which PBKDF2's HMAC would pad away, or a lone surrogate)."""
    for name in CREDENTIAL_FIELDS:
        if not isinstance(params.get(name, ""), str):
            return None
    identifier = params.get("identifier") or params.get("username") or ""
    secret = params.get("secret") or params.get("password") or ""
    if not (identifier and secret and _well_formed(identifier) and _well_formed(secret)):
        return None
    return identifier, secret


def _well_formed(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\0" not in text


class Authenticator:
    def __init__(self, engine: Engine, settings: Settings):
        self.engine = engine
        self.settings = settings
        self.verified = Expiring(ttl=settings.credential_cache_seconds)
        # addresses the database allowed lately: a caller from one of them who sends no usable
        # credentials is refused from memory, with no database at hand (issue 8.3)
        self.allowed = Expiring(ttl=settings.credential_cache_seconds)
        self._key = secrets.token_bytes(32)
        self.trusted = frozenset(access.normalise_ip(p) for p in settings.trusted_proxies)

    def refusal(self, params: dict, address: str) -> AccessError | None:
        """The refusal that needs no database, if this call gets one: a client address that is
        none, or no usable credentials from an address allowed lately (or with the access key).
        The database would say the same, or "Invalid IP" if the address left the list lately."""
        if not access.is_ip(address):
            return IpNotAllowed(address)
        if credentials_of(params) is None and (self.allowed.get(address) or
                                               self._access_key_sent(params)):
            return AuthenticationFailed()
        return None

    def authenticate(self, params: dict, address: str) -> Caller:
        """Allow-list, lockout and credentials, in that order."""
        refused = self.refusal(params, address)
        if refused is not None:
            raise refused
        with transaction(self.engine, write=False) as conn:
            caller = self.admit(conn, params, address)
        return caller if caller is not None else self.verify(params, address)

    def admit(self, conn, params: dict, address: str) -> Caller | None:
        """Allow-list and lockout in one round trip on ``conn`` (a read transaction), then the
        verified-secret cache: the caller whose secret was verified lately, or None when it
        must be verified (``verify``). A refusal raises."""
        refused = self.refusal(params, address)
        if refused is not None:
            raise refused
        sent = credentials_of(params)
        allowed, failures = access.gate(conn, address, self._counted_as(sent, address),
                                        self.settings.lockout_window_seconds)
        self._note(address, allowed)
        if not allowed and not self._access_key_sent(params):
            raise IpNotAllowed(address)
        if sent is None:
            raise AuthenticationFailed()
        if failures >= self.settings.lockout_attempts:
            raise LockedOut()  # locked: credentials not even looked at
        return self.verified.get(self._digest(*sent))

    def verify(self, params: dict, address: str) -> Caller:
        """A secret ``admit`` let through but did not remember: checked against the database,
        counted by the lockout, then remembered. Only this check starts the cache's clock,
        from before it: the slow hash comes after it."""
        sent = credentials_of(params)
        if sent is None:
            raise AuthenticationFailed()
        checked = time.monotonic()
        caller = self._verify_counted(address, self._counted_as(sent, address), *sent)
        self.verified.put(self._digest(*sent), caller, since=checked)
        return caller

    @staticmethod
    def _counted_as(sent: tuple[str, str] | None, address: str) -> str | None:
        """Loopback callers are counted per identifier: every local client shares one address."""
        return sent[0] if sent and is_loopback(address) else None

    def _verify_counted(self, address: str, counted_as: str | None, identifier: str,
                        secret: str) -> Caller:
        """One slow verification, recorded as a failure first and forgotten if it succeeds."""
        window, limit = self.settings.lockout_window_seconds, self.settings.lockout_attempts
        with transaction(self.engine) as conn:
            attempt = access.record_failure(conn, address, identifier)
        with transaction(self.engine, write=False) as conn:  # sees every committed guess
            _, failures = access.gate(conn, address, counted_as, window)
            login = access.find_login(conn, identifier) if failures <= limit else None
        caller = access.verify_login(login, secret) if failures <= limit else None
        with transaction(self.engine) as conn:
            if caller is None and failures <= limit:
                access.prune_failures(conn, address, window)
            else:  # a success, or a guess made while locked: neither is a failure
                access.forget_failure(conn, attempt)
        if caller is None:
            raise AuthenticationFailed()
        return caller

    def _note(self, address: str, allowed: bool) -> None:
        if allowed:
            self.allowed.put(address, True)
        else:
            self.allowed.discard(address)

    def _digest(self, identifier: str, secret: str) -> bytes:
        message = "\0".join((identifier, secret)).encode("utf-8")
        return hmac.new(self._key, message, hashlib.sha256).digest()

    def _access_key_sent(self, params: dict) -> bool:
        """The access key bypasses the allow-list, never the credentials."""
        key, sent = self.settings.access_key, params.get("accesskey")
        return bool(key and isinstance(sent, str) and sent and
                    hmac.compare_digest(sent.encode("utf-8", "surrogatepass"), key.encode()))
