"""One run's context (rules §4, §5): what its caller decided, and what the database said when
it began. Built once, then passed down to every step; billing never re-derives it."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, select

from ..models import own
from ..models.whmcs import tblcurrencies, tbltax
from .mail import Currency
from .options import BillingOptions, load_options
from .tax import TaxRule


@dataclass(frozen=True)
class RunConfig:
    """What the caller decides, built at the edge from its settings: billing reads no
    settings and no clock."""
    today: dt.date  # in the configured time zone
    now: dt.datetime  # UTC, for the timestamps of rows written
    emails: bool = True
    default_gateway: str = ""  # when neither the item nor the client names one
    mail_from: str = "billing@localhost"
    chunk_size: int | None = None  # clients per transaction; None: the database's own
    dry_run: bool = False  # plan everything, write nothing (a preview)
    # called after each chunk with (clients done, clients in all, invoices so far)
    progress: Callable[[int, int, int], None] | None = None


@dataclass(frozen=True)
class Run:
    config: RunConfig
    token: str  # marks this run's ledger claims
    options: BillingOptions
    rules: list[TaxRule]
    currencies: dict[int, Currency]
    default_currency: Currency
    install_id: str

    @property
    def today(self) -> dt.date:
        return self.config.today

    @property
    def now(self) -> dt.datetime:
        return self.config.now

    def lead_limit(self) -> dt.date:
        """The last day any lead time reaches: nothing beyond it can be due."""
        return self.today + dt.timedelta(days=self.options.max_lead())

    def currency_of(self, currency_id: int) -> Currency:
        """A client's currency; 0 or one that does not exist means the default (rules §5.3)."""
        return self.currencies.get(currency_id, self.default_currency)


def load_tax_rules(conn: Connection) -> list[TaxRule]:
    return [TaxRule(r.level, r.name or "", r.country or "", r.state or "", r.taxrate)
            for r in conn.execute(select(tbltax))]


def load_currencies(conn: Connection) -> tuple[dict[int, Currency], Currency]:
    """Every currency by id, and the default one (the first marked default)."""
    currencies, default = {}, Currency(0, "", "", "")
    for r in conn.execute(select(tblcurrencies)):
        currencies[r.id] = Currency(r.id, r.code or "", r.prefix or "", r.suffix or "")
        if r.default == 1 and not default.id:
            default = currencies[r.id]
    return currencies, default


def start_run(conn: Connection, config: RunConfig) -> Run:
    rules = load_tax_rules(conn)
    currencies, default = load_currencies(conn)
    install = conn.execute(select(own.meta.c.value).where(own.meta.c.key == "install_id"))
    return Run(config, secrets.token_hex(16), load_options(conn), rules, currencies, default,
               install.scalar() or "geninvoices")
