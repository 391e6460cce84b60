"""Who may call the API: credentials, roles, admins' legacy login, the IP allow-list and the
record of failed logins. Storage and hashing only; the order of checks for a request is in
``api/auth.py``.

Secrets and admin passwords are stored as slow hashes (passlib) and only ever compared by
passlib's constant-time verify.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import ipaddress
import secrets
from dataclasses import dataclass

from passlib.context import CryptContext
from sqlalchemy import Connection, and_, bindparam, delete, func, insert, select, update

from .clock import utcnow, utcnow_exact
from .db import Prepared
from .errors import BusinessError, NotFound
from .models import own, whmcs

HASHER = CryptContext(schemes=["pbkdf2_sha256"], deprecated="auto")
# An unknown identifier is verified against this, so a miss costs what a hit costs.
DUMMY_HASH = HASHER.hash("geninvoices-dummy-secret")


def is_ip(address: str) -> bool:
    """Whether ``address`` is a client address as ``normalise_ip`` gives it, with no zone
    (``fe80::1%eth0`` names an interface of this host, never a client elsewhere)."""
    try:
        return "%" not in address and normalise_ip(address) == address
    except ValueError:
        return False


@functools.lru_cache(maxsize=1024)  # every API call parses its client's address twice
def normalise_ip(address: str) -> str:
    """Compare addresses as addresses: `::ffff:127.0.0.1` is 127.0.0.1."""
    ip = ipaddress.ip_address(address.strip())
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.compressed


@dataclass(frozen=True)
class Caller:
    kind: str  # "credential" or "admin"
    identifier: str
    actions: frozenset[str]  # lower-cased; "*" = every action

    def may_run(self, action: str) -> bool:
        return own.ALL_ACTIONS in self.actions or action.lower() in self.actions


# --- credentials -------------------------------------------------------------------------

def create_credential(conn: Connection, *, allow: list[str] | None, description: str = "",
                      known_actions: set[str] | None = None) -> tuple[str, str]:
    """Returns (identifier, secret); the secret is shown once and stored only hashed."""
    identifier, secret = secrets.token_hex(16), secrets.token_urlsafe(32)
    cred_id = conn.execute(insert(own.credentials).values(
        identifier=identifier, secret_hash=HASHER.hash(secret), description=description,
        created_at=utcnow())).inserted_primary_key[0]
    if allow:
        names = sorted({a.strip().lower() for a in allow if a.strip()})
        unknown = [a for a in names if known_actions is not None and a not in known_actions]
        if unknown or not names:
            raise BusinessError("unknown action(s): " + ", ".join(unknown or allow))
        role_id = conn.execute(insert(own.roles).values(
            name=f"credential-{identifier}", description=description)).inserted_primary_key[0]
        conn.execute(insert(own.role_actions), [{"role_id": role_id, "action": a} for a in names])
    else:
        role_id = conn.execute(select(own.roles.c.id).where(
            own.roles.c.name == own.FULL_ROLE)).scalar_one()
    conn.execute(insert(own.credential_roles).values(credential_id=cred_id, role_id=role_id))
    return identifier, secret


def active_credentials(conn: Connection) -> int:
    """How many credentials are not revoked."""
    c = own.credentials
    return conn.execute(select(func.count()).select_from(c).where(
        c.c.revoked_at.is_(None))).scalar()


def list_credentials(conn: Connection) -> list[dict]:
    c, cr, ra, r = own.credentials, own.credential_roles, own.role_actions, own.roles
    rows = conn.execute(select(c).order_by(c.c.id)).mappings().all()
    out = []
    for row in rows:
        actions = conn.execute(
            select(ra.c.action).join(cr, cr.c.role_id == ra.c.role_id)
            .where(cr.c.credential_id == row["id"]).order_by(ra.c.action)).scalars().all()
        role_names = conn.execute(select(r.c.name).join(cr, cr.c.role_id == r.c.id).where(
            cr.c.credential_id == row["id"])).scalars().all()
        out.append({"identifier": row["identifier"], "description": row["description"],
                    "created": row["created_at"], "revoked": row["revoked_at"],
                    "roles": role_names, "actions": actions})
    return out


def revoke_credential(conn: Connection, identifier: str) -> None:
    result = conn.execute(update(own.credentials).where(and_(
        own.credentials.c.identifier == identifier, own.credentials.c.revoked_at.is_(None)))
        .values(revoked_at=utcnow()))
    if result.rowcount == 0:
        raise NotFound(f"no active credential with identifier {identifier}")


@dataclass(frozen=True)
class Login:
    """A name that may log in: its stored hash and who it is once verified."""
    caller: Caller
    secret_hash: str


def find_login(conn: Connection, name: str) -> Login | None:
    """rules §2: a name is looked up first as a credential identifier, then as an admin."""
    row = conn.execute(select(own.credentials.c.id, own.credentials.c.secret_hash).where(and_(
        own.credentials.c.identifier == name, own.credentials.c.revoked_at.is_(None)))).first()
    if row is not None:
        return Login(Caller("credential", name, _actions_of(conn, row.id)), row.secret_hash)
    a, api = whmcs.tbladmins, own.admin_api
    row = conn.execute(select(api.c.legacy_hash).join(a, a.c.id == api.c.admin_id).where(and_(
        a.c.username == name, a.c.disabled == 0, api.c.api_access.is_(True),
        api.c.legacy_hash.is_not(None)))).first()
    if row is not None:
        return Login(Caller("admin", name, frozenset({own.ALL_ACTIONS})), row.legacy_hash)
    return None


def verify_login(login: Login | None, secret: str) -> Caller | None:
    """Exactly one slow verification whether or not the name exists."""
    if login is not None and login.caller.kind == "admin":
        secret = secret.strip().lower()  # the MD5 hex of the admin's password
    ok = HASHER.verify(secret, login.secret_hash if login else DUMMY_HASH)
    return login.caller if ok and login is not None else None


def _actions_of(conn: Connection, credential_id: int) -> frozenset[str]:
    cr, ra = own.credential_roles, own.role_actions
    return frozenset(conn.execute(select(ra.c.action).join(cr, cr.c.role_id == ra.c.role_id)
                                  .where(cr.c.credential_id == credential_id)).scalars())


# --- admins and the legacy login ------------------------------------------------------------

def md5_hex(password: str) -> str:
    return hashlib.md5(password.encode("utf-8")).hexdigest()


def create_admin(conn: Connection, username: str, password: str | None, *,
                 email: str = "", api_access: bool = True) -> int:
    exists = conn.execute(select(whmcs.tbladmins.c.id).where(
        whmcs.tbladmins.c.username == username)).first()
    if exists:
        raise BusinessError(f"an admin named {username} already exists")
    admin_id = conn.execute(insert(whmcs.tbladmins).values(
        username=username, email=email, uuid=secrets.token_hex(16), roleid=1, template="blend",
        language="english", created_at=utcnow(), updated_at=utcnow())).inserted_primary_key[0]
    _set_admin_api(conn, admin_id, password, api_access)
    return admin_id


def set_admin_password(conn: Connection, username: str, password: str, *,
                       api_access: bool = True) -> None:
    row = conn.execute(select(whmcs.tbladmins.c.id).where(
        whmcs.tbladmins.c.username == username)).first()
    if row is None:
        raise NotFound(f"no admin named {username}")
    _set_admin_api(conn, row.id, password, api_access)


def _set_admin_api(conn: Connection, admin_id: int, password: str | None,
                   api_access: bool) -> None:
    legacy = HASHER.hash(md5_hex(password)) if password else None
    conn.execute(delete(own.admin_api).where(own.admin_api.c.admin_id == admin_id))
    conn.execute(insert(own.admin_api).values(admin_id=admin_id, api_access=api_access,
                                              legacy_hash=legacy, updated_at=utcnow()))


# --- IP allow-list ------------------------------------------------------------------------
# An entry is an address (`192.0.2.7`) or a range in CIDR form (`10.0.0.0/8`, `fd00::/8`): a
# range lets in a whole network, such as the Docker network callers on the host come from.

def normalise_allowed(entry: str) -> str:
    """An address as `normalise_ip` has it, or a range as `10.0.0.0/8` (no host bits)."""
    entry = entry.strip()
    if "/" not in entry:
        return normalise_ip(entry)
    try:
        network = ipaddress.ip_network(entry, strict=True)
    except ValueError as error:
        raise ValueError(f"{entry!r} is not an address or a range such as 10.0.0.0/8 "
                         f"({error})") from None
    return network.compressed


def allowed_ips(conn: Connection) -> list[str]:
    return list(conn.execute(select(own.allowed_ips.c.address)
                             .order_by(own.allowed_ips.c.address)).scalars())


def ip_allowed(conn: Connection, address: str) -> bool:
    return conn.execute(select(own.allowed_ips.c.address).where(
        own.allowed_ips.c.address == address)).first() is not None


def in_allowed_range(conn: Connection, address: str) -> bool:
    """Whether a range on the allow-list holds this address (asked only when the address
    itself is not listed and some range is)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    ranges = conn.execute(select(own.allowed_ips.c.address).where(
        own.allowed_ips.c.address.contains("/"))).scalars()
    return any(ip in ipaddress.ip_network(r, strict=False) for r in ranges)


