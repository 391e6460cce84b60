"""`geninvoices invoice pdf|html ID -o FILE` (rules §15): an invoice's document on the
command line, rendered by the same code as `/invoices/ID.pdf`; `invoice link ID`: a signed
link to it, as the Invoice Created email carries. Registered, with the one-line error
handling, by ``cli.py``."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import select

from .cli_support import database, fail, settings
from .clock import today_in
from .db import transaction
from .documents import links
from .models.whmcs import tblconfiguration, tblinvoices

invoice_app = typer.Typer(help="Invoice documents (HTML and PDF).", no_args_is_help=True)
InvoiceId = Annotated[int, typer.Argument(min=1, max=2147483647, help="the invoice id")]
Output = Annotated[Path, typer.Option("--output", "-o", help="the file to write ('-': stdout)")]


def _document(invoice_id: int):
    s = settings()
    from .documents.model import load_document  # jinja, and WeasyPrint for a PDF: only here
    from .documents.render import Renderer

    renderer = Renderer(s.templates_dir)
    with database(s) as engine, transaction(engine, write=False) as conn:
        doc = load_document(conn, invoice_id, today_in(s))
    if doc is None:
        fail(f"invoice {invoice_id} not found")
    return renderer, doc


def _write(output: Path, data: bytes) -> None:
    if str(output) == "-":
        typer.get_binary_stream("stdout").write(data)
        return
    output.write_bytes(data)
    typer.echo(f"wrote {output} ({len(data):,} bytes)", err=True)


def invoice_pdf(invoice_id: InvoiceId, output: Output) -> None:
    """Write the invoice as PDF."""
    renderer, doc = _document(invoice_id)
    _write(output, renderer.pdf(doc))


def invoice_html(invoice_id: InvoiceId, output: Output) -> None:
    """Write the invoice as HTML."""
    renderer, doc = _document(invoice_id)
    _write(output, renderer.html(doc).encode("utf-8"))


def invoice_link(invoice_id: InvoiceId) -> None:
    """Print a signed link to the invoice's PDF, valid for GENINVOICES_INVOICE_LINK_SECONDS."""
    s = settings()
    if not s.invoice_link_secret:
        fail("invoice links need GENINVOICES_INVOICE_LINK_SECRET (16 characters or more, e.g. "
             "`openssl rand -hex 32`), the same for the server")
    cfg = tblconfiguration
    with database(s) as engine, transaction(engine, write=False) as conn:
        base = (conn.execute(select(cfg.c.value).where(cfg.c.setting == "SystemURL")).scalar()
                or "").strip()
        found = conn.execute(select(tblinvoices.c.id).where(
            tblinvoices.c.id == invoice_id)).first()
    if not base.startswith(("http://", "https://")):
        fail("invoice links need the address customers reach the server at: `geninvoices "
             "config set SystemURL https://billing.example.com`")
    if found is None:
        fail(f"invoice {invoice_id} not found")
    query = links.sign(s.invoice_link_secret, invoice_id, int(time.time()),
                       s.invoice_link_seconds)
    typer.echo(links.link(base, invoice_id, query))
