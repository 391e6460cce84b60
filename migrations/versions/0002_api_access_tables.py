"""geninvoices' tables for API access: credentials, roles, IP allow-list, lockout, admins.

Seeds the built-in role `full` (every action), an allow-list of 127.0.0.1 and ::1 (rules §2)
and this install's id, used in Message-IDs.

Revision ID: 0002
Revises: 0001
"""
import datetime as dt
import uuid

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "geninvoices_credentials",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("identifier", sa.String(64), nullable=False, unique=True),
        sa.Column("secret_hash", sa.String(255), nullable=False),
        sa.Column("description", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("revoked_at", sa.DateTime, nullable=True),
        sqlite_autoincrement=True,
    )
    roles = op.create_table(
        "geninvoices_roles",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("description", sa.String(255), nullable=False),
        sqlite_autoincrement=True,
    )
    role_actions = op.create_table(
        "geninvoices_role_actions",
        sa.Column("role_id", sa.Integer,
                  sa.ForeignKey("geninvoices_roles.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("action", sa.String(64), primary_key=True),
    )
    op.create_table(
        "geninvoices_credential_roles",
        sa.Column("credential_id", sa.Integer,
                  sa.ForeignKey("geninvoices_credentials.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("role_id", sa.Integer,
                  sa.ForeignKey("geninvoices_roles.id", ondelete="CASCADE"), primary_key=True),
    )
    allowed = op.create_table(
        "geninvoices_allowed_ips",
        sa.Column("address", sa.String(64), primary_key=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "geninvoices_auth_failures",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("identifier", sa.String(255), nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
    )
    op.create_index("geninvoices_auth_failures_address_at", "geninvoices_auth_failures",
                    ["address", "at"])
    op.create_index("geninvoices_auth_failures_address_identifier_at",
                    "geninvoices_auth_failures", ["address", "identifier", "at"])
    op.create_table(
        "geninvoices_admin_api",
        sa.Column("admin_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("api_access", sa.Boolean, nullable=False),
        sa.Column("legacy_hash", sa.String(255), nullable=True),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    meta = op.create_table(
        "geninvoices_meta",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    op.bulk_insert(roles, [{"id": 1, "name": "full", "description": "every action"}])
    op.bulk_insert(role_actions, [{"role_id": 1, "action": "*"}])
    op.bulk_insert(allowed, [{"address": "127.0.0.1", "created_at": now},
                             {"address": "::1", "created_at": now}])
    op.bulk_insert(meta, [{"key": "install_id", "value": uuid.uuid4().hex[:16]}])
    if op.get_bind().dialect.name == "postgresql":
        op.execute("SELECT setval('geninvoices_roles_id_seq', 1)")


def downgrade() -> None:
    for name in ("geninvoices_meta", "geninvoices_admin_api", "geninvoices_auth_failures",
                 "geninvoices_allowed_ips", "geninvoices_credential_roles",
                 "geninvoices_role_actions", "geninvoices_roles", "geninvoices_credentials"):
        op.drop_table(name)
