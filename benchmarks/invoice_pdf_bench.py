"""Invoice documents at volume (issue 14): 1,000 PDFs, and 1,000 emails with their PDFs
attached sent while other connections keep writing.

    python benchmarks/invoice_pdf_bench.py [--invoices 1000] [--processes 2] [--part pdf|mail|both]

pdf:  a fresh SQLite database with N clients billed by the engine (one invoice each, 1 to 6
      lines, 20% VAT), each invoice loaded and rendered to PDF through the same code as
      `/invoices/ID.pdf`, split over --processes processes; prints the time and PDFs/s.
mail: the same N invoices' Invoice Created emails sent through `outbox.send_due` with the
      HTML part and the PDF (documents/mail.py) to a real SMTP server process (aiosmtpd), while
      a second thread writes to every invoice and outbox row in turn with a 2-second lock
      timeout; prints how many writes it made and the longest any waited (no lock held: a few
      milliseconds, never the time a PDF or a send takes).
Target: 1,000 PDFs in under 60 s on the project's 2-core machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from decimal import Decimal
from pathlib import Path

from sqlalchemy import delete, insert, update

from geninvoices.billing.due import Selection
from geninvoices.billing.generator import generate
from geninvoices.billing.run import RunConfig
from geninvoices.config import Settings
from geninvoices.db import make_engine, transaction
from geninvoices.documents.mail import composer
from geninvoices.documents.model import load_document
from geninvoices.documents.render import Renderer
from geninvoices.migrate import migrate
from geninvoices.models import own
from geninvoices.models.whmcs import (
    tblclients,
    tblconfiguration,
    tblcurrencies,
    tblhosting,
    tblinvoices,
    tblproducts,
    tbltax,
)
from geninvoices.outbox import send_due

TODAY = dt.date(2026, 3, 2)


def build(url: str, invoices: int) -> None:
    engine = make_engine(url)
    migrate(engine)
    with transaction(engine) as conn:
        conn.execute(insert(tblcurrencies).values(code="USD", prefix="$", suffix=" USD",
                                                  default=1))
        conn.execute(insert(tbltax).values(level=1, name="VAT", taxrate=Decimal("20"),
                                           country="", state=""))
        settings = {"TaxEnabled": "on", "CompanyName": "Bench Hosting Ltd",
                    "InvoicePayTo": "1 Example Street\nAmsterdam"}
        conn.execute(delete(tblconfiguration).where(tblconfiguration.c.setting.in_(settings)))
        conn.execute(insert(tblconfiguration), [{"setting": k, "value": v}
                                                for k, v in settings.items()])
        conn.execute(insert(tblproducts).values(name="Shared Hosting", type="hostingaccount",
                                                paytype="recurring", tax=1))
        conn.execute(insert(tblclients), [
            {"firstname": f"Client{n}", "lastname": "Müller", "email": f"c{n}@example.com",
             "address1": f"{n} Main Street", "city": "Berlin", "country": "DE",
             "status": "Active", "currency": 1} for n in range(1, invoices + 1)])
        conn.execute(insert(tblhosting), [
            {"userid": c, "packageid": 1, "amount": Decimal("9.95") + line,
             "billingcycle": "Monthly", "regdate": TODAY, "nextduedate": TODAY,
             "nextinvoicedate": TODAY, "domain": f"site{c}-{line}.example.com",
             "domainstatus": "Active", "paymentmethod": "banktransfer"}
            for c in range(1, invoices + 1) for line in range(1 + c % 6)])
    config = RunConfig(today=TODAY, now=dt.datetime.combine(TODAY, dt.time(9)), emails=True)
    result = generate(engine, Selection.of(None, None, None, None), config)
    assert result.numcreated == invoices, result.numcreated
    engine.dispose()


def _render_ids(url: str, ids: list[int]) -> int:
    engine, renderer, size = make_engine(url), Renderer(), 0
    for invoice_id in ids:
        with transaction(engine, write=False) as conn:
            doc = load_document(conn, invoice_id, TODAY)
        size += len(renderer.pdf(doc))
    engine.dispose()
    return size


def pdfs(url: str, invoices: int, processes: int) -> None:
    ids = list(range(1, invoices + 1))
    shares = [ids[n::processes] for n in range(processes)]
    started = time.perf_counter()
    with ProcessPoolExecutor(processes) as pool:
        size = sum(pool.map(_render_ids, [url] * processes, shares))
    seconds = time.perf_counter() - started
    print(f"pdf: {invoices} PDFs in {seconds:.1f} s with {processes} processes "
          f"({invoices / seconds:.1f} PDFs/s, {size / invoices / 1024:.0f} KiB each; "
          f"target: 1,000 in under 60 s), load average {os.getloadavg()[0]:.1f}")


def _writer(url: str, invoices: int, stop: threading.Event, waits: list[float]) -> None:
    engine, n = make_engine(url, lock_timeout_seconds=2), 0
    while not stop.is_set():
        n = n % invoices + 1
        started = time.perf_counter()
        with transaction(engine) as conn:
            conn.execute(update(tblinvoices).where(tblinvoices.c.id == n)
                         .values(notes=f"touched {len(waits)}"))
            conn.execute(update(own.outbox).where(own.outbox.c.invoiceid == n)
                         .values(last_error=None))
        waits.append(time.perf_counter() - started)
        time.sleep(0.005)
    engine.dispose()


def mail(url: str, invoices: int, workdir: Path) -> None:
    port = _free_port()
    smtp = subprocess.Popen([sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}",
                             "-c", "aiosmtpd.handlers.Sink"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)
    engine, stop, waits = make_engine(url), threading.Event(), []
    writer = threading.Thread(target=_writer, args=(url, invoices, stop, waits))
    try:
        writer.start()
        started = time.perf_counter()
        report = send_due(engine, f"smtp://127.0.0.1:{port}", "billing@example.com",
                          compose=composer(engine, Settings(database_url=url)))
        seconds = time.perf_counter() - started
    finally:
        stop.set()
        writer.join()
        smtp.terminate()
        engine.dispose()
    print(f"mail: {len(report.sent)} emails with PDF attached sent in {seconds:.1f} s, "
          f"{len(report.failed)} failed; meanwhile {len(waits)} writes to the invoice and "
          f"outbox rows, longest {max(waits) * 1000:.0f} ms (p50 "
          f"{sorted(waits)[len(waits) // 2] * 1000:.1f} ms)")


def _free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--invoices", type=int, default=1000)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--part", choices=["pdf", "mail", "both"], default="both")
    args = parser.parse_args()
    print("command:", " ".join([Path(sys.executable).name, *sys.argv]))
    workdir = Path(tempfile.mkdtemp(prefix="gi-pdf-bench-"))
    url = f"sqlite:///{workdir / 'bench.db'}"
    started = time.perf_counter()
    build(url, args.invoices)
    print(f"built {args.invoices} invoices in {time.perf_counter() - started:.1f} s")
    if args.part in ("pdf", "both"):
        pdfs(url, args.invoices, args.processes)
    if args.part in ("mail", "both"):
        mail(url, args.invoices, workdir)


if __name__ == "__main__":
    main()
