"""The WHMCS API contract: one module per action, registered by name in ``registry``."""

from . import get_configuration_value  # noqa: F401  (registers the action)
from .registry import ACTIONS, Context, find  # noqa: F401
