"""What differs between the kinds of item, one row per rule and kind (rules §5.1 to §5.3, §5.7):
changing one WHMCS rule for one kind is a change to ``billing/kinds.py`` and a row here."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from geninvoices.billing import items, kinds
from geninvoices.billing.kinds import ADDON, DOMAIN, SERVICE
from geninvoices.billing.options import BillingOptions
from geninvoices.models.whmcs import tbldomains, tblhosting, tblhostingaddons

D = dt.date


@pytest.mark.parametrize("kind, type_, table, status_column, cycle_column, anchor_column", [
    (SERVICE, "Hosting", tblhosting, "domainstatus", "billingcycle", "regdate"),
    (ADDON, "Addon", tblhostingaddons, "status", "billingcycle", "regdate"),
    (DOMAIN, "Domain", tbldomains, "status", "registrationperiod", "registrationdate"),
])
def test_where_each_kind_lives(kind, type_, table, status_column, cycle_column,
                               anchor_column):
    assert (kind.type, kind.table) == (type_, table)
    for column in (status_column, cycle_column, anchor_column, "nextduedate",
                   "nextinvoicedate", "userid"):
        assert column in table.c
    assert (kind.status_column, kind.cycle_column, kind.anchor_column) == (
        status_column, cycle_column, anchor_column)
    assert kinds.BY_TYPE[type_] is kind


@pytest.mark.parametrize("kind, status, continuous, eligible", [
    (SERVICE, "Active", False, True), (SERVICE, "Suspended", True, True),
    (SERVICE, "Pending", False, True), (SERVICE, "Pending", True, False),
    (SERVICE, "Terminated", False, False), (SERVICE, "Cancelled", False, False),
    (SERVICE, "Fraud", False, False),
    (ADDON, "Active", False, True), (ADDON, "Pending", True, False),
    (DOMAIN, "Active", False, True), (DOMAIN, "Pending", False, False),
    (DOMAIN, "Suspended", False, False), (DOMAIN, "Expired", False, False),
])
def test_statuses_that_may_be_billed(kind, status, continuous, eligible):
    assert kind.eligible_status(status, continuous) is eligible


@pytest.mark.parametrize("kind, cycle, start, anchor, next_start", [
    (SERVICE, "Monthly", D(2026, 1, 31), D(2025, 12, 31), D(2026, 2, 28)),
    (SERVICE, "Monthly", D(2026, 2, 28), D(2025, 12, 31), D(2026, 3, 31)),
    (SERVICE, "Quarterly", D(2026, 11, 30), D(2026, 8, 31), D(2027, 2, 28)),
    (ADDON, "Semi-Annually", D(2026, 8, 31), None, D(2027, 2, 28)),
    (ADDON, "Triennially", D(2028, 2, 29), D(2028, 2, 29), D(2031, 2, 28)),
    (DOMAIN, 1, D(2028, 2, 29), D(2028, 2, 29), D(2029, 2, 28)),
    (DOMAIN, 2, D(2029, 2, 28), D(2028, 2, 29), D(2031, 2, 28)),
    (DOMAIN, 1, D(2029, 2, 28), D(2028, 2, 29), D(2030, 2, 28)),
])
def test_periods_and_month_ends(kind, cycle, start, anchor, next_start):
    assert kind.advance(start, cycle, anchor) == next_start


@pytest.mark.parametrize("kind, cycle, months", [
    (SERVICE, "Monthly", 1), (SERVICE, "Biennially", 24), (ADDON, "Annually", 12),
    (DOMAIN, 1, 12), (DOMAIN, 10, 120), (DOMAIN, "3", 36),
])
def test_cycle_lengths(kind, cycle, months):
    assert kind.months(cycle) == months


def test_lead_days_follow_the_kind():
    options = BillingOptions(lead_days=5, cycle_lead_days={"Quarterly": 30},
                             domain_lead_days=45)
    service = items.Item(SERVICE, 1, 1, Decimal(1), "Quarterly", None, None, None, "", "",
                         "x")
    domain = items.Item(DOMAIN, 1, 1, Decimal(1), 1, None, None, None, "", "", "x")
    assert SERVICE.lead_days(service, options) == 30
    assert ADDON.lead_days(service, options) == 30
    assert DOMAIN.lead_days(domain, options) == 45


@pytest.mark.parametrize("kind, label, domain, cycle, text", [
    (SERVICE, "Shared Hosting", "example.com", "Monthly",
     "Shared Hosting - example.com (01/01/2026 - 31/01/2026)"),
    (SERVICE, "Shared Hosting", "", "Monthly", "Shared Hosting (01/01/2026 - 31/01/2026)"),
    (ADDON, "Daily Backups", "", "Monthly", "Daily Backups (01/01/2026 - 31/01/2026)"),
    (DOMAIN, "example.com", "example.com", 1,
     "Domain Renewal - example.com - 1 Year/s (01/01/2026 - 31/01/2026)"),
])
def test_line_descriptions(kind, label, domain, cycle, text):
    item = items.Item(kind, 1, 1, Decimal(1), cycle, None, None, None, "", "", label, domain)
    assert item.description(D(2026, 1, 1), D(2026, 2, 1), "DD/MM/YYYY") == text


def test_lines_of_one_invoice_go_services_addons_domains():
    assert SERVICE.order < ADDON.order < DOMAIN.order
