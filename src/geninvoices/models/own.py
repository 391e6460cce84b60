"""geninvoices' own tables (``geninvoices_*``): what WHMCS has no place for."""

from __future__ import annotations

from sqlalchemy import (
                        Boolean,
                        Column,
                        Computed,
                        Date,
                        DateTime,
                        ForeignKey,
                        Index,
                        Integer,
                        MetaData,
                        String,
                        Table,
                        Text,
                        UniqueConstraint,
)

metadata = MetaData()

credentials = Table(
    "geninvoices_credentials", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("identifier", String(64), nullable=False, unique=True),
    Column("secret_hash", String(255), nullable=False),
    Column("description", String(255), nullable=False, default=""),
    Column("created_at", DateTime, nullable=False),
    Column("revoked_at", DateTime, nullable=True),
    sqlite_autoincrement=True,
)

roles = Table(
    "geninvoices_roles", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("description", String(255), nullable=False, default=""),
    sqlite_autoincrement=True,
)

# action names are stored lower-cased; "*" allows every action (the built-in role `full`)
role_actions = Table(
    "geninvoices_role_actions", metadata,
    Column("role_id", Integer, ForeignKey("geninvoices_roles.id", ondelete="CASCADE"),
           primary_key=True),
    Column("action", String(64), primary_key=True),
)

credential_roles = Table(
    "geninvoices_credential_roles", metadata,
    Column("credential_id", Integer,
           ForeignKey("geninvoices_credentials.id", ondelete="CASCADE"), primary_key=True),
    Column("role_id", Integer, ForeignKey("geninvoices_roles.id", ondelete="CASCADE"),
           primary_key=True),
)

allowed_ips = Table(
    "geninvoices_allowed_ips", metadata,
    Column("address", String(64), primary_key=True),
    Column("created_at", DateTime, nullable=False),
)

auth_failures = Table(
    "geninvoices_auth_failures", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("address", String(64), nullable=False),
    Column("identifier", String(255), nullable=False, default=""),
    Column("at", DateTime, nullable=False),
    Index("geninvoices_auth_failures_address_at", "address", "at"),
    Index("geninvoices_auth_failures_address_identifier_at", "address", "identifier", "at"),
)

# API access and the legacy-login hash of a tbladmins row: a slow hash of the MD5 hex an
# admin's client sends, never the MD5 itself, and never in WHMCS's own password columns.
admin_api = Table(
    "geninvoices_admin_api", metadata,
    Column("admin_id", Integer, primary_key=True, autoincrement=False),
    Column("api_access", Boolean, nullable=False, default=True),
    Column("legacy_hash", String(255), nullable=True),
    Column("updated_at", DateTime, nullable=False),
)

meta = Table(
    "geninvoices_meta", metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

FULL_ROLE = "full"
ALL_ACTIONS = "*"

# The ledger of billed periods: the database fact that a period of an item was billed. Its
# unique key is what makes "never billed twice" hold across runs, processes and databases.
# invoiceid 0 records a period found already billed by a WHMCS invoice line. The key is in
# period order, so a run's claims, all for the periods billed now, go in together at the
# index's newest end, whatever history it holds (revision 0015, rules §9); ``billable_id``
# (a billable item's id on its rows, NULL on the rest) finds a billable item's periods.
ledger = Table(
    "geninvoices_ledger", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),
    Column("relid", Integer, nullable=False),
    Column("period_start", Date, nullable=False),
    Column("invoiceid", Integer, nullable=False, default=0),
    Column("run_token", String(32), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("billable_id", Integer, Computed("CASE WHEN kind = 'Item' THEN relid END")),
    UniqueConstraint("period_start", "kind", "relid", name="geninvoices_ledger_period"),
    Index("geninvoices_ledger_run_token", "run_token"),
    Index("geninvoices_ledger_billable", "billable_id", "period_start"),
    sqlite_autoincrement=True,
)

# Invoice Created emails: written in the invoice's transaction, sent after commit (rules §5.6).
outbox = Table(
    "geninvoices_outbox", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("invoiceid", Integer, nullable=False, unique=True),
    Column("recipient", String(255), nullable=False),
    Column("subject", String(255), nullable=False),
    Column("body", Text, nullable=False),
    Column("message_id", String(255), nullable=False),
    Column("status", String(16), nullable=False, default="queued"),  # queued | sent
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", DateTime, nullable=False),
    Column("claimed_until", DateTime, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("created_at", DateTime, nullable=False),
    Column("sent_at", DateTime, nullable=True),
    Index("geninvoices_outbox_status_next", "status", "next_attempt_at"),
    sqlite_autoincrement=True,
)

# A payment's (gateway, transid), hashed: unique across every invoice, so a repeated
# gateway notification never records twice (tblaccounts.transid is text, unindexable as is).
payment_keys = Table(
    "geninvoices_payment_keys", metadata,
    Column("key", String(64), primary_key=True),
    Column("invoiceid", Integer, nullable=False),
    Column("created_at", DateTime, nullable=False),
)
