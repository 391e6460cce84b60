"""A fresh database holds one currency, US Dollar, as WHMCS's own installer leaves it.

Prices (AddProduct's `pricing[currency][cycle]`, rules §12) and clients (`currency`, §11)
name a currency by id, and WHMCS's API has no action that adds one, so a database geninvoices
created, standalone, could not be priced without raw SQL. This revision adds USD ($ ... USD,
rate 1, the default) where geninvoices created WHMCS's tables (revision 0005's
`whmcs_tables` record is `created`) and `tblcurrencies` is empty. An adopted database keeps
its currencies. Downgrading removes the row only while it is the only currency and nothing
names it.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

ORIGIN_KEY = "whmcs_tables"
USD = {"code": "USD", "prefix": "$", "suffix": " USD", "format": 1, "rate": "1.00000",
       "default": 1}
currencies = sa.table("tblcurrencies", *(sa.column(c) for c in ("id", *USD)))


def _origin(bind) -> str | None:
    meta = sa.table("geninvoices_meta", sa.column("key"), sa.column("value"))
    return bind.execute(sa.select(meta.c.value).where(meta.c.key == ORIGIN_KEY)).scalar()


def upgrade() -> None:
    bind = op.get_bind()
    if _origin(bind) != "created":
        return
    if not bind.execute(sa.select(sa.func.count()).select_from(currencies)).scalar():
        bind.execute(sa.insert(currencies).values(**USD))


def downgrade() -> None:
    bind = op.get_bind()
    if _origin(bind) != "created":
        return
    rows = bind.execute(sa.select(currencies.c.id, currencies.c.code)).all()
    clients = sa.table("tblclients", sa.column("currency"))
    if len(rows) == 1 and rows[0].code == "USD" and not bind.execute(
            sa.select(sa.func.count()).select_from(clients)
            .where(clients.c.currency == rows[0].id)).scalar():
        bind.execute(sa.delete(currencies))