def add_allowed_ip(conn: Connection, address: str) -> str:
    address = normalise_allowed(address)
    if not ip_allowed(conn, address):
        conn.execute(insert(own.allowed_ips).values(address=address, created_at=utcnow()))
    return address


def remove_allowed_ip(conn: Connection, address: str) -> str:
    address = normalise_allowed(address)
    result = conn.execute(delete(own.allowed_ips).where(own.allowed_ips.c.address == address))
    if result.rowcount == 0:
        raise NotFound(f"{address} is not on the allow-list")
    return address


# --- lockout --------------------------------------------------------------------------------

def _gate_statement(per_identifier: bool):
    # built once: every API call runs it, and building a statement costs more than running it
    f, ips = own.auth_failures, own.allowed_ips
    where = [f.c.address == bindparam("address"), f.c.at > bindparam("since")]
    if per_identifier:
        where.append(f.c.identifier == bindparam("identifier"))
    allowed = select(func.count()).select_from(ips).where(ips.c.address == bindparam("address"))
    ranges = select(func.count()).select_from(ips).where(ips.c.address.contains("/"))
    failures = select(func.count()).select_from(f).where(and_(*where))
    return select(allowed.scalar_subquery(), failures.scalar_subquery(),
                  ranges.scalar_subquery())


_GATE = {True: Prepared(_gate_statement(True)), False: Prepared(_gate_statement(False))}


