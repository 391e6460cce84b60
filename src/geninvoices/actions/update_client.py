"""UpdateClient [doc]: change the fields sent, leave the rest (rules §11)."""

from __future__ import annotations

from pydantic import field_validator
from pydantic_core import PydanticCustomError
from sqlalchemy import Connection, select, update

from ..clock import today_in, utcnow
from ..db import transaction
from ..errors import BusinessError, NotFound
from ..models.whmcs import tblclients
from . import client_fields as cf
from .params import PhpBool, Text, WholeNumber, parse
from .registry import Context, action

NOT_FOUND = "Client ID Not Found"
DUPLICATE = "Duplicate Email Address"
CARD_COLUMNS = ("cardtype", "cardlastfour", "cardnum", "startdate", "expdate", "issuenumber")


class Params(cf.ClientFields):
    clientid: WholeNumber | None = None
    clientemail: Text | None = None
    status: Text | None = None
    clearcreditcard: PhpBool = False

    @field_validator("status")
    @classmethod
    def _status(cls, value: str | None) -> str | None:
        if value is None:
            return None
        found = {s.lower(): s for s in cf.STATUSES}.get(value.strip().lower())
        if found is None:
            raise PydanticCustomError("status", "must be Active, Inactive or Closed")
        return found


def _locked_client(conn: Connection, p: Params):
    c = tblclients.c
    if p.clientid is not None:
        where = c.id == p.clientid
    elif p.clientemail and p.clientemail.strip():
        where = cf.has_email(conn.dialect.name, p.clientemail)
    else:
        raise NotFound(NOT_FOUND)
    row = conn.execute(select(c.id, c.email_preferences).where(where).order_by(c.id)
                       .limit(1).with_for_update()).first()
    if row is None:
        raise NotFound(NOT_FOUND)
    return row


def _check_sent(p: Params) -> None:
    """A required field sent empty is refused unless ``skipvalidation`` (never the email)."""
    for name, message in cf.REQUIRED:
        value = getattr(p, name)
        if value is not None and not value.strip() and (name == "email" or not p.skipvalidation):
            raise BusinessError(message)
    cf.check_formats(p)


@action("UpdateClient")
def update_client(ctx: Context, raw: dict) -> dict:
    p = parse(Params, raw)
    _check_sent(p)
    today = today_in(ctx.settings)
    with transaction(ctx.engine) as conn:
        client = _locked_client(conn, p)
        row = cf.changed_columns(p)
        if p.email is not None:
            cf.lock_emails(conn)
            if cf.email_taken(conn, p.email, other_than=client.id):
                raise BusinessError(DUPLICATE)
        if p.currency is not None:
            row["currency"] = cf.currency_id(conn, p.currency)
        if p.email_preferences is not None:
            row["email_preferences"] = cf.email_preferences(p.email_preferences,
                                                            client.email_preferences)
        if p.status is not None:
            row["status"] = p.status
        if p.clearcreditcard:
            row.update(dict.fromkeys(CARD_COLUMNS, ""))
        conn.execute(update(tblclients).where(tblclients.c.id == client.id)
                     .values(**row, updated_at=utcnow()))
        if p.credit is not None:
            cf.set_credit(conn, client.id, p.credit, today, "Credit Balance Updated")
    return {"clientid": str(client.id)}
