"""`geninvoices invoice pdf|html ID -o FILE` (rules §15): an invoice's document on the
command line, rendered by the same code as `/invoices/ID.pdf`. Registered, with the one-line
error handling, by ``cli.py``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .cli_support import database, fail, settings
from .clock import today_in
from .db import transaction
from .documents.model import load_document
from .documents.render import Renderer

invoice_app = typer.Typer(help="Invoice documents (HTML and PDF).", no_args_is_help=True)
InvoiceId = Annotated[int, typer.Argument(min=1, max=2147483647, help="the invoice id")]
Output = Annotated[Path, typer.Option("--output", "-o", help="the file to write ('-': stdout)")]


def _document(invoice_id: int):
    s = settings()
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
