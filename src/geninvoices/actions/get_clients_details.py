"""GetClientsDetails [doc]: one client, by id or email, with ``stats`` on request (rules §11)."""

from __future__ import annotations

import json

from sqlalchemy import Connection, select

from ..clock import today_in
from ..db import transaction
from ..errors import BusinessError, NotFound
from ..models.whmcs import tblclients, tblcurrencies
from . import fields as f
from .client_fields import EMAIL_KINDS, has_email
from .client_stats import client_stats
from .countries import country
from .params import ActionParams, PhpBool, Text, WholeNumber, parse
from .registry import Context, action

NEED_ONE = "Either clientid Or email Is Required"
NOT_FOUND = "Client Not Found"
TEXTS = ("uuid", "firstname", "lastname", "companyname", "email", "address1", "address2",
         "city", "state", "postcode", "phonenumber", "tax_id", "notes", "defaultgateway",
         "status", "language")
FLAGS = ("taxexempt", "latefeeoveride", "overideduenotices", "separateinvoices",
         "disableautocc", "emailoptout", "overrideautoclose")


class Params(ActionParams):
    clientid: WholeNumber | None = None
    email: Text = ""
    stats: PhpBool = False


def _find(conn: Connection, p: Params):
    c = tblclients.c
    if p.clientid is not None:
        where = c.id == p.clientid
    elif p.email.strip():
        where = has_email(conn.dialect.name, p.email)
    else:
        raise BusinessError(NEED_ONE)
    row = conn.execute(select(tblclients).where(where).order_by(c.id).limit(1)).first()
    if row is None:
        raise NotFound(NOT_FOUND)
    return row


def _currency(conn: Connection, client):
    """rules §5.3: the client's currency; 0 or one that names no row means the default."""
    cur = tblcurrencies.c
    row = conn.execute(select(tblcurrencies).where(cur.id == client.currency)).first()
    return row or conn.execute(select(tblcurrencies).order_by(cur.default.desc(), cur.id)
                               .limit(1)).first()


def _preferences(stored: str | None) -> dict:
    try:
        found = json.loads(stored) if stored else {}
    except ValueError:
        found = {}
    found = found if isinstance(found, dict) else {}
    off = (0, "0", False, "", None)
    return {kind: "0" if found.get(kind, 1) in off else "1" for kind in EMAIL_KINDS}


def _last_login(r) -> str:
    if r.lastlogin is None:
        return "No Login Logged"
    return (f"Date: {r.lastlogin:%d/%m/%Y %H:%M}<br>IP Address: {r.ip or ''}"
            f"<br>Host: {r.host or ''}")


def client_block(r, currency) -> dict:
    block = {"client_id": r.id, "userid": r.id, "id": r.id,
             **{name: getattr(r, name) or "" for name in TEXTS},
             **{name: bool(getattr(r, name)) for name in FLAGS}}
    block.update({
        "fullname": f"{r.firstname or ''} {r.lastname or ''}".strip(),
        "fullstate": r.state or "", "statecode": r.state or "",
        "countrycode": r.country or "", "country": r.country or "",
        "countryname": country(r.country).name, "phonecc": country(r.country).calling_code,
        "email_preferences": _preferences(r.email_preferences),
        "billingcid": f.integer(r.billingcid), "currency": f.integer(r.currency),
        "groupid": f.integer(r.groupid), "credit": f.money(r.credit),
        "securityqid": f.integer(r.securityqid),
        "marketing_emails_opt_in": bool(r.marketing_emails_opt_in),
        "isOptedInToMarketingEmails": bool(r.marketing_emails_opt_in),
        "allowSingleSignOn": f.integer(r.allow_sso),
        "email_verified": bool(r.email_verified), "datecreated": f.date(r.datecreated),
        "lastlogin": _last_login(r), "currency_code": currency.code if currency else "",
        "customfields": []})  # rules §11: this database has no custom fields
    return block


@action("GetClientsDetails")
def get_clients_details(ctx: Context, raw: dict) -> dict:
    p = parse(Params, raw)
    with transaction(ctx.engine, write=False) as conn:
        row = _find(conn, p)
        currency = _currency(conn, row)
        block = client_block(row, currency)
        # WHMCS also answers the client's fields at the top level (documented as deprecated)
        reply = {**block, "client": block}
        if p.stats:
            reply["stats"] = client_stats(conn, row, currency, today_in(ctx.settings))
    return reply
