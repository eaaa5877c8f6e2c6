"""The restrictions plugin's settings, from ``[plugins.restrictions] config`` in plugins.toml,
read once at start-up with ``gateway.config_for(PLUGIN_NAME, RestrictionsConfig)``."""

from __future__ import annotations

from dataclasses import dataclass

PLUGIN_NAME = "restrictions"


@dataclass(frozen=True)
class RestrictionsConfig:
    # Seconds between two reads of the rules' version stamp; 0: before every decision.
    check_interval: float = 0.0

    def __post_init__(self) -> None:
        if self.check_interval < 0:
            raise ValueError(f"check_interval must be a number of seconds >= 0, not "
                             f"{self.check_interval!r}")
