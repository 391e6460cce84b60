"""Tax (spec 5.4): which rule applies to a client, and an invoice's tax from its lines.

r() rounds half-up to 2 places and is applied exactly where WHMCS rounds:
- exclusive: tax = r(S*r1), tax2 = r((S + tax)*r2) when compound, else r(S*r2);
- inclusive: the net N of the taxed lines is S / (1 + r1 + r2) (or the product when
  compound); with a level-2 rule tax = r(N*r1) and tax2 = S - r(N) - tax, without one
  tax = S - r(N), so rounding never makes a tax negative.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .money import round_money

ZERO = Decimal("0.00")
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class TaxRule:
    level: int
    name: str
    country: str  # '' = every country
    state: str  # '' = every state
    rate: Decimal  # percent


@dataclass(frozen=True)
class TaxResult:
    subtotal: Decimal
    tax: Decimal
    tax2: Decimal
    taxrate: Decimal
    taxrate2: Decimal


def pick_rule(rules: list[TaxRule], level: int, country: str, state: str) -> TaxRule | None:
    """The most specific rule of a level: country and state, then country, then all.
    Countries and states compare case-insensitively; a rule for a state of every country
    (country '') matches only that state."""
    country, state = country.strip().lower(), state.strip().lower()

    def rank(rule: TaxRule) -> int | None:
        rc, rs = rule.country.strip().lower(), rule.state.strip().lower()
        if rc and rc != country or rs and rs != state:
            return None
        return (2 if rc else 0) + (1 if rs else 0)

    ranked = [(r, rule) for rule in rules if rule.level == level
              and (r := rank(rule)) is not None]
    return max(ranked, key=lambda pair: pair[0])[1] if ranked else None


def compute_tax(lines: list[tuple[Decimal, bool]], rule1: TaxRule | None,
                rule2: TaxRule | None, *, inclusive: bool, compound: bool) -> TaxResult:
    total = sum((amount for amount, _ in lines), ZERO)
    taxed = sum((amount for amount, is_taxed in lines if is_taxed), ZERO)
    r1 = rule1.rate if rule1 else ZERO
    r2 = rule2.rate if rule2 else ZERO
    if not rule1 and not rule2 or taxed == 0:
        return TaxResult(total, ZERO, ZERO, r1, r2)
    if inclusive:
        tax, tax2 = _inclusive(taxed, r1, r2, compound, has_level2=rule2 is not None)
        return TaxResult(total - tax - tax2, tax, tax2, r1, r2)
    tax = round_money(taxed * r1 / HUNDRED)
    base2 = taxed + tax if compound else taxed
    return TaxResult(total, tax, round_money(base2 * r2 / HUNDRED), r1, r2)


def _inclusive(gross: Decimal, r1: Decimal, r2: Decimal, compound: bool,
               has_level2: bool) -> tuple[Decimal, Decimal]:
    if compound:
        net = gross / ((1 + r1 / HUNDRED) * (1 + r2 / HUNDRED))
    else:
        net = gross / (1 + r1 / HUNDRED + r2 / HUNDRED)
    if has_level2:
        tax = round_money(net * r1 / HUNDRED)
        return tax, gross - round_money(net) - tax
    return gross - round_money(net), ZERO
