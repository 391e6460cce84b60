"""The WHMCS API contract: one module per action, registered by name in ``registry``."""

from . import (  # noqa: F401
               accept_order,
               add_billable_item,
               add_invoice_payment,
               add_order,
               cancel_order,
               gen_invoices,
               get_configuration_value,
               get_invoice,
               get_invoices,
               get_orders,
)
from .registry import ACTIONS, Context, find  # noqa: F401
