"""WHMCS's default for every ``tblconfiguration`` setting the engine reads (rules §6).

A fresh database holds these (revision 0005 inserts them, missing keys only), so that
``GetConfigurationValue`` and ``geninvoices config get`` report what the engine uses. An
adopted WHMCS database keeps its own values and gets none of them. Values are WHMCS's
documented defaults where docs.whmcs.com gives one (DateFormat, exclusive tax, the
`{NUMBER}` formats, 14 days before the due date); otherwise the value that means what the
engine does when the setting is absent (an empty checkbox is off; an empty per-cycle or
domain lead time means the global one). TaxBillableItems is `on` (rules §5.9).

Revision 0005 holds a frozen copy; a test keeps the two equal, so a change here needs a
revision of its own.
"""

from __future__ import annotations

DEFAULT_SETTINGS: dict[str, str] = {
    "DateFormat": "DD/MM/YYYY",
    "CreateInvoiceDaysBefore": "14",
    "CreateInvoiceDaysBeforeMonthly": "",
    "CreateInvoiceDaysBeforeQuarterly": "",
    "CreateInvoiceDaysBeforeSemiAnnually": "",
    "CreateInvoiceDaysBeforeAnnually": "",
    "CreateInvoiceDaysBeforeBiennially": "",
    "CreateInvoiceDaysBeforeTriennially": "",
    "CreateDomainInvoiceDaysBefore": "",
    "ContinuousInvoiceGeneration": "",
    "NoAutoApplyCredit": "",
    "TaxEnabled": "",
    "TaxType": "Exclusive",
    "TaxDomains": "",
    "TaxBillableItems": "on",
    "TaxL2Compound": "",
    "TaxCustomInvoiceNumbering": "",
    "TaxCustomInvoiceNumberFormat": "{NUMBER}",
    "TaxNextCustomInvoiceNumber": "1",
    "SequentialInvoiceNumbering": "",
    "SequentialInvoiceNumberFormat": "{NUMBER}",
    "SequentialInvoiceNumberValue": "1",
}

# What the invoice documents and their email read (rules §15), with the value that means
# what they do when the setting is absent: no company details, PDFs attached, no link. A
# fresh database does not hold them (they are not in revision 0005); `config list` and
# `config get` show these defaults until one is set.
DOCUMENT_SETTINGS: dict[str, str] = {
    "CompanyName": "",
    "InvoicePayTo": "",
    "TaxID": "",
    "LogoURL": "",
    "EnablePDFInvoices": "on",
    "SystemURL": "",
}
# every setting geninvoices reads, with its default
KNOWN_SETTINGS: dict[str, str] = {**DEFAULT_SETTINGS, **DOCUMENT_SETTINGS}
