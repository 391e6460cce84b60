"""The WHMCS API contract: one module per action, registered by name in ``registry``."""

from . import (  # noqa: F401
               add_billable_item,
               add_cancel_request,
               add_invoice_payment,
               gen_invoices,
               get_clients_addons,
               get_clients_domains,
               get_clients_products,
               get_configuration_value,
               get_invoice,
               get_invoices,
               update_client_addon,
               update_client_domain,
               update_client_product,
)
from .registry import ACTIONS, Context, find  # noqa: F401
