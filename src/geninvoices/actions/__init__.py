"""The WHMCS API contract: one module per action, registered by name in ``registry``."""

from . import (  # noqa: F401
               accept_order,
               add_billable_item,
               add_client,
               add_invoice_payment,
               add_order,
               add_product,
               cancel_order,
               close_client,
               create_or_update_tld,
               gen_invoices,
               get_clients,
               get_clients_details,
               get_configuration_value,
               get_currencies,
               get_invoice,
               get_invoices,
               get_orders,
               get_payment_methods,
               get_products,
               update_client,
)
from .registry import ACTIONS, Context, find  # noqa: F401
