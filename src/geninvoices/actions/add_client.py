"""AddClient [doc]: a new client, written as WHMCS writes one (rules §11).

Every NOT NULL column of tblclients gets a value (a uuid, today's ``datecreated``, the
timestamps, status Active, every email preference on), so a WHMCS install that adopted this
database reads the row as one of its own.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid

from sqlalchemy import insert

from ..clock import today_in, utcnow
from ..db import transaction
from ..errors import BusinessError
from ..models.whmcs import tblclients
from . import client_fields as cf
from .params import PhpBool, WholeNumber, parse
from .registry import Context, action

DUPLICATE = "A user already exists with that email address"
NO_OWNER = "Invalid Owner User ID"


class Params(cf.ClientFields):
    owner_user_id: WholeNumber | None = None
    noemail: PhpBool = False


def new_client_row(p: Params, today: dt.date) -> dict:
    now = utcnow()
    return {
        "uuid": str(uuid.uuid4()), "status": "Active", "datecreated": today,
        "created_at": now, "updated_at": now, "credit": 0, "allow_sso": 1,
        "email_preferences": json.dumps(dict.fromkeys(cf.EMAIL_KINDS, 1),
                                        separators=(",", ":")),
        **cf.changed_columns(p),
    }


@action("AddClient")
def add_client(ctx: Context, raw: dict) -> dict:
    p = parse(Params, raw)
    if p.owner_user_id is not None:
        raise BusinessError(NO_OWNER)  # rules §11: this database holds no WHMCS users
    cf.check_required(p)
    cf.check_formats(p)
    today = today_in(ctx.settings)
    row = new_client_row(p, today)
    if p.email_preferences is not None:
        row["email_preferences"] = cf.email_preferences(p.email_preferences, None)
    with transaction(ctx.engine) as conn:
        cf.lock_emails(conn)
        if cf.email_taken(conn, p.email):
            raise BusinessError(DUPLICATE)
        row["currency"] = cf.currency_id(conn, p.currency)
        client = int(conn.execute(insert(tblclients).values(**row)).inserted_primary_key[0])
        if p.credit:
            cf.set_credit(conn, client, p.credit, today, "Opening Credit Balance")
    return {"clientid": str(client)}
