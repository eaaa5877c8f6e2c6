"""What other plugins may use of the clients plugin (``requires = ["clients"]``): test mode
("Compte en mode test": no email, no call leaves for the account), the free-trial guard, and
the line a billing plugin's invoice preview returns."""

from __future__ import annotations

from plugins.clients.services import (
    InvoiceLine,
    ensure_can_add_numbers_and_options,
    is_test_mode,
    set_test_mode,
)

__all__ = ["InvoiceLine", "ensure_can_add_numbers_and_options", "is_test_mode",
           "set_test_mode"]
