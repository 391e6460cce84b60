"""geninvoices: a WHMCS-compatible billing API server."""

__version__ = "0.1.0"
