"""Who is calling, in the order of rules §2: IP allow-list (skipped with a valid access key),
lockout, credentials. Permission for the action is checked by the route after the action
is known to exist.

Verifying a slow hash on every request would cap the server at a few dozen requests a second,
so a verified secret is remembered in this process for at most ``credential_cache_seconds``
(60 at most): keyed by an HMAC of identifier and secret under a random per-process key, so the
secret itself is never kept. A revoked credential therefore stops working within that bound
in every worker.
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
from ..errors import AuthenticationFailed, IpNotAllowed, LockedOut


@dataclass
class VerifiedCache:
    ttl: float
    max_entries: int = 10_000
    _key: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    _entries: dict[bytes, tuple[float, Caller]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def digest(self, kind: str, identifier: str, secret: str) -> bytes:
        message = "\0".join((kind, identifier, secret)).encode("utf-8", "surrogatepass")
        return hmac.new(self._key, message, hashlib.sha256).digest()

    def get(self, digest: bytes) -> Caller | None:
        entry = self._entries.get(digest)
        if entry is None or entry[0] <= time.monotonic():
            return None
        return entry[1]

    def put(self, digest: bytes, caller: Caller) -> None:
        if self.ttl <= 0:
            return
        now = time.monotonic()
        with self._lock:
            if len(self._entries) >= self.max_entries:
                self._entries = {k: v for k, v in self._entries.items() if v[0] > now}
                if len(self._entries) >= self.max_entries:
                    self._entries.clear()
            self._entries[digest] = (now + self.ttl, caller)


def client_address(peer: str | None, forwarded_for: str | None,
                   trusted: frozenset[str]) -> str:
    """The connection's address; X-Forwarded-For only when the peer is a trusted proxy,
    read from the right, skipping trusted hops."""
    try:
        address = access.normalise_ip(peer or "")
    except ValueError:
        return peer or "unknown"
    if address not in trusted or not forwarded_for:
        return address
    for hop in reversed([h.strip() for h in forwarded_for.split(",")]):
        try:
            hop = access.normalise_ip(hop)
        except ValueError:
            break
        address = hop
        if hop not in trusted:
            break
    return address


def is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def _value(params: dict, name: str) -> str:
    value = params.get(name)
    if isinstance(value, list) and value:
        value = value[-1]
    return value if isinstance(value, str) else ""


class Authenticator:
    def __init__(self, engine: Engine, settings: Settings):
        self.engine = engine
        self.settings = settings
        self.cache = VerifiedCache(ttl=settings.credential_cache_seconds)
        self.trusted = frozenset(access.normalise_ip(p) for p in settings.trusted_proxies)

    def authenticate(self, params: dict, address: str) -> Caller:
        """Allow-list, lockout and credentials, in that order, on one connection."""
        identifier = _value(params, "identifier") or _value(params, "username")
        secret = _value(params, "secret") or _value(params, "password")
        counted_as = identifier if is_loopback(address) else None
        with transaction(self.engine, write=False) as conn:
            allowed, failures = access.gate(conn, address, counted_as,
                                            self.settings.lockout_window_seconds)
            if not allowed and not self._access_key_sent(params):
                raise IpNotAllowed(address)
            if not identifier or not secret:
                raise AuthenticationFailed()
            if failures >= self.settings.lockout_attempts:
                raise LockedOut()  # locked: credentials not even looked at
            digest = self.cache.digest("api", identifier, secret)
            caller = self.cache.get(digest) or self._verify(conn, identifier, secret)
        if caller is None:
            with transaction(self.engine) as conn:
                access.record_failure(conn, address, identifier,
                                      self.settings.lockout_window_seconds)
            raise AuthenticationFailed()
        self.cache.put(digest, caller)
        return caller

    def is_cached(self, params: dict) -> bool:
        """Whether these credentials were verified lately (no slow hash to compute)."""
        identifier = _value(params, "identifier") or _value(params, "username")
        secret = _value(params, "secret") or _value(params, "password")
        return bool(identifier and secret and
                    self.cache.get(self.cache.digest("api", identifier, secret)))

    def _access_key_sent(self, params: dict) -> bool:
        """The access key bypasses the allow-list, never the credentials."""
        key, sent = self.settings.access_key, _value(params, "accesskey")
        return bool(key and sent and hmac.compare_digest(sent.encode(), key.encode()))

    @staticmethod
    def _verify(conn, identifier: str, secret: str) -> Caller | None:
        return access.verify_login(access.find_login(conn, identifier), secret)
