"""The ledger of billed periods (unique per item kind, item id and period start) and the
outbox of Invoice Created emails.

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "geninvoices_ledger",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("relid", sa.Integer, nullable=False),
        sa.Column("period_start", sa.Date, nullable=False),
        sa.Column("invoiceid", sa.Integer, nullable=False),
        sa.Column("run_token", sa.String(32), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("kind", "relid", "period_start", name="geninvoices_ledger_period"),
        sqlite_autoincrement=True,
    )
    op.create_index("geninvoices_ledger_run_token", "geninvoices_ledger", ["run_token"])
    op.create_table(
        "geninvoices_outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("invoiceid", sa.Integer, nullable=False, unique=True),
        sa.Column("recipient", sa.String(255), nullable=False),
        sa.Column("subject", sa.String(255), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("message_id", sa.String(255), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", sa.DateTime, nullable=False),
        sa.Column("claimed_until", sa.DateTime, nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("sent_at", sa.DateTime, nullable=True),
        sqlite_autoincrement=True,
    )
    op.create_index("geninvoices_outbox_status_next", "geninvoices_outbox",
                    ["status", "next_attempt_at"])


def downgrade() -> None:
    op.drop_table("geninvoices_outbox")
    op.drop_table("geninvoices_ledger")
