"""What the service-managing actions share (rules §14): parameter types for statuses and
cycles, looking rows up (locked for a write), paging a list, and an update's shape and parts.

WHMCS's status words per table are listed here, once: the engine only needs to know which
of them it bills (``billing/kinds.py``), the actions need all of them to refuse a typo.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError
from sqlalchemy import Connection, Engine, Table, func, select, update

from ..billing import cycles
from ..billing.kinds import Kind
from ..billing.reschedule import new_due_date
from ..clock import utcnow
from ..db import transaction
from ..errors import BusinessError, NotFound
from ..models.whmcs import tblclients, tblpaymentgateways, tblpromotions
from .params import ActionParams, Amount, Day, PhpBool, Text, WholeNumber, blank_is_none

MAX_LIMIT = 1000  # rows in one answer, as GetInvoices (rules §7)
SERVICE_STATUSES = ("Pending", "Active", "Suspended", "Terminated", "Cancelled", "Fraud",
                    "Completed")
DOMAIN_STATUSES = ("Pending", "Pending Registration", "Pending Transfer", "Active", "Grace",
                   "Redemption", "Expired", "Transferred Away", "Cancelled", "Fraud")
DOMAIN_TYPES = ("Register", "Transfer")


def one_of(words: tuple[str, ...]) -> Callable[[object], str]:
    """A word from ``words`` in any case, given back as WHMCS stores it."""
    by_lower = {w.lower(): w for w in words}

    def check(value: object) -> str:
        found = isinstance(value, str) and by_lower.get(value.strip().lower())
        if not found:
            raise PydanticCustomError("word", "must be one of " + ", ".join(words))
        return found
    return check


def cycle(value: object) -> str:
    found = cycles.cycle_name(value) if isinstance(value, str) else None
    if found is None:
        raise PydanticCustomError("cycle", "must be one of " + ", ".join(cycles.CYCLE_NAMES))
    return found


def on_off(value: object) -> int:
    """WHMCS's 'on'/'off' flags (also 1/0, true/false), stored as 1 or 0."""
    word = value.strip().lower() if isinstance(value, str) else None
    if word in ("on", "1", "true", "yes"):
        return 1
    if word in ("off", "0", "false", "no"):
        return 0
    raise PydanticCustomError("on_off", "must be on or off")


def words(value: object) -> list[str]:
    """A list of words as PHP sends an array (``unset[]=a``, ``unset[0]=a``), or a comma
    separated string."""
    if isinstance(value, dict):
        value = list(value.values())
    elif isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise PydanticCustomError("words", "must be a list of names")
    return [v.strip() for v in value if v.strip()]


def _given(check: Callable) -> BeforeValidator:
    return BeforeValidator(lambda v: None if (v := blank_is_none(v)) is None else check(v))


# Optional parameters: absent or blank is "leave it as it is" (rules §14.1)
OptText = Text | None
OptId = Annotated[WholeNumber | None, BeforeValidator(blank_is_none)]
OptAmount = Annotated[Amount | None, BeforeValidator(blank_is_none)]
OptDay = Annotated[Day | None, BeforeValidator(blank_is_none)]
OptBool = PhpBool | None
OptCycle = Annotated[str | None, _given(cycle)]
OptOnOff = Annotated[int | None, _given(on_off)]
Words = Annotated[list[str] | None, BeforeValidator(words)]
ServiceStatus = Annotated[str | None, _given(one_of(SERVICE_STATUSES))]
DomainStatus = Annotated[str | None, _given(one_of(DOMAIN_STATUSES))]
DomainType = Annotated[str | None, _given(one_of(DOMAIN_TYPES))]


class PageParams(ActionParams):
    limitstart: WholeNumber = 0
    limitnum: WholeNumber = 25


