"""The WHMCS API contract: one module per action, registered by name in ``registry``."""

from . import gen_invoices, get_configuration_value  # noqa: F401  (register the actions)
from .registry import ACTIONS, Context, find  # noqa: F401
