"""AddBillableItem [doc]: a one-off or recurring charge the invoice run bills (rules §5.9).

Every parameter of WHMCS's `api-reference/addbillableitem.md`, in both documented forms of
the quantity: `hours` (before WHMCS 8.2) or `unit` (`hours`|`quantity`) with `quantity`
(8.2 on). Both land in `tblbillableitems.hours`; `unit` is stored 0 for hours and 1 for
quantity (**Decision**: WHMCS documents the words, not the stored numbers; 0, the column's
default, keeps rows written before 8.2 reading as hours). An absent `unit` means hours, so
a client written for the older form keeps working. The documented error messages are used
as they are; nothing is written unless every parameter is good.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Annotated

from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError
from sqlalchemy import insert, select

from ..db import transaction
from ..errors import BadParameter, BusinessError, NotFound
from ..models.whmcs import tblbillableitems, tblclients
from .params import ActionParams, Amount, Text, WholeNumber, parse, text
from .registry import Context, action

INVOICE_ACTIONS = {"noinvoice": 0, "nextcron": 1, "nextinvoice": 2, "duedate": 3, "recur": 4}
NEEDS_DUE_DATE = ("duedate", "recur")
CYCLES = {c.lower(): c for c in ("Days", "Weeks", "Months", "Years")}
UNITS = {"hours": 0, "quantity": 1}
BAD_DATE = "Invalid Date Format - Expected: 'YYYY-mm-dd'"
_QUANTITY = re.compile(r"[0-9]{1,4}(\.[0-9])?")  # tblbillableitems.hours is decimal(5,1)
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def quantity(value: object) -> Decimal:
    number = text(value).strip(" ")
    if not _QUANTITY.fullmatch(number):
        raise PydanticCustomError("quantity",
                                  "must be a number from 0 to 9999.9 with at most 1 decimal")
    return Decimal(number)


def _blank_is_absent(value: object) -> object:
    # a form that sends every documented field sends `recur=` for a one-off item
    return None if isinstance(value, str) and not value.strip() else value


Quantity = Annotated[Decimal | None, BeforeValidator(
    lambda v: None if _blank_is_absent(v) is None else quantity(v))]
Count = Annotated[WholeNumber | None, BeforeValidator(_blank_is_absent)]


class Params(ActionParams):
    clientid: WholeNumber | None = None
    description: Text = ""
    amount: Amount | None = None
    invoiceaction: Text = ""
    recur: Count = None
    recurcycle: Text = ""
    recurfor: Count = None
    duedate: Text = ""
    hours: Quantity = None
    unit: Text = ""
    quantity: Quantity = None


def _invoice_action(p: Params) -> str:
    word = p.invoiceaction.strip().lower() or "noinvoice"
    if word not in INVOICE_ACTIONS:
        raise BusinessError("Invalid Invoice Action")
    return word


def _recurcycle(p: Params) -> str:
    cycle = p.recurcycle.strip()
    if cycle and cycle.lower() not in CYCLES:
        raise BadParameter("recurcycle", "must be Days, Weeks, Months or Years")
    return CYCLES.get(cycle.lower(), "")


def _due_date(p: Params, word: str) -> dt.date | None:
    given = p.duedate.strip()
    if not given:
        if word in NEEDS_DUE_DATE:
            raise BusinessError("Due date is required")
        return None
    try:
        if not _DATE.fullmatch(given):
            raise ValueError
        return dt.date.fromisoformat(given)
    except ValueError:
        raise BusinessError(BAD_DATE) from None


def _unit(p: Params) -> int:
    word = p.unit.strip().lower() or "hours"
    if word not in UNITS:
        raise BusinessError("Invalid Unit, please specify either 'hours' or 'quantity'")
    return UNITS[word]


def item_row(p: Params) -> dict:
    """The row to insert, or the first documented error the parameters make."""
    if not p.description.strip():
        raise BusinessError("You must provide a description")
    if p.amount is None:
        raise BadParameter("amount", "is required")
    word = _invoice_action(p)
    cycle = _recurcycle(p)
    if word == "recur" and (not p.recur or not cycle or p.recurfor is None):
        raise BusinessError("Recurring must have a unit, cycle and limit")
    due = _due_date(p, word)
    unit = _unit(p)
    count = p.quantity if p.quantity is not None else p.hours
    return {"description": p.description.strip(), "amount": p.amount,
            "invoiceaction": INVOICE_ACTIONS[word], "recur": p.recur or 0, "recurcycle": cycle,
            "recurfor": p.recurfor or 0, "duedate": due, "unit": unit,
            "hours": Decimal("0.0") if count is None else count, "invoicecount": 0}


@action("AddBillableItem")
def add_billable_item(ctx: Context, raw: dict) -> dict:
    p = parse(Params, raw)
    with transaction(ctx.engine) as conn:
        if p.clientid is None or conn.execute(select(tblclients.c.id).where(
                tblclients.c.id == p.clientid)).first() is None:
            raise NotFound("Client ID Not Found")
        row = item_row(p)  # WHMCS names a missing client before anything else
        billableid = conn.execute(insert(tblbillableitems).values(
            userid=p.clientid, **row)).inserted_primary_key[0]
    return {"billableid": int(billableid)}
