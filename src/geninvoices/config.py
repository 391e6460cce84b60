"""Settings, read from ``GENINVOICES_*`` environment variables.

There is no module-level instance: the app factory, the command line and the tests each build
their own ``Settings`` and pass it down, so nothing reads the environment at import time.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from typing import Annotated, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///./geninvoices.db"


def normalise_database_url(url: str) -> str:
    """Pick the drivers we ship for the schemes people write by hand."""
    url = url.strip()
    for prefix, replacement in (
        ("postgres://", "postgresql+psycopg://"),
        ("postgresql://", "postgresql+psycopg://"),
        ("mysql://", "mysql+pymysql://"),
        ("mariadb://", "mysql+pymysql://"),
        ("mariadb+pymysql://", "mysql+pymysql://"),
    ):
        if url.startswith(prefix):
            return replacement + url[len(prefix):]
    return url


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GENINVOICES_", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    testing: bool = False
    # tests only, inert unless testing: the day the API bills as of (months in one test)
    test_today: dt.date | None = None

    # front door (rules §1 and §2)
    access_key: str = ""
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)
    default_responsetype: Literal["xml", "json", "nvp"] = "xml"
    lockout_attempts: int = Field(10, ge=1)
    lockout_window_seconds: int = Field(900, ge=1)
    credential_cache_seconds: float = Field(60.0, ge=0, le=60)
    max_body_bytes: int = Field(1024 * 1024, ge=1)
    max_params: int = Field(1000, ge=1)
    max_array_elements: int = Field(10_000, ge=1)
    max_key_depth: int = Field(5, ge=1)
    read_timeout_seconds: float = Field(30.0, gt=0)

    # billing (rules §5)
    timezone: str = ""
    default_gateway: str = ""
    lock_timeout_seconds: float = Field(30.0, gt=0)
    chunk_size: int | None = Field(None, ge=1)  # None: SQLite 5,000, PostgreSQL 500, MariaDB 200

    # mail (rules §5.6)
    mail_from: str = "billing@localhost"
    smtp_url: str = ""
    mail_claim_seconds: float = Field(300.0, gt=0)  # how long a sender owns a queued email
    # the server's sender looks for due mail this often, and retries an unreachable SMTP
    # server at least this often: 45 keeps "sent within two minutes of SMTP returning"
    mail_retry_seconds: float = Field(45.0, gt=0, le=3600)

    # invoice documents (rules §15)
    templates_dir: str = ""  # a folder whose templates override the shipped ones
    invoice_link_secret: str = ""  # HMAC key of signed invoice links; empty: no links
    invoice_link_seconds: int = Field(30 * 86400, ge=60, le=366 * 86400)

    @field_validator("database_url")
    @classmethod
    def _url(cls, value: str) -> str:
        value = normalise_database_url(value)
        if "://" not in value:
            raise ValueError("must be a URL such as sqlite:///./geninvoices.db")
        return value

    @field_validator("smtp_url")
    @classmethod
    def _smtp(cls, value: str) -> str:
        """Checked at start-up, so a typo is not mistaken for an outage at the first run."""
        value = value.strip()
        if not value:
            return value
        url = urlsplit(value)
        if url.scheme not in ("smtp", "smtps"):
            raise ValueError("must be smtp://user:pass@host:587 or smtps://user:pass@host:465")
        if not url.hostname:
            raise ValueError("names no host; e.g. smtp://user:pass@mail.example.com:587")
        try:
            url.port  # noqa: B018 - raises on a port that is not a number from 0 to 65535
        except ValueError:
            raise ValueError("has a port that is not a number from 1 to 65535") from None
        if url.port == 0:
            raise ValueError("has a port that is not a number from 1 to 65535")
        return value

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _proxies(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        for item in value or []:
            ipaddress.ip_address(item)
        return value

    @field_validator("default_responsetype", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        if value.strip():
            try:
                ZoneInfo(value.strip())
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError("is not a time zone name such as Europe/Amsterdam") from None
        return value.strip()

    @field_validator("invoice_link_secret")
    @classmethod
    def _link_secret(cls, value: str) -> str:
        if value and len(value) < 16:
            raise ValueError("must be at least 16 characters (e.g. `openssl rand -hex 32`)")
        return value

    @field_validator("access_key")
    @classmethod
    def _no_placeholder(cls, value: str) -> str:
        if value.strip().lower() in {"changeme", "change-me", "secret", "accesskey"}:
            raise ValueError("is a placeholder; choose a real random value or leave it empty")
        return value
