"""Tax (rules §5.4): which rule applies to a client, and an invoice's tax from its lines.

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


def _specificity(rule: TaxRule, country: str, state: str) -> int | None:
    """None when the rule does not match; higher is more specific."""
    rule_country, rule_state = rule.country.strip().lower(), rule.state.strip().lower()
    if rule_country and rule_country != country:
        return None
    # A state rule with country '' (all countries) still names a state: it matches only
    # that state, and ranks below a country rule and above a rule for everyone.
    if rule_state and rule_state != state:
        return None
    return (2 if rule_country else 0) + (1 if rule_state else 0)


def pick_rule(rules: list[TaxRule], level: int, country: str, state: str) -> TaxRule | None:
    """The most specific rule of a level: country and state, then country, then all.
    Countries and states compare case-insensitively (WHMCS stores 'GB' but clients may
    carry 'gb'); among equally specific rules the first one listed wins."""
    country, state = (country or "").strip().lower(), (state or "").strip().lower()
    best, best_rank = None, -1
    for rule in rules:
        rank = _specificity(rule, country, state) if rule.level == level else None
        if rank is not None and rank > best_rank:
            best, best_rank = rule, rank
    return best


def compute_tax(lines: list[tuple[Decimal, bool]], rule1: TaxRule | None,
                rule2: TaxRule | None, *, inclusive: bool, compound: bool) -> TaxResult:
    """lines are (amount, taxed); rule1 = rule2 = None when tax is off or the client exempt."""
    total = sum((amount for amount, _ in lines), ZERO)
    taxed = sum((amount for amount, is_taxed in lines if is_taxed), ZERO)
    r1 = rule1.rate if rule1 else ZERO
    r2 = rule2.rate if rule2 else ZERO
    if rule1 is None and rule2 is None:
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
