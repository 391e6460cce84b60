"""A unique key per payment (gateway, transid), so AddInvoicePayment never records twice.

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "geninvoices_payment_keys",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("invoiceid", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("geninvoices_payment_keys")
