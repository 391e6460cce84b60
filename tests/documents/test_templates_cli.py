"""Template overrides, checked at start-up; `geninvoices invoice pdf|html` (rules §15)."""

from __future__ import annotations

import pytest

from geninvoices.app import create_app
from geninvoices.config import Settings
from geninvoices.documents.render import Renderer, sample_document
from geninvoices.errors import TemplateProblem
from tests.documents.pdf import text
from tests.test_cli import gi


def test_an_override_replaces_a_shipped_template_by_name(tmp_path):
    (tmp_path / "email.html").write_text("<p>Hello from Acme: {{ doc.number }} {{ link }}</p>")
    renderer = Renderer(str(tmp_path))
    renderer.check()
    doc = sample_document()
    assert renderer.email_html(doc, link="L", attached=True) == "<p>Hello from Acme: 1 L</p>"
    assert "Invoice #1" in renderer.html(doc)  # the others stay the shipped ones


@pytest.mark.parametrize("body", ["{% for x in %}", "{{ doc.no_such_field }}",
                                  "{% include 'missing.html' %}"])
def test_a_broken_override_is_reported_at_start_up(tmp_path, body):
    (tmp_path / "invoice.html").write_text(body)
    with pytest.raises(TemplateProblem, match="GENINVOICES_TEMPLATES_DIR") as raised:
        create_app(Settings(database_url="sqlite://", templates_dir=str(tmp_path)))
    assert "invoice.html" in str(raised.value)


def test_serve_refuses_to_start_with_a_broken_override(tmp_path):
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "email.html").write_text("{{ unclosed")
    url = f"sqlite:///{tmp_path / 'serve.db'}"
    done = gi(url, "serve", "--port", "1", extra_env={"GENINVOICES_TEMPLATES_DIR": str(folder)})
    assert done.returncode == 1
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("error: invoice template email.html does not render")
    assert "GENINVOICES_TEMPLATES_DIR" in line
    assert not (tmp_path / "serve.db").exists()  # stopped before touching the database


def test_a_templates_dir_that_is_no_folder_is_refused(tmp_path):
    with pytest.raises(TemplateProblem, match="GENINVOICES_TEMPLATES_DIR"):
        Renderer(str(tmp_path / "nope"))


@pytest.fixture
def billed_url(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert gi(url, "migrate").returncode == 0
    from geninvoices.db import make_engine
    from tests.documents import kinds
    engine = make_engine(url)
    kinds.setup_currency(engine)
    billed = kinds.exclusive_tax(engine)
    engine.dispose()
    return url, billed.invoice_id


def test_invoice_pdf_and_html_on_the_command_line(billed_url, tmp_path):
    url, invoice = billed_url
    out = tmp_path / "out.pdf"
    done = gi(url, "invoice", "pdf", str(invoice), "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert out.read_bytes().startswith(b"%PDF") and "$18.60 USD" in text(out)
    page = tmp_path / "out.html"
    assert gi(url, "invoice", "html", str(invoice), "-o", str(page)).returncode == 0
    assert f"Invoice #{invoice}" in page.read_text()


def test_invoice_pdf_of_an_unknown_invoice_is_one_error_line(billed_url, tmp_path):
    url, _ = billed_url
    done = gi(url, "invoice", "pdf", "424242", "-o", str(tmp_path / "x.pdf"))
    assert done.returncode == 1 and done.stderr.strip() == "error: invoice 424242 not found"
    assert not (tmp_path / "x.pdf").exists()
    assert gi(url, "invoice", "pdf", "0", "-o", "x.pdf").returncode == 2


def test_invoice_link_prints_a_signed_url_that_opens_the_pdf(billed_url):
    """`invoice link ID`: the signed link the Invoice Created email carries, on demand; it
    opens the PDF from an address off the allow-list, without a credential."""
    from urllib.parse import parse_qsl, urlsplit

    from geninvoices.db import make_engine
    from tests.documents.test_access import OUTSIDER, SECRET, get
    url, invoice = billed_url
    with_secret = {"GENINVOICES_INVOICE_LINK_SECRET": SECRET}
    assert "GENINVOICES_INVOICE_LINK_SECRET" in one_line(gi(url, "invoice", "link", str(invoice)))
    assert "SystemURL" in one_line(gi(url, "invoice", "link", str(invoice),
                                      extra_env=with_secret))
    assert gi(url, "config", "set", "SystemURL", "https://billing.example.com").returncode == 0
    assert one_line(gi(url, "invoice", "link", "424242", extra_env=with_secret)) == \
        "error: invoice 424242 not found"
    done = gi(url, "invoice", "link", str(invoice), extra_env=with_secret)
    assert done.returncode == 0, done.stderr
    printed = urlsplit(done.stdout.strip())
    assert (printed.scheme, printed.netloc, printed.path) == (
        "https", "billing.example.com", f"/invoices/{invoice}.pdf")
    query = dict(parse_qsl(printed.query))
    assert set(query) == {"expires", "signature"}
    engine = make_engine(url)
    try:
        app = create_app(Settings(database_url=url, invoice_link_secret=SECRET), engine)
        reply = get(app, printed.path, params=query, client=OUTSIDER)
        assert reply.status_code == 200 and reply.content.startswith(b"%PDF")
        other = create_app(Settings(database_url=url, invoice_link_secret="x" * 32), engine)
        assert get(other, printed.path, params=query, client=OUTSIDER).status_code != 200
    finally:
        engine.dispose()


def one_line(done) -> str:
    """A refusal: exit 1 and one error line."""
    assert done.returncode == 1 and not done.stdout, (done.stdout, done.stderr)
    [line] = done.stderr.strip().splitlines()
    return line
