"""Templates to HTML, HTML to PDF (rules §15).

The templates ship in the package (``templates/``); a folder named by
``GENINVOICES_TEMPLATES_DIR`` may override any of them by file name. ``check`` renders every
template once at start-up, so a broken override stops the server there, not at send time.
WeasyPrint is imported on the first PDF only: the API's workers need it only then.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import jinja2

from ..errors import TemplateProblem
from .model import Client, Company, InvoiceDocument, Line, Payment, Tax

log = logging.getLogger("geninvoices.documents")
TEMPLATES = ("invoice.html", "invoice.css", "email.html")
SETTING = "GENINVOICES_TEMPLATES_DIR"


# The logo is the only thing fetched: file, data and http(s) URLs, with a short timeout. One
# that cannot be fetched is left out by WeasyPrint with a warning, never an error.
FETCHED = ("file", "data", "http", "https")
FETCH_TIMEOUT_SECONDS = 5


class Renderer:
    def __init__(self, templates_dir: str = ""):
        loaders: list[jinja2.BaseLoader] = []
        if templates_dir:
            if not Path(templates_dir).is_dir():
                raise TemplateProblem(f"{SETTING}: {templates_dir} is not a folder")
            loaders.append(jinja2.FileSystemLoader(templates_dir))
        loaders.append(jinja2.PackageLoader("geninvoices.documents", "templates"))
        self.templates_dir = templates_dir
        self.env = jinja2.Environment(
            loader=jinja2.ChoiceLoader(loaders), undefined=jinja2.StrictUndefined,
            autoescape=jinja2.select_autoescape(["html"]))
        self._fonts = None

    def html(self, doc: InvoiceDocument) -> str:
        return self._render("invoice.html", doc=doc)

    def email_html(self, doc: InvoiceDocument, *, link: str = "", attached: bool) -> str:
        return self._render("email.html", doc=doc, link=link, attached=attached)

    def pdf(self, doc: InvoiceDocument) -> bytes:
        from weasyprint import HTML
        from weasyprint.text.fonts import FontConfiguration
        from weasyprint.urls import URLFetcher
        if self._fonts is None:  # font lookups are cached across documents
            self._fonts = FontConfiguration()
        fetcher = URLFetcher(timeout=FETCH_TIMEOUT_SECONDS, allowed_protocols=FETCHED)
        return HTML(string=self.html(doc), url_fetcher=fetcher).write_pdf(
            font_config=self._fonts)

    def _render(self, name: str, **values) -> str:
        try:
            return self.env.get_template(name).render(**values)
        except jinja2.TemplateError as error:
            raise TemplateProblem(f"invoice template {name} does not render: {error}") from None

    def check(self) -> None:
        """Render every template with a sample invoice; raise TemplateProblem naming the
        setting when an override is broken."""
        doc = sample_document()
        try:
            self.html(doc)
            self.email_html(doc, link="https://example.com/invoices/1.pdf", attached=True)
        except TemplateProblem as problem:
            where = f" (from {SETTING}={self.templates_dir})" if self.templates_dir else ""
            raise TemplateProblem(f"{problem}{where}") from None


def sample_document() -> InvoiceDocument:
    """An invoice with every part filled, for ``check`` and the benchmark."""
    lines = [Line([f"Shared Hosting - site{i}.example.com (01/01/2027 - 31/01/2027)"],
                  "$9.95 USD", True) for i in range(3)]
    return InvoiceDocument(
        id=1, number="1", status="Unpaid", mark="Unpaid", date="01/01/2027",
        duedate="15/01/2027", datepaid="", paymentmethod="banktransfer", notes="Thank you.",
        company=Company("Example Hosting", ["1 Example Street", "Amsterdam"], "", "NL123"),
        client=Client("Ana Müller", "Müller GmbH", ["Hauptstraße 1", "10115 Berlin", "DE"],
                      "ana@example.com", "DE999"),
        lines=lines, subtotal="$29.85 USD", taxes=[Tax("VAT", "20", "$5.97 USD")],
        tax_inclusive=False, credit="$1.00 USD", total="$34.82 USD", paid="$10.00 USD",
        balance="$24.82 USD", currency_code="USD",
        payments=[Payment(dt.date(2027, 1, 2).isoformat(), "banktransfer", "tx-1",
                          "$10.00 USD")])
