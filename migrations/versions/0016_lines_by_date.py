"""The invoice lines' billing index in due date order.

`gi_invoiceitems_type_relid_duedate` (type, relid, duedate) put each new line beside the
item's older lines, on a different index page per item. A run writes one line per item, so
on a database with years of invoices every chunk of a run rewrote most pages of that index:
with 24 months of history a SQLite run wrote three times the bytes it wrote without
history, most of them this index's pages (benchmarks/README.md, "The invoice lines by due
date"). The same columns with the due date first, `gi_invoiceitems_duedate_type_relid`,
answer the same exact lookups (a line of this type and relid for this due date), and a
run's lines, all for the periods it is billing now, land together at the index's newest
end.

Nothing reads an item's lines by item alone any more: the payment rule and rescheduling
step a period at a time through the whole key (rules §5.7, §14.3), and a limited
promotion counts the item's lines on its client's invoices (rules §5.10).

Where the old index is, the new one replaces it: on a database whose WHMCS tables
geninvoices created, and on an adopted one whose operator added geninvoices' indexes
(`geninvoices migrate --add-indexes`, which now adds the new one). Downgrade restores it.
The new index is built before the old one goes, with a plain CREATE INDEX, as earlier
index revisions: on PostgreSQL writes to `tblinvoiceitems` wait while it builds (MariaDB
builds it online), so on a large WHMCS database upgrade outside billing hours.

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

TABLE = "tblinvoiceitems"
OLD = ("gi_invoiceitems_type_relid_duedate", ["type", "relid", "duedate"])
NEW = ("gi_invoiceitems_duedate_type_relid", ["duedate", "type", "relid"])


def _existing(bind) -> set[str]:
    return {i["name"] for i in sa.inspect(bind).get_indexes(TABLE)}


def _replace(old: tuple[str, list[str]], new: tuple[str, list[str]]) -> None:
    existing = _existing(op.get_bind())
    if old[0] not in existing:
        return  # an adopted database without geninvoices' indexes: nothing of ours here
    if new[0] not in existing:
        op.create_index(new[0], TABLE, new[1])
    op.drop_index(old[0], table_name=TABLE)


def upgrade() -> None:
    _replace(OLD, NEW)


def downgrade() -> None:
    _replace(NEW, OLD)
