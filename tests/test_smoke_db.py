from sqlalchemy import inspect

from geninvoices.models import whmcs


def _ours(table_name: str, backend: str) -> set[str]:
    """Columns geninvoices adds to a WHMCS table of its own making: MariaDB's invisible
    order keys of tblclients (revision 0013, rules §11)."""
    if table_name == "tblclients" and backend == "mysql":
        return {whmcs.client_order_key(c) for c in whmcs.CLIENT_ORDER_KEY_COLUMNS}
    return set()


def test_every_whmcs_table_and_column_exists(engine):
    inspector = inspect(engine)
    for table in whmcs.metadata.sorted_tables:
        columns = {c["name"] for c in inspector.get_columns(table.name)}
        assert columns == set(table.c.keys()) | _ours(table.name, engine.dialect.name), \
            table.name
