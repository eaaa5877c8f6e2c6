"""The clients plugin's settings, from ``[plugins.clients] config`` in plugins.toml."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from gateway.plugins import PluginError

PLUGIN_NAME = "clients"


@dataclass(frozen=True)
class ClientsConfig:
    # Seeds: an unsubscribed account is kept 90 days, then archived and deleted.
    purge_after_days: int = 90
    # Seeds: a free trial lasts 15 to 90 days, 30 by default.
    trial_days_default: int = 30
    # How long the sign-up link emailed to a client works.
    signup_link_days: int = 14
    # The page of the web client that opens a sign-up link; default {PUBLIC_URL}/signup.
    signup_url: str = ""
    # A PDF export is drawn in a job at about 3,000 rows a second (python -m bench.exports):
    # beyond this, CSV.
    pdf_max_rows: int = 100_000
    # How long a download URL of an export works, and how long export files are kept.
    download_url_minutes: int = 15
    export_retention_hours: int = 24
    # How often the purge looks for accounts past their retention.
    purge_every_seconds: int = 3600

    @classmethod
    def from_host(cls, host: Any) -> ClientsConfig:
        raw = host.config_for(PLUGIN_NAME) if host is not None else {}
        known = {f.name: f.type for f in fields(cls)}
        values: dict[str, Any] = {}
        for key, value in raw.items():
            if key not in known:
                raise PluginError(f"plugin 'clients': unknown config key {key!r}")
            values[key] = str(value) if key == "signup_url" else int(value)
        config = cls(**values)
        if not 15 <= config.trial_days_default <= 90:
            raise PluginError("plugin 'clients': trial_days_default must be 15 to 90 (seeds)")
        if config.purge_after_days < 1:
            raise PluginError("plugin 'clients': purge_after_days must be at least 1")
        return config