FAILURE_KEY_LENGTH = own.auth_failures.c.identifier.type.length


def failure_key(identifier: str) -> str:
    """How a failure is filed under an identifier, the same when stored and when counted: as
    sent when it fits the column as printable text, else a digest of it, so an identifier too
    long for the column (or one with control characters) is locked out like any other."""
    if len(identifier) <= FAILURE_KEY_LENGTH and identifier.isprintable():
        return identifier
    return "sha256:" + hashlib.sha256(identifier.encode("utf-8", "surrogatepass")).hexdigest()


def gate(conn: Connection, address: str, identifier: str | None,
         window_seconds: int) -> tuple[bool, int]:
    """(address allowed?, recent failures) in one round trip when the address is listed
    itself or no range is; a second query reads the ranges otherwise.
    Failures count per address, or per (address, identifier) when one is given."""
    params = {"address": address, "since": utcnow_exact() - dt.timedelta(seconds=window_seconds)}
    if identifier is not None:
        params["identifier"] = failure_key(identifier)
    (row,) = _GATE[identifier is not None].rows(conn, params)
    allowed = bool(row[0]) or (bool(row[2]) and in_allowed_range(conn, address))
    return allowed, int(row[1])


def record_failure(conn: Connection, address: str, identifier: str) -> int:
    """Record a failed login (or one about to be verified); returns its id."""
    failure = insert(own.auth_failures).values(
        address=address, identifier=failure_key(identifier), at=utcnow_exact())
    return conn.execute(failure).inserted_primary_key[0]


def forget_failure(conn: Connection, failure_id: int) -> None:
    """A recorded attempt that turned out not to be a failure (it succeeded, or came while
    the address was locked out and was never verified)."""
    conn.execute(delete(own.auth_failures).where(own.auth_failures.c.id == failure_id))


def prune_failures(conn: Connection, address: str, window_seconds: int) -> None:
    """This address's failures older than the window go, so the table stays as small as the
    lockout needs."""
    f = own.auth_failures
    conn.execute(delete(f).where(f.c.address == address,
                                 f.c.at < utcnow_exact() - dt.timedelta(seconds=window_seconds)))


@dataclass(frozen=True)
class Lockout:
    address: str
    identifier: str | None  # None: the whole address is locked, whatever name it sends
    failures: int
    lifts_at: dt.datetime


def lockouts(conn: Connection, attempts: int, window_seconds: int) -> list[Lockout]:
    """Who is locked out now, counted as the gate counts (per address; per address and
    identifier on loopback), and when the oldest failures leave the window enough to let
    them in again."""
    window = dt.timedelta(seconds=window_seconds)
    f = own.auth_failures
    rows = conn.execute(select(f.c.address, f.c.identifier, f.c.at).where(
        f.c.at > utcnow_exact() - window).order_by(f.c.at)).all()
    groups: dict[tuple[str, str | None], list[dt.datetime]] = {}
    for address, identifier, at in rows:
        key = (address, identifier if _is_loopback(address) else None)
        groups.setdefault(key, []).append(at)
    return [Lockout(address, identifier, len(ats), ats[len(ats) - attempts] + window)
            for (address, identifier), ats in sorted(groups.items(), key=_by_address)
            if len(ats) >= attempts]


def clear_lockouts(conn: Connection, address: str | None = None) -> int:
    """Forget failed logins (of one address, or all): its lockout lifts at once."""
    f = own.auth_failures
    query = delete(f) if address is None else delete(f).where(
        f.c.address == normalise_ip(address))
    return conn.execute(query).rowcount


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def _by_address(item) -> tuple[str, str]:
    (address, identifier), _ = item
    return address, identifier or ""