def locked(conn: Connection, table: Table, row_id: int | None, missing: str):
    """The row to update, or ``missing`` as the error. Its client's row is locked first, as
    a GenInvoices run locks the clients it bills (rules §9): an update waits for a run
    billing that client to commit, and then sees what it billed (rules §14.3). Then the
    row itself. SQLite's writer lock already holds the whole database."""
    row = conn.execute(select(table).where(table.c.id == row_id)).first() \
        if row_id is not None else None
    if row is None:
        raise NotFound(missing)
    if conn.dialect.name == "sqlite":
        return row
    conn.execute(select(tblclients.c.id).where(tblclients.c.id == row.userid)
                 .with_for_update())
    return conn.execute(select(table).where(table.c.id == row_id).with_for_update()).one()


def require_client(conn: Connection, clientid: int | None) -> None:
    if clientid is not None and conn.execute(select(tblclients.c.id).where(
            tblclients.c.id == clientid)).first() is None:
        raise NotFound("Client ID Not Found")


def require_promotion(conn: Connection, promoid: int | None) -> None:
    """0 takes a promotion off; any other id must name a row of tblpromotions."""
    if promoid and conn.execute(select(tblpromotions.c.id).where(
            tblpromotions.c.id == promoid)).first() is None:
        raise NotFound("Promotion ID Not Found")


def page(conn: Connection, table: Table, where, p: PageParams) -> tuple[int, list[int]]:
    """How many rows match, and the ids of the asked page in id order (an index scan)."""
    total = conn.execute(select(func.count()).select_from(table).where(where)).scalar()
    if not p.limitnum:
        return int(total), []
    ids = conn.execute(select(table.c.id).where(where).order_by(table.c.id)
                       .limit(min(p.limitnum, MAX_LIMIT)).offset(p.limitstart)).scalars()
    return int(total), list(ids)


def gateway_name(method_column):
    """The display name of the item's payment method (its ``name`` row in
    tblpaymentgateways, rules §12), or the system name when the gateway has none."""
    g = tblpaymentgateways
    name = (select(g.c.value).where(g.c.gateway == method_column, g.c.setting == "name")
            .order_by(g.c.id).limit(1).scalar_subquery())
    return func.coalesce(name, method_column).label("paymentmethodname")


def given(p: ActionParams, columns: dict[str, str]) -> dict:
    """The columns of the parameters that were given: {parameter: column}."""
    return {column: getattr(p, name) for name, column in columns.items()
            if getattr(p, name) is not None}


def refuse_unsupported(p: ActionParams, names: tuple[str, ...]) -> None:
    """Documented parameters geninvoices cannot honour: refused, never silently dropped."""
    for name in names:
        if getattr(p, name, None):
            raise BusinessError(f"{name} is not supported by geninvoices (rules §14.1)")


def unset_columns(names: list[str], allowed: dict[str, str]) -> dict:
    """WHMCS's ``unset[]``: each named field emptied; a name it does not allow is an error."""
    values = {}
    for name in names:
        if name not in allowed:
            raise BusinessError(f"Invalid unset field: {name}")
        values[allowed[name]] = ""
    return values


def update_item(engine: Engine, p: ActionParams, *, table: Table, kind: Kind,
                row_id: int | None, missing: str, unsupported: tuple[str, ...],
                values: Callable[[Connection], dict], nothing: str | None = None):
    """What UpdateClientProduct, UpdateClientDomain and UpdateClientAddon do (rules §14.3):
    the row locked (``missing`` when there is none), unsupported parameters refused, the
    action's ``values`` (which checks the rows they name), a new ``nextduedate`` moving
    ``nextinvoicedate`` with it, written with ``updated_at``. Nothing given writes nothing,
    or is the error ``nothing``. Gives back the row as it was."""
    with transaction(engine) as conn:
        row = locked(conn, table, row_id, missing)
        refuse_unsupported(p, unsupported)
        changes = values(conn)
        if p.nextduedate is not None:
            changes |= new_due_date(conn, kind, row, p.nextduedate)
        if not changes and nothing is not None:
            raise BusinessError(nothing)
        if changes:
            changes["updated_at"] = utcnow()
            conn.execute(update(table).where(table.c.id == row.id).values(changes))
    return row
