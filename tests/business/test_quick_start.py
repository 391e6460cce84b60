"""The README's quick start through the API (issue 13 item 6): `serve --demo` prints, after
its GenInvoices line, six curl lines that add a client, order a monthly service, accept the
order, run GenInvoices, find the invoice and pay it. Pasted into a shell as printed, they
work, and so do the lines a later `serve --demo` on the same database prints."""

from __future__ import annotations

import json
import subprocess

import httpx

from tests.net import stop, wait_until_up
from tests.test_cli import serve_demo


def test_the_printed_walkthrough_runs_a_customer_to_a_paid_invoice(tmp_path):
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    first = run_the_walkthrough(url, tmp_path / "serve.log")
    # a second `serve --demo` on the same database prints the walkthrough again: pasted,
    # it adds a client of its own and pays with a transid of its own, so it works too
    second = run_the_walkthrough(url, tmp_path / "serve2.log")
    assert second["CLIENT"] != first["CLIENT"] and second["INVOICE"] != first["INVOICE"]


def run_the_walkthrough(url: str, log_path) -> dict[str, str]:
    """Start `serve --demo`, paste its printed lines into bash, check the invoice is paid;
    the CLIENT and INVOICE the lines ended with."""
    server, endpoint, fields = serve_demo(url, log_path)
    try:
        block = [server.stdout.readline().rstrip("\n") for _ in range(9)]
        assert block[0] == "" and block[1].startswith("# a client, a monthly order")
        script = block[2:]
        assert script[0].startswith("API='") and sum("curl -s" in s for s in script) == 6
        wait_until_up(endpoint)
        done = subprocess.run(["bash", "-euo", "pipefail", "-c",
                               "\n".join(script) + "\necho CLIENT=$CLIENT INVOICE=$INVOICE"],
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        outputs = done.stdout.strip().splitlines()
        replies = [json.loads(line) for line in outputs[:-1]]
        assert [r["result"] for r in replies] == ["success"] * 3, (replies, script)
        assert replies[1]["numcreated"] == "1"  # GenInvoices billed the new service
        ids = dict(part.split("=") for part in outputs[-1].split())
        invoice = httpx.post(endpoint, data={**fields, "action": "GetInvoice",
                                             "invoiceid": ids["INVOICE"]}).json()
        assert invoice["status"] == "Paid" and invoice["total"] == "9.95"
        assert invoice["userid"] == int(ids["CLIENT"])
        return ids
    finally:
        stop(server)
