"""Column types that survive what a real WHMCS database stores.

WHMCS leaves unset dates as ``0000-00-00`` (``0000-00-00 00:00:00``) on MySQL/MariaDB; drivers
hand those back as strings. Here an unset date is ``None`` in Python on every database, and
``None`` is written back as the zero date on MySQL/MariaDB (whose NOT NULL date columns would
refuse NULL) and as NULL elsewhere.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, DateTime
from sqlalchemy.dialects import mysql
from sqlalchemy.types import TypeDecorator

ZERO_DATE = "0000-00-00"
ZERO_DATETIME = "0000-00-00 00:00:00"


def _is_mysql(dialect) -> bool:
    return dialect.name in ("mysql", "mariadb")


class WhmcsDate(TypeDecorator):
    impl = Date
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return ZERO_DATE if _is_mysql(dialect) else None
        if isinstance(value, dt.datetime):
            return value.date()
        return value

    def process_result_value(self, value, dialect):
        if value is None or isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        if isinstance(value, dt.datetime):
            return value.date()
        try:
            return dt.date.fromisoformat(str(value)[:10])
        except ValueError:
            return None  # zero or unreadable: unset


class WhmcsDateTime(TypeDecorator):
    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return ZERO_DATETIME if _is_mysql(dialect) else None
        if isinstance(value, dt.datetime) and value.tzinfo is not None:
            return value.astimezone(dt.UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is None or isinstance(value, dt.datetime):
            return value
        try:
            return dt.datetime.fromisoformat(str(value))
        except ValueError:
            return None


class WhmcsTimestamp(WhmcsDateTime):
    """WHMCS's ``timestamp`` columns (``created_at``, ``updated_at``): TIMESTAMP on MySQL/MariaDB,
    as WHMCS's DDL makes them, a plain date-time elsewhere; read and written as WhmcsDateTime."""

    cache_ok = True

    def load_dialect_impl(self, dialect):
        return mysql.TIMESTAMP() if _is_mysql(dialect) else super().load_dialect_impl(dialect)
