from sqlalchemy import inspect

from geninvoices.models import whmcs


def test_every_whmcs_table_and_column_exists(engine):
    inspector = inspect(engine)
    for table in whmcs.metadata.sorted_tables:
        columns = {c["name"] for c in inspector.get_columns(table.name)}
        assert columns == set(table.c.keys()), table.name
