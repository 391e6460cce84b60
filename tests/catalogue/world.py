"""Small helpers of the catalogue tests."""

from __future__ import annotations

from sqlalchemy import func, select

from geninvoices.catalogue import add_product_group


def add_group(conn, name: str, hidden: bool = False) -> int:
    return add_product_group(conn, name, hidden=hidden)


def count(engine, table) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar()
