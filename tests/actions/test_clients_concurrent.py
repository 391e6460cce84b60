"""One client per email address holds under concurrent calls (rules §11): AddClient and
UpdateClient calls with the same new address, at once, through api.php on every backend."""

from __future__ import annotations

import threading

from sqlalchemy import delete, func, insert, select

from geninvoices.actions.client_fields import EMAIL_LOCK
from geninvoices.db import transaction
from geninvoices.models import own
from geninvoices.models.whmcs import tblclients
from tests import builders as b
from tests.actions.http import Api

CALLS = 6
ROUNDS = 4
FIELDS = {"firstname": "Jane", "lastname": "Doe", "address1": "1 Main Street",
          "city": "Anytown", "state": "State", "postcode": "12345", "country": "US",
          "phonenumber": "800-555-1234"}


def at_once(calls) -> list[dict]:
    """Each call in a thread of its own, all released together; their replies in order."""
    start, replies = threading.Barrier(len(calls)), [None] * len(calls)

    def run(i: int) -> None:
        start.wait()
        replies[i] = calls[i]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return replies


def holders(engine, email: str) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(tblclients).where(
            func.lower(tblclients.c.email) == email)).scalar()


def test_concurrent_add_clients_with_one_email_create_one_client(engine):
    with transaction(engine) as conn:
        b.make_currency(conn)
    api = Api(engine)
    for n in range(ROUNDS):
        email = f"race{n}@example.com"
        spellings = [email.upper() if i % 2 else email for i in range(CALLS)]  # any case
        replies = at_once([lambda e=e: api.json("AddClient", email=e, **FIELDS)
                           for e in spellings])
        assert sorted(r["result"] for r in replies) == ["error"] * (CALLS - 1) + ["success"]
        assert {r["message"] for r in replies if r["result"] == "error"} == {
            "A user already exists with that email address"}
        assert holders(engine, email) == 1


def test_an_update_and_an_add_racing_for_one_email_leave_one_holder(engine):
    with transaction(engine) as conn:
        currency = b.make_currency(conn)
        others = [b.make_client(conn, currency=currency, email=f"old{i}@example.com")
                  for i in range(CALLS // 2)]
    api = Api(engine)
    for n in range(ROUNDS):
        email = f"taken{n}@example.com"
        replies = at_once(
            [lambda e=email: api.json("AddClient", email=e, **FIELDS)] * (CALLS - len(others))
            + [lambda c=c, e=email: api.json("UpdateClient", clientid=str(c), email=e)
               for c in others])
        assert [r["result"] for r in replies].count("success") == 1, replies
        assert holders(engine, email) == 1


def test_a_missing_lock_row_is_put_back(engine, backend):
    lock = own.meta.c.key == EMAIL_LOCK
    with transaction(engine) as conn:
        b.make_currency(conn)
        conn.execute(delete(own.meta).where(lock))
    try:
        reply = Api(engine).json("AddClient", email="solo@example.com", **FIELDS)
        assert reply["result"] == "success"
        with engine.connect() as conn:  # SQLite takes no lock: its writers take turns
            present = conn.execute(select(own.meta.c.key).where(lock)).first() is not None
        assert present is (backend != "sqlite")
    finally:
        with transaction(engine) as conn:
            if conn.execute(select(own.meta.c.key).where(lock)).first() is None:
                conn.execute(insert(own.meta).values(key=EMAIL_LOCK, value=""))
