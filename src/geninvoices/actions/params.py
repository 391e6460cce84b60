"""Parameter types for actions, parsed with pydantic from PHP-style values (rules §1).

A whole number is 1 to 10 ASCII digits after trimming spaces, at most 2147483647; an id array
comes as a list, a PHP-indexed dict, a repeated key or a comma-separated string; a boolean
follows PHP truthiness. A parameter that does not parse is ``BadParameter`` naming it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Annotated, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, ValidationError
from pydantic_core import PydanticCustomError

from ..errors import BadParameter

MAX_ID = 2147483647
_DIGITS = re.compile(r"[0-9]{1,10}")


def _scalar(value: object) -> object:
    # a plain key sent twice reads as PHP reads it: the last value
    return value[-1] if isinstance(value, list) and value else value


def whole_number(value: object) -> int:
    value = _scalar(value)
    text = value.strip(" ") if isinstance(value, str) else None
    if text is None or not _DIGITS.fullmatch(text) or int(text) > MAX_ID:
        raise PydanticCustomError("whole_number", "must be a whole number")
    return int(text)


def id_list(value: object) -> list[int]:
    if isinstance(value, dict):
        value = list(value.values())
    elif isinstance(value, str):
        value = [part for part in value.split(",") if part.strip(" ")]
    if not isinstance(value, list):
        raise PydanticCustomError("id_list", "must be a list of whole numbers")
    try:
        return [whole_number(v) for v in value if not (isinstance(v, str) and not v.strip())]
    except PydanticCustomError:
        raise PydanticCustomError("id_list", "must be a list of whole numbers") from None


def php_bool(value: object) -> bool:
    value = _scalar(value)
    if isinstance(value, (list, dict)):
        return bool(value)
    return value not in (None, "", "0")


def text(value: object) -> str:
    value = _scalar(value)
    if not isinstance(value, str):
        raise PydanticCustomError("text", "must be a single value")
    return value


WholeNumber = Annotated[int, BeforeValidator(whole_number)]
IdList = Annotated[list[int], BeforeValidator(id_list)]
PhpBool = Annotated[bool, BeforeValidator(php_bool)]
Text = Annotated[str, BeforeValidator(text)]


class ActionParams(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


P = TypeVar("P", bound=ActionParams)


def parse(model: type[P], params: dict) -> P:
    try:
        return model.model_validate(params)
    except ValidationError as error:
        first = error.errors()[0]
        name = str(first["loc"][0]) if first["loc"] else "request"
        raise BadParameter(name, first["msg"]) from None


_AMOUNT = re.compile(r"[0-9]{1,13}(\.[0-9]{1,2})?")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}( [0-9]{2}:[0-9]{2}:[0-9]{2})?")


def amount(value: object) -> Decimal:
    """Money as a client sends it: digits with at most two decimals (no sign, no exponent)."""
    value = _scalar(value)
    text = value.strip(" ") if isinstance(value, str) else None
    if text is None or not _AMOUNT.fullmatch(text):
        raise PydanticCustomError("amount", "must be an amount with at most 2 decimals")
    return Decimal(text)


def date_or_datetime(value: object) -> dt.datetime:
    value = _scalar(value)
    text = value.strip(" ") if isinstance(value, str) else None
    try:
        if text is None or not _DATE.fullmatch(text):
            raise ValueError
        return dt.datetime.fromisoformat(text if " " in text else text + " 00:00:00")
    except ValueError:
        raise PydanticCustomError("date", "must be YYYY-MM-DD or YYYY-MM-DD HH:MM:SS") from None


_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def day(value: object) -> dt.date:
    """A calendar date ``YYYY-MM-DD`` that exists (2026-02-30 does not)."""
    value = _scalar(value)
    text = value.strip(" ") if isinstance(value, str) else None
    try:
        if text is None or not _DAY.fullmatch(text):
            raise ValueError
        return dt.date.fromisoformat(text)
    except ValueError:
        raise PydanticCustomError("day", "must be a date YYYY-MM-DD") from None


def blank_is_none(value: object) -> object:
    """A form that sends every field sends the ones left alone empty: not given."""
    value = _scalar(value)
    return None if isinstance(value, str) and not value.strip() else value


Amount = Annotated[Decimal, BeforeValidator(amount)]
Day = Annotated[dt.date, BeforeValidator(day)]
DateTimeText = Annotated[dt.datetime, BeforeValidator(date_or_datetime)]


def order_by(columns: Iterable[str]):
    """A list's ``orderby``: one of ``columns`` in any case, given back in lower case; blank is
    ``id``."""
    names = tuple(columns)

    def check(value: str) -> str:
        value = value.strip().lower() or "id"
        if value not in names:
            raise PydanticCustomError("orderby", "must be one of " + "|".join(names))
        return value
    return Annotated[str, BeforeValidator(text), AfterValidator(check)]


def direction(asc: str, desc: str):
    """A list's direction (GetClients' ``sorting``, GetInvoices' ``order``): asc or desc in any
    case, given back in lower case; blank is asc. ``asc``/``desc`` are the words as the
    action's documentation spells them, for the error."""

    def check(value: str) -> Literal["asc", "desc"]:
        value = value.strip().lower() or "asc"
        if value not in ("asc", "desc"):
            raise PydanticCustomError("direction", f"must be {asc} or {desc}")
        return value
    return Annotated[str, BeforeValidator(text), AfterValidator(check)]
