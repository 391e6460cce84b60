"""Every kind of invoice the engine makes renders to HTML and to a PDF whose text says what
the invoice says (rules §15), on every backend."""

from __future__ import annotations

import base64

import pytest

from geninvoices.db import transaction
from geninvoices.documents.model import load_document
from geninvoices.documents.render import Renderer
from tests import builders as b
from tests.documents import kinds
from tests.documents.pdf import first_page_png, flat, pages, text

RENDERER = Renderer()
# a 1x1 PNG, as a logo given by a data: URL
PNG = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJ"
       "RU5ErkJggg==")


def document(engine, invoice_id):
    with transaction(engine, write=False) as conn:
        return load_document(conn, invoice_id, kinds.TODAY)


def render_pdf(engine, invoice_id, tmp_path):
    path = tmp_path / f"invoice-{invoice_id}.pdf"
    path.write_bytes(RENDERER.pdf(document(engine, invoice_id)))
    return path


@pytest.mark.parametrize("kind", list(kinds.KINDS))
def test_each_kind_of_invoice_renders_what_it_holds(engine, tmp_path, kind):
    kinds.setup_currency(engine)
    billed = kinds.KINDS[kind](engine)
    doc = document(engine, billed.invoice_id)
    pdf = render_pdf(engine, billed.invoice_id, tmp_path)
    assert pdf.read_bytes().startswith(b"%PDF")
    whole = flat(text(pdf))
    for expected in [f"Invoice #{doc.number}", "Example Hosting Ltd", "NL123456789B01",
                     "1 Example Street", doc.date, doc.duedate, doc.total, *billed.texts]:
        assert flat(expected) in whole, (expected, whole[:2000])
    for page in range(1, pages(pdf) + 1):  # no blank page
        assert text(pdf, page).strip(), f"page {page} of {pages(pdf)} is empty"
    html = RENDERER.html(doc)
    for line in doc.lines:
        assert line.amount in html


def test_a_long_invoice_breaks_across_pages_with_its_header_on_each(engine, tmp_path):
    kinds.setup_currency(engine)
    billed = kinds.many_lines(engine)
    pdf = render_pdf(engine, billed.invoice_id, tmp_path)
    count = pages(pdf)
    assert count >= 3
    for page in range(1, count + 1):
        page_text = text(pdf, page)
        assert f"Page {page} of {count}" in page_text
        if page < count:  # the lines' table runs over every page but maybe the last
            assert "Description" in page_text and "Total" in page_text


def test_right_to_left_and_accented_names_keep_their_letters(engine, tmp_path):
    kinds.setup_currency(engine)
    rtl, accented = kinds.right_to_left(engine), kinds.accented(engine)
    rtl_text = text(render_pdf(engine, rtl.invoice_id, tmp_path))
    # pdftotext gives right-to-left runs in visual order: compare the letters, not the order
    for word in [*kinds.ARABIC_NAME.split(), *kinds.HEBREW_COMPANY.split(), "استضافة"]:
        assert set(word) <= set(rtl_text), word
    html = RENDERER.html(document(engine, rtl.invoice_id))
    assert kinds.ARABIC_NAME in html and kinds.HEBREW_COMPANY in html
    assert 'dir="auto"' in html
    assert "Ångström-Müller" in text(render_pdf(engine, accented.invoice_id, tmp_path))


@pytest.mark.parametrize("logo", ["", "file:///nonexistent/logo.png",
                                  "http://127.0.0.1:9/logo.png", "not a url",
                                  f"data:image/png;base64,{PNG}"])
def test_a_missing_or_broken_logo_is_no_error(engine, tmp_path, logo):
    kinds.setup_currency(engine)
    billed = kinds.with_credit(engine)
    with transaction(engine) as conn:
        b.set_config(conn, LogoURL=logo)
    pdf = render_pdf(engine, billed.invoice_id, tmp_path)
    assert "Example Hosting Ltd" in text(pdf)
    html = RENDERER.html(document(engine, billed.invoice_id))
    assert ('class="logo"' in html) is bool(logo)


def test_page_one_as_a_picture_for_a_person_to_look_at(engine, tmp_path):
    kinds.setup_currency(engine)
    billed = kinds.exclusive_tax(engine)
    with transaction(engine) as conn:
        b.set_config(conn, LogoURL=f"data:image/png;base64,{PNG}")
    png = first_page_png(render_pdf(engine, billed.invoice_id, tmp_path), tmp_path)
    print(f"\npage 1 of invoice {billed.invoice_id} as PNG: {png}")
    data = png.read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 10_000


def test_an_unpaid_invoice_past_its_due_date_is_marked_overdue(engine):
    kinds.setup_currency(engine)
    billed = kinds.with_credit(engine)
    doc = document(engine, billed.invoice_id)
    assert doc.mark == "Unpaid"
    with transaction(engine, write=False) as conn:
        late = load_document(conn, billed.invoice_id, kinds.TODAY.replace(year=2028))
    assert late.mark == "Overdue" and "OVERDUE" in RENDERER.html(late)


def test_a_cancelled_invoice_says_so(engine, tmp_path):
    from geninvoices.models.whmcs import tblinvoices
    kinds.setup_currency(engine)
    billed = kinds.with_credit(engine)
    with transaction(engine) as conn:
        conn.execute(tblinvoices.update().where(tblinvoices.c.id == billed.invoice_id)
                     .values(status="Cancelled"))
    assert "CANCELLED" in text(render_pdf(engine, billed.invoice_id, tmp_path))


def test_an_unknown_invoice_has_no_document(engine):
    assert document(engine, 999_999) is None


def test_html_escapes_what_clients_typed(engine):
    kinds.setup_currency(engine)
    with transaction(engine) as conn:
        cid = b.make_client(conn, firstname="<script>alert(1)</script>", email="x@example.com")
        pid = b.make_product(conn)
        b.make_service(conn, client=cid, product=pid, regdate=kinds.TODAY)
    html = RENDERER.html(document(engine, kinds._bill(engine, cid)))
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


def test_data_urls_are_the_only_inline_images_the_sample_logo_needs():
    assert base64.b64decode(PNG).startswith(b"\x89PNG")
