"""What `geninvoices config set` accepts for the settings the engine reads (rules §8).

The engine reads a handful of ``tblconfiguration`` keys (``billing/options.py``; the invoice
documents a few more, ``documents/``) and quietly
falls back to a default when a value makes no sense to it (`CreateInvoiceDaysBefore seven`
reads as 14). So those keys are checked when they are set, and stored the way WHMCS stores
them (`on` or empty for a checkbox, `Exclusive` or `Inclusive`). Any other key is WHMCS's or
the operator's business and is stored as given.
"""

from __future__ import annotations

from .billing.describe import DATE_FORMATS
from .billing.options import CYCLE_LEAD_KEYS
from .models.defaults import KNOWN_SETTINGS

MAX_DAYS = 3650  # ten years ahead: more is a typo, and dates near year 9999 overflow
MAX_NUMBER = 2_147_483_647  # invoice numbers end up in int(10) and varchar columns
CHECKBOXES = frozenset({
    "ContinuousInvoiceGeneration", "NoAutoApplyCredit", "TaxEnabled", "TaxDomains",
    "TaxBillableItems", "TaxL2Compound", "TaxCustomInvoiceNumbering",
    "SequentialInvoiceNumbering", "EnablePDFInvoices",
})
# an empty per-cycle or domain lead time means "use CreateInvoiceDaysBefore"
OPTIONAL_DAYS = frozenset({*CYCLE_LEAD_KEYS.values(), "CreateDomainInvoiceDaysBefore"})
NUMBER_FORMATS = frozenset({"TaxCustomInvoiceNumberFormat", "SequentialInvoiceNumberFormat"})
COUNTERS = frozenset({"TaxNextCustomInvoiceNumber", "SequentialInvoiceNumberValue"})
TAX_TYPES = ("Exclusive", "Inclusive")


def check_setting(key: str, value: str) -> str:
    """The value to store for ``key``; ValueError naming what is allowed otherwise."""
    text = value.strip()
    if key in CHECKBOXES:
        return _checkbox(key, text)
    if key == "CreateInvoiceDaysBefore" or key in OPTIONAL_DAYS:
        return _days(key, text, optional=key in OPTIONAL_DAYS)
    if key == "DateFormat":
        return _one_of(key, text, tuple(DATE_FORMATS))
    if key == "TaxType":
        return _one_of(key, text, TAX_TYPES)
    if key in NUMBER_FORMATS:
        if "{NUMBER}" not in text:
            raise ValueError(f"{key} must contain {{NUMBER}}, e.g. INV-{{NUMBER}}")
        return text
    if key in COUNTERS:
        return _whole(key, text, 1, MAX_NUMBER)
    return value


def engine_settings() -> list[str]:
    """Every key the engine and the invoice documents read, in the order `config list`
    shows them."""
    return list(KNOWN_SETTINGS)


def _checkbox(key: str, text: str) -> str:
    if text.lower() in ("on", "1", "yes", "true"):
        return "on"
    if text.lower() in ("", "off", "0", "no", "false"):
        return ""
    raise ValueError(f"{key} is a checkbox: give on or off (or an empty value), not {text!r}")


def _days(key: str, text: str, *, optional: bool) -> str:
    if optional and text == "":
        return ""
    empty = " or an empty value (use CreateInvoiceDaysBefore)" if optional else ""
    return _whole(key, text, 0, MAX_DAYS, also=empty)


def _whole(key: str, text: str, low: int, high: int, also: str = "") -> str:
    if not (text.isascii() and text.isdigit()) or not low <= int(text) <= high:
        raise ValueError(f"{key} takes a whole number from {low} to {high}{also}, not "
                         f"{text!r}")
    return str(int(text))


def _one_of(key: str, text: str, allowed: tuple[str, ...]) -> str:
    for choice in allowed:
        if text.lower() == choice.lower():
            return choice
    raise ValueError(f"{key} is one of {', '.join(allowed)}; not {text!r}")
