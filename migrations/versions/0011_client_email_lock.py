"""The row AddClient and UpdateClient lock so that two calls cannot give one email to two
clients.

Rules §11: one client per email address. WHMCS's `tblclients.email` is a TEXT column without
a key, and an adopted WHMCS database must keep its definition (and may already hold two
clients with one address), so no unique index can say it. Instead the calls that write an
email take turns on one row of our own `geninvoices_meta`, `client_email_lock`, from their
duplicate check to their commit (`SELECT ... FOR UPDATE`; on SQLite writers take turns
anyway). This revision puts the row in every database, created or adopted: the table is ours.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

LOCK_KEY = "client_email_lock"
meta = sa.table("geninvoices_meta", sa.column("key"), sa.column("value"))


def upgrade() -> None:
    bind = op.get_bind()
    if bind.execute(sa.select(meta.c.key).where(meta.c.key == LOCK_KEY)).first() is None:
        bind.execute(sa.insert(meta).values(key=LOCK_KEY, value=""))


def downgrade() -> None:
    op.get_bind().execute(sa.delete(meta).where(meta.c.key == LOCK_KEY))
