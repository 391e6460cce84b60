"""The Invoice Created email's HTML part and PDF (rules §15), made by the sender after commit.

``composer`` gives the outbox a function it calls once per batch of emails: it reads what
the batch's documents share (WHMCS's settings, the currencies, the tax rules: ``HouseSettings``)
and gives back the function from a queued email to its extra parts. Each of those calls
reads the invoice as it stands in one short read transaction and renders after it has ended,
so no database lock is held while a PDF is made or a message is sent. The PDF is attached
unless `EnablePDFInvoices` is set and off (WHMCS's "Enable PDF Invoices"; absent means on).
A signed link to the PDF goes in the HTML part when the server has a link secret and WHMCS's
`SystemURL` says where customers reach it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from ..billing.options import is_on
from ..clock import today_in
from ..config import Settings
from ..db import transaction
from . import links
from .model import HouseSettings, load_document, load_house_settings

if TYPE_CHECKING:
    from .render import Renderer

log = logging.getLogger("geninvoices.mail")


@dataclass(frozen=True)
class Extra:
    html: str
    pdf: bytes | None
    filename: str


Compose = Callable[[int], Extra | None]


def composer(engine: Engine, settings: Settings,
             renderer: Renderer | None = None) -> Callable[[], Compose]:
    from .render import Renderer  # jinja: only for a run that sends its emails

    renderer = renderer or Renderer(settings.templates_dir)

    def for_batch() -> Compose:
        with transaction(engine, write=False) as conn:
            house = load_house_settings(conn)
        return lambda invoice_id: _compose(engine, settings, renderer, house, invoice_id)
    return for_batch


def _compose(engine: Engine, settings: Settings, renderer: Renderer, house: HouseSettings,
             invoice_id: int) -> Extra | None:
    with transaction(engine, write=False) as conn:
        doc = load_document(conn, invoice_id, today_in(settings), house)
    if doc is None:
        return None
    config = house.config
    attach = "EnablePDFInvoices" not in config or is_on(config["EnablePDFInvoices"])
    link = ""
    base = (config.get("SystemURL") or "").strip()
    if settings.invoice_link_secret and base.startswith(("http://", "https://")):
        query = links.sign(settings.invoice_link_secret, invoice_id, int(time.time()),
                           settings.invoice_link_seconds)
        link = links.link(base, invoice_id, query)
    return Extra(renderer.email_html(doc, link=link, attached=attach),
                 renderer.pdf(doc) if attach else None, f"Invoice-{doc.number}.pdf")
