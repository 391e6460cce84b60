"""What AddClient and UpdateClient share (rules §11): the client's fields as parameters, the
checks WHMCS documents for them, and the columns they become.

A field not sent is ``None`` and leaves its column alone (UpdateClient) or takes WHMCS's
default for a new client (AddClient); a field sent empty is an empty value.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
from decimal import Decimal
from typing import Annotated

from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError
from sqlalchemy import Connection, and_, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from ..access import HASHER
from ..errors import BadParameter, BusinessError
from ..models import own
from ..models.whmcs import tblclients, tblcredit, tblcurrencies
from .params import ActionParams, Amount, PhpBool, Text, WholeNumber, php_bool

# rules §11: the geninvoices_meta row that AddClient and UpdateClient lock around the email
EMAIL_LOCK = "client_email_lock"
# rules §11: the documented messages, in the order WHMCS lists them
REQUIRED = (("firstname", "You did not enter your first name"),
            ("lastname", "You did not enter your last name"),
            ("email", "You did not enter your email address"),
            ("address1", "You did not enter your  address line 1"),
            ("city", "You did not enter your city"),
            ("state", "You did not enter your state"),
            ("postcode", "You did not enter your postcode"),
            ("country", "Valid country required"),
            ("phonenumber", "You did not enter your phone number"))
NO_EMAIL = "You did not enter your email address"
BAD_EMAIL = "The email address you entered was not valid"
BAD_COUNTRY = "Valid country required"
BAD_PHONE = "Invalid telephone phone number"
BAD_CURRENCY = "Invalid Currency ID"
NO_DOMAIN_EMAILS = ("You must have at least one email address enabled to receive domain "
                    "related notifications as required by ICANN. To disable domain "
                    "notifications, please create an alternative contact that is set to "
                    "receive them")
STATUSES = ("Active", "Inactive", "Closed")
TEXT_BYTES = 65535  # MariaDB/MySQL TEXT, as WHMCS declares the columns
TAX_ID_LENGTH = 128  # tblclients.tax_id varchar(128)
EMAIL_KINDS = ("general", "invoice", "support", "product", "domain", "affiliate")
# the flags of tblclients a caller may set, by parameter name (UpdateClient documents them)
FLAGS = ("taxexempt", "latefeeoveride", "overideduenotices", "separateinvoices",
         "disableautocc", "overrideautoclose")
TEXTS = ("firstname", "lastname", "companyname", "address1", "address2", "city", "state",
         "postcode", "phonenumber", "tax_id", "securityqans", "language", "notes")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
_COUNTRY = re.compile(r"[A-Za-z]{2}")
_PHONE = re.compile(r"\+?[0-9 ().\-]*[0-9][0-9 ().\-]*")


def preference_list(value: object) -> list[tuple[str, bool]]:
    """``email_preferences[kind]=0|1`` (a PHP array) as (kind, on) pairs of the known kinds."""
    if not isinstance(value, dict):
        raise PydanticCustomError("email_preferences", "must be email_preferences[kind]=0|1")
    return [(kind, php_bool(on)) for kind, on in value.items() if kind in EMAIL_KINDS]


Preferences = Annotated[list, BeforeValidator(preference_list)]


class ClientFields(ActionParams):
    firstname: Text | None = None
    lastname: Text | None = None
    companyname: Text | None = None
    email: Text | None = None
    address1: Text | None = None
    address2: Text | None = None
    city: Text | None = None
    state: Text | None = None
    postcode: Text | None = None
    country: Text | None = None
    phonenumber: Text | None = None
    tax_id: Text | None = None
    password2: Text | None = None
    securityqid: WholeNumber | None = None
    securityqans: Text | None = None
    currency: WholeNumber | None = None
    groupid: WholeNumber | None = None
    language: Text | None = None
    clientip: Text | None = None
    notes: Text | None = None
    marketingoptin: PhpBool | None = None
    skipvalidation: PhpBool = False
    paymentmethod: Text | None = None
    defaultgateway: Text | None = None
    credit: Amount | None = None
    taxexempt: PhpBool | None = None
    latefeeoveride: PhpBool | None = None
    overideduenotices: PhpBool | None = None
    separateinvoices: PhpBool | None = None
    disableautocc: PhpBool | None = None
    overrideautoclose: PhpBool | None = None
    email_preferences: Preferences | None = None


def check_required(p: ClientFields) -> None:
    """AddClient's required fields, unless ``skipvalidation`` (never the email)."""
    for name, message in REQUIRED:
        if (name == "email" or not p.skipvalidation) and not (getattr(p, name) or "").strip():
            raise BusinessError(message)


def check_lengths(p: ClientFields) -> None:
    """What WHMCS's columns can hold (rules §11): TEXT 65,535 bytes, tax_id 128 characters."""
    for name in (*TEXTS, "email", "country", "clientip", "paymentmethod", "defaultgateway"):
        value = getattr(p, name)
        if value is None:
            continue
        if name == "tax_id" and len(value.strip()) > TAX_ID_LENGTH:
            raise BadParameter(name, f"must be at most {TAX_ID_LENGTH} characters")
        if len(value.strip().encode("utf-8")) > TEXT_BYTES:
            raise BadParameter(name, f"must be at most {TEXT_BYTES} bytes")


