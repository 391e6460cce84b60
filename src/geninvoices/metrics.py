"""Prometheus metrics for `/metrics` (README "Health and metrics").

Imported by the server only, never by the other commands: prometheus-client picks its
multi-process mode when it is first imported, from ``PROMETHEUS_MULTIPROC_DIR``, which
`geninvoices serve` sets to a fresh directory before the workers start. Each worker then
writes its counts to files there and any worker's `/metrics` adds up all of them.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

REQUESTS = Counter("geninvoices_api_requests", "API calls by action and result",
                   ["action", "result"])
AUTH_FAILURES = Counter("geninvoices_auth_failures",
                        "API calls refused: unknown caller, wrong secret or locked out")
LOCKOUTS = Counter("geninvoices_lockouts",
                   "API calls refused because the caller is locked out")
INVOICES = Counter("geninvoices_invoices_created", "invoices created by GenInvoices")
LINES = Counter("geninvoices_invoice_lines_created", "invoice lines created by GenInvoices")
EMAILS = Counter("geninvoices_emails", "Invoice Created emails sent, and attempts that failed "
                 "(the email stays queued and is retried)", ["outcome"])
QUEUED = Gauge("geninvoices_emails_queued", "Invoice Created emails waiting in the outbox",
               multiprocess_mode="mostrecent")
RUN_SECONDS = Histogram("geninvoices_run_duration_seconds", "GenInvoices runs over HTTP",
                        buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300))


def exposition() -> tuple[bytes, str]:
    """The text format, summed over every worker when the server runs several."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return generate_latest(registry), CONTENT_TYPE_LATEST



def record_mail(report, waiting: int) -> None:
    """After the background sender looked at the outbox (``mailer.Sender``'s observer)."""
    if report is not None:
        EMAILS.labels("sent").inc(len(report.sent))
        EMAILS.labels("failed").inc(len(report.failed))
    QUEUED.set(waiting)


def record_run(result, seconds: float) -> None:
    """After a GenInvoices run over HTTP has committed."""
    INVOICES.inc(result.numcreated)
    LINES.inc(result.lines)
    RUN_SECONDS.observe(seconds)
