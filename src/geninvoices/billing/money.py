"""Money is Decimal, rounded half-up to 2 places, once, where WHMCS rounds."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def round_money(x: Decimal) -> Decimal:
    """Half-up (0.125 -> 0.13), as WHMCS's PHP round() does, not banker's rounding."""
    return Decimal(x).quantize(CENT, rounding=ROUND_HALF_UP)


def to_money(value: Decimal | int | str) -> Decimal:
    """A stored amount as a 2-place Decimal (drivers hand back Decimal, int or str)."""
    if type(value) is Decimal:  # as it is; str() would give the same digits back
        return value.quantize(CENT, rounding=ROUND_HALF_UP)
    return round_money(Decimal(str(value)))
