"""The first API credential of a deployment (`geninvoices credentials ensure`, rules §8).

A container has no operator at a terminal to run `credentials create` and copy a secret,
so the deployment names its credential in the environment (GENINVOICES_BOOTSTRAP_IDENTIFIER
and GENINVOICES_BOOTSTRAP_SECRET): each start makes sure that credential exists, with that
secret and every action. Without them, the first start of an install that has no active
credential makes one and prints it once; later starts find it and print nothing.
"""

from __future__ import annotations

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import Connection, insert, select, update

from . import access
from .clock import utcnow
from .models import own

DESCRIPTION = "bootstrap (GENINVOICES_BOOTSTRAP_IDENTIFIER)"


class Bootstrap(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GENINVOICES_BOOTSTRAP_", extra="ignore")

    identifier: str = Field("", max_length=64, pattern=r"^[A-Za-z0-9_.\-]*$")
    secret: str = ""

    @field_validator("secret")
    @classmethod
    def _long_enough(cls, value: str) -> str:
        if value and len(value) < 16:
            raise ValueError("must be at least 16 characters (e.g. `openssl rand -hex 24`)")
        return value


def ensure(conn: Connection, wanted: Bootstrap) -> tuple[str, tuple[str, str] | None]:
    """(what happened, in words; a new (identifier, secret) to print once, or None)."""
    if bool(wanted.identifier) != bool(wanted.secret):
        raise ValueError("set both GENINVOICES_BOOTSTRAP_IDENTIFIER and "
                         "GENINVOICES_BOOTSTRAP_SECRET, or neither")
    if wanted.identifier:
        return _named(conn, wanted.identifier, wanted.secret), None
    active = access.active_credentials(conn)
    if active:
        return f"{active} active credential(s) already; none created", None
    ident, secret = access.create_credential(conn, allow=None, description="first start")
    return f"created the first API credential {ident} (every action)", (ident, secret)


def _named(conn: Connection, identifier: str, secret: str) -> str:
    c = own.credentials
    row = conn.execute(select(c.c.id, c.c.secret_hash, c.c.revoked_at).where(
        c.c.identifier == identifier)).first()
    if row is None:
        cred_id = conn.execute(insert(c).values(
            identifier=identifier, secret_hash=access.HASHER.hash(secret),
            description=DESCRIPTION, created_at=utcnow())).inserted_primary_key[0]
        full = conn.execute(select(own.roles.c.id).where(
            own.roles.c.name == own.FULL_ROLE)).scalar_one()
        conn.execute(insert(own.credential_roles).values(credential_id=cred_id, role_id=full))
        return f"created the API credential {identifier} from the environment"
    if row.revoked_at is not None:  # an operator's revocation outlives the environment
        return (f"the credential {identifier} was revoked on {row.revoked_at:%Y-%m-%d}: "
                "left revoked; set a new GENINVOICES_BOOTSTRAP_IDENTIFIER to make another")
    if access.HASHER.verify(secret, row.secret_hash):
        return f"the API credential {identifier} is in place"
    conn.execute(update(c).where(c.c.id == row.id).values(
        secret_hash=access.HASHER.hash(secret)))
    return f"the API credential {identifier} now has the secret from the environment"
