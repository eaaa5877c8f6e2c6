"""What other plugins may use of the account settings plugin (``requires =
["account_settings"]``): an account's Options (extension ranges), the extensions it reserves,
and how a user is given an extension."""

from __future__ import annotations

from plugins.account_settings.extensions import assign_user_extension, range_of
from plugins.account_settings.models import AccountOptions, ExtensionKind, ExtensionReservation
from plugins.account_settings.options import get_options

__all__ = ["AccountOptions", "ExtensionKind", "ExtensionReservation", "assign_user_extension",
           "get_options", "range_of"]
