"""The invoicing settings WHMCS keeps in ``tblconfiguration``, read once per run.

A checkbox setting is on when its value is ``on`` (also ``1``, ``yes``, ``true``); an empty or
missing per-cycle lead-days override means the global ``CreateInvoiceDaysBefore``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Connection, select

from ..models.whmcs import tblconfiguration

CYCLE_LEAD_KEYS = {
    "Monthly": "CreateInvoiceDaysBeforeMonthly",
    "Quarterly": "CreateInvoiceDaysBeforeQuarterly",
    "Semi-Annually": "CreateInvoiceDaysBeforeSemiAnnually",
    "Annually": "CreateInvoiceDaysBeforeAnnually",
    "Biennially": "CreateInvoiceDaysBeforeBiennially",
    "Triennially": "CreateInvoiceDaysBeforeTriennially",
}
DEFAULT_LEAD_DAYS = 14


def is_on(value: str | None) -> bool:
    return (value or "").strip().lower() in ("on", "1", "yes", "true")


def _days(value: str | None) -> int | None:
    text = (value or "").strip()
    return int(text) if text.isdigit() else None


@dataclass(frozen=True)
class BillingOptions:
    lead_days: int = DEFAULT_LEAD_DAYS
    cycle_lead_days: dict[str, int] = field(default_factory=dict)
    domain_lead_days: int | None = None
    continuous: bool = False
    date_format: str = "DD/MM/YYYY"
    tax_enabled: bool = False
    tax_inclusive: bool = False
    tax_compound: bool = False
    tax_domains: bool = False
    tax_billable_items: bool = False
    auto_credit: bool = True
    custom_numbering: bool = False
    custom_number_format: str = "{NUMBER}"
    sequential_paid_numbering: bool = False
    sequential_number_format: str = "{NUMBER}"

    def lead_for_cycle(self, billingcycle: str) -> int:
        return self.cycle_lead_days.get(billingcycle, self.lead_days)

    def lead_for_domains(self) -> int:
        return self.lead_days if self.domain_lead_days is None else self.domain_lead_days

    def max_lead(self) -> int:
        return max([self.lead_days, self.lead_for_domains(), *self.cycle_lead_days.values()])


def load_options(conn: Connection) -> BillingOptions:
    return options_of(dict(conn.execute(
        select(tblconfiguration.c.setting, tblconfiguration.c.value)).all()))


def options_of(config: dict[str, str]) -> BillingOptions:
    """The options that WHMCS's settings (``tblconfiguration``, setting -> value) make."""
    cycle_leads = {cycle: days for cycle, key in CYCLE_LEAD_KEYS.items()
                   if (days := _days(config.get(key))) is not None}
    lead_days = _days(config.get("CreateInvoiceDaysBefore"))
    return BillingOptions(
        lead_days=DEFAULT_LEAD_DAYS if lead_days is None else lead_days,
        cycle_lead_days=cycle_leads,
        domain_lead_days=_days(config.get("CreateDomainInvoiceDaysBefore")),
        continuous=is_on(config.get("ContinuousInvoiceGeneration")),
        date_format=(config.get("DateFormat") or "DD/MM/YYYY").strip(),
        tax_enabled=is_on(config.get("TaxEnabled")),
        tax_inclusive=(config.get("TaxType") or "").strip().lower() == "inclusive",
        tax_compound=is_on(config.get("TaxL2Compound")),
        tax_domains=is_on(config.get("TaxDomains")),
        tax_billable_items=is_on(config.get("TaxBillableItems")),
        auto_credit=not is_on(config.get("NoAutoApplyCredit")),
        custom_numbering=is_on(config.get("TaxCustomInvoiceNumbering")),
        custom_number_format=config.get("TaxCustomInvoiceNumberFormat") or "{NUMBER}",
        sequential_paid_numbering=is_on(config.get("SequentialInvoiceNumbering")),
        sequential_number_format=config.get("SequentialInvoiceNumberFormat") or "{NUMBER}",
    )
