"""The WHMCS API contract: one module per action, registered by name in ``registry``."""

from . import (  # noqa: F401
               add_billable_item,
               add_client,
               add_invoice_payment,
               close_client,
               gen_invoices,
               get_clients,
               get_clients_details,
               get_configuration_value,
               get_invoice,
               get_invoices,
               update_client,
)
from .registry import ACTIONS, Context, find  # noqa: F401
