"""The provisioning plugin's settings, from ``[plugins.provisioning] config`` in plugins.toml."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.api import PluginHost

PLUGIN_NAME = "provisioning"


@dataclass(frozen=True)
class ProvisioningConfig:
    # The built-in recorder: writes down, in fr and en, what a real PBX would have been told.
    recorder: bool = True
    # Attempts of one delivery job (a provisioner raising, a timeout), then the operation is
    # FAILED and shown on the account until staff retry it; the first delay between two
    # attempts (doubling, with jitter).
    max_attempts: int = 8
    backoff_seconds: float = 30.0
    # Seconds one provisioner may take on one operation before the attempt counts as failed.
    timeout_seconds: float = 60.0

    def __post_init__(self) -> None:
        if not 1 <= self.max_attempts <= 20:
            raise ValueError("max_attempts must be between 1 and 20")
        if self.backoff_seconds < 0 or self.timeout_seconds <= 0:
            raise ValueError("backoff_seconds must be >= 0 and timeout_seconds > 0")


def config_of(host: PluginHost) -> ProvisioningConfig:
    """The plugin's settings, parsed once (a bad key or value stops start-up, naming it)."""
    return host.config_for(PLUGIN_NAME, ProvisioningConfig)
