"""Signed invoice links (rules §15): who holds one may open that invoice until it expires.

The signature is HMAC-SHA256, keyed with the server's secret (``GENINVOICES_INVOICE_LINK_SECRET``),
over the invoice id and the expiry; it is compared in constant time. Without a secret there
are no links: ``sign`` refuses and ``verify`` refuses every link.
"""

from __future__ import annotations

import hashlib
import hmac

from ..errors import LinkRefused


def _mac(secret: str, invoice_id: int, expires: int) -> str:
    message = f"invoice:{invoice_id}:{expires}".encode("ascii")
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def sign(secret: str, invoice_id: int, now: int, lifetime: int) -> dict[str, str]:
    """The query parameters of a link to the invoice valid for ``lifetime`` seconds."""
    if not secret:
        raise LinkRefused("invoice links need GENINVOICES_INVOICE_LINK_SECRET")
    expires = now + lifetime
    return {"expires": str(expires), "signature": _mac(secret, invoice_id, expires)}


def verify(secret: str, invoice_id: int, expires: str, signature: str, now: int) -> None:
    """Raise LinkRefused unless the signature is ours for this invoice and not expired."""
    if not secret or not expires.isascii() or not expires.isdigit() or len(expires) > 12:
        raise LinkRefused()
    wanted = _mac(secret, invoice_id, int(expires))
    if not hmac.compare_digest(wanted.encode("ascii"), signature.encode("utf-8", "replace")):
        raise LinkRefused()
    if int(expires) < now:
        raise LinkRefused()


def link(base_url: str, invoice_id: int, query: dict[str, str], *, pdf: bool = True) -> str:
    suffix = ".pdf" if pdf else ""
    params = "&".join(f"{k}={v}" for k, v in query.items())
    return f"{base_url.rstrip('/')}/invoices/{invoice_id}{suffix}?{params}"
