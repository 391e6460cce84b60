"""Indexes for GetOrders' line items and for listing orders and clients by status.

GetOrders answers each order with its line items, found by `orderid` in `tblhosting`,
`tblhostingaddons` and `tbldomains`: without an index every page (one order by id included)
read the whole of `tblhosting`, some 16 ms on 120,000 services on SQLite. GetOrders and
GetClients filtered by `status` counted the whole table for `totalresults`; an index on
(status, id) gives the count and the page in id order (on MariaDB/MySQL `tblorders.status`
is TEXT, so its first 16 characters are indexed, as revision 0001 does for
`tblinvoices.status`).

As revisions 0007 and 0010: created on a database whose WHMCS tables geninvoices created
(revision 0005's `whmcs_tables` record); an adopted WHMCS database gets them only from
`geninvoices migrate --add-indexes`, by the same names (models/whmcs.py:listing_indexes,
which this revision freezes). Only where missing, by name.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

ORIGIN_KEY = "whmcs_tables"
# (name, table, columns, MySQL prefix lengths)
INDEXES = [
    ("gi_hosting_orderid", "tblhosting", ["orderid"], {}),
    ("gi_hostingaddons_orderid", "tblhostingaddons", ["orderid"], {}),
    ("gi_domains_orderid", "tbldomains", ["orderid"], {}),
    ("gi_orders_status_id", "tblorders", ["status", "id"], {"status": 16}),
    ("gi_clients_status_id", "tblclients", ["status", "id"], {}),
]


def _origin(bind) -> str | None:
    meta = sa.table("geninvoices_meta", sa.column("key"), sa.column("value"))
    return bind.execute(sa.select(meta.c.value).where(meta.c.key == ORIGIN_KEY)).scalar()


def _existing(bind, table: str) -> set[str]:
    return {i["name"] for i in sa.inspect(bind).get_indexes(table)}


def upgrade() -> None:
    bind = op.get_bind()
    if _origin(bind) != "created":
        return  # an adopted database: `geninvoices migrate --add-indexes`
    for name, table, columns, lengths in INDEXES:
        if name not in _existing(bind, table):
            op.create_index(name, table, columns, mysql_length=lengths or None)


def downgrade() -> None:
    bind = op.get_bind()
    if _origin(bind) != "created":
        return
    for name, table, _, _ in INDEXES:
        if name in _existing(bind, table):
            op.drop_index(name, table_name=table)