def check_formats(p: ClientFields) -> None:
    """What a sent value must look like, whatever ``skipvalidation`` says."""
    check_lengths(p)
    if p.email is not None:
        if not p.email.strip():
            raise BusinessError(NO_EMAIL)
        if not _EMAIL.fullmatch(p.email.strip()):
            raise BusinessError(BAD_EMAIL)
    if p.country and not _COUNTRY.fullmatch(p.country.strip()):
        raise BusinessError(BAD_COUNTRY)
    if p.phonenumber and p.phonenumber.strip() and not _PHONE.fullmatch(p.phonenumber.strip()):
        raise BusinessError(BAD_PHONE)


def lock_emails(conn: Connection) -> None:
    """rules §11: AddClient, and UpdateClient when it sets an email, take turns from the
    duplicate check to the commit, on one row of geninvoices_meta (revision 0011): WHMCS's
    ``email`` has no unique key, and an adopted database may already hold duplicates. Under
    READ COMMITTED the check that follows the lock sees what the call before committed. On
    SQLite writers already take turns (``BEGIN IMMEDIATE``, db.py)."""
    if conn.dialect.name == "sqlite":
        return
    key = own.meta.c.key
    query = select(key).where(key == EMAIL_LOCK).with_for_update()
    if conn.execute(query).first() is None:  # a database migrated without it: put it back
        with contextlib.suppress(IntegrityError), conn.begin_nested():
            conn.execute(insert(own.meta).values(key=EMAIL_LOCK, value=""))
        conn.execute(query).first()


def has_email(dialect: str, email: str):
    """rules §11: a client's email equal to ``email`` without case or surrounding spaces, in
    the form each backend's index on the column serves (revision 0010): PostgreSQL compares
    lower() with lower(); SQLite compares in the NOCASE collation (ASCII case, as its lower());
    MariaDB's collation already ignores case."""
    c, wanted = tblclients.c, email.strip()
    if dialect == "postgresql":
        return func.lower(c.email) == func.lower(wanted)
    if dialect == "sqlite":
        return c.email.collate("NOCASE") == wanted
    return c.email == wanted


def email_taken(conn: Connection, email: str, *, other_than: int | None = None) -> bool:
    """rules §11: one client per email address, compared without case or spaces around; call
    ``lock_emails`` first in a transaction that may then write the address."""
    c = tblclients.c
    where = [has_email(conn.dialect.name, email)]
    if other_than is not None:
        where.append(c.id != other_than)
    return conn.execute(select(c.id).where(and_(*where)).limit(1)).first() is not None


def currency_id(conn: Connection, wanted: int | None) -> int:
    """The currency sent, which must exist; otherwise the default currency (0 with none)."""
    cur = tblcurrencies.c
    if wanted is not None:
        if conn.execute(select(cur.id).where(cur.id == wanted)).first() is None:
            raise BusinessError(BAD_CURRENCY)
        return wanted
    found = conn.execute(select(cur.id).order_by(cur.default.desc(), cur.id).limit(1)).scalar()
    return int(found or 0)


def email_preferences(sent: list | None, stored: str | None) -> str | None:
    """The JSON WHMCS keeps in tblclients.email_preferences, every kind on unless turned off."""
    if sent is None:
        return None
    try:
        current = json.loads(stored) if stored else {}
    except ValueError:
        current = {}
    merged = {kind: int(current.get(kind, 1)) for kind in EMAIL_KINDS}
    for kind, on in sent:
        merged[kind] = int(on)
    if not merged["domain"]:
        raise BusinessError(NO_DOMAIN_EMAILS)
    return json.dumps(merged, separators=(",", ":"))


def changed_columns(p: ClientFields) -> dict:
    """The tblclients columns the sent fields set (credit and currency aside)."""
    row = {name: getattr(p, name).strip() for name in TEXTS if getattr(p, name) is not None}
    if p.email is not None:
        row["email"] = p.email.strip()
    if p.country is not None:
        row["country"] = p.country.strip().upper()
    row.update({name: int(getattr(p, name)) for name in FLAGS if getattr(p, name) is not None})
    gateway = p.paymentmethod if p.paymentmethod is not None else p.defaultgateway
    if gateway is not None:
        row["defaultgateway"] = gateway.strip()
    for name in ("securityqid", "groupid"):
        if getattr(p, name) is not None:
            row[name] = getattr(p, name)
    if p.clientip is not None:
        row["ip"] = p.clientip.strip()
    if p.marketingoptin is not None:
        row["marketing_emails_opt_in"] = int(p.marketingoptin)
    if p.password2:
        row["password"] = HASHER.hash(p.password2)  # rules §11: a slow hash, never the text
    return row


def set_credit(conn: Connection, client: int, balance: Decimal, today: dt.date,
               description: str) -> None:
    """Set a client's credit balance (its row already locked or just made), recording the
    change as a tblcredit row as every other credit movement is (rules §5.5, §11)."""
    c = tblclients.c
    old = Decimal(conn.execute(select(c.credit).where(c.id == client)).scalar() or 0)
    if balance == old:
        return
    conn.execute(update(tblclients).where(c.id == client).values(credit=balance))
    conn.execute(insert(tblcredit).values(clientid=client, date=today, relid=0,
                                          description=description, amount=balance - old))
