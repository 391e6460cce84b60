"""The WHMCS API contract: one module per action, registered by name in ``registry``."""

from . import add_invoice_payment, gen_invoices, get_configuration_value, get_invoice, get_invoices  # noqa: F401
from .registry import ACTIONS, Context, find  # noqa: F401
