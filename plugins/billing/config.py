"""The plugin's name and its settings (plugins.toml ``[plugins.billing] config``)."""

from __future__ import annotations

from dataclasses import dataclass

PLUGIN_NAME = "billing"


@dataclass(frozen=True)
class BillingConfig:
    """Read once with ``gateway.config_for(PLUGIN_NAME, BillingConfig)``: values are coerced
    to these types, and an unknown key or a bad value stops start-up naming the plugin."""

    close_day: int = 20  # the day of the month a cycle closes (20th -> 19th by default)
    default_currency: str = "CAD"  # of a reseller without billing settings yet
    # The hourly job closes the cycle due on the close day (false: only by hand, with
    # `gateway billing close-cycle` or the closeBillingCycle mutation).
    close_automatically: bool = True

    def __post_init__(self) -> None:
        if not 1 <= self.close_day <= 28:
            raise ValueError(f"close_day must be between 1 and 28, not {self.close_day}")
        if len(self.default_currency) != 3 or not self.default_currency.isalpha() \
                or not self.default_currency.isupper():
            raise ValueError(f"default_currency must be an ISO 4217 code such as CAD, not "
                             f"{self.default_currency!r}")
