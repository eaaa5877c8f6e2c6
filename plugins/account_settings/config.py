"""The account settings plugin's settings, from ``[plugins.account_settings] config``."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from gateway.plugins import PluginError

PLUGIN_NAME = "account_settings"


@dataclass(frozen=True)
class AccountSettingsConfig:
    # Seeds: the IP phone provisioning FTP site is set by the system administrator.
    provisioning_ftp_site: str = ""

    @classmethod
    def from_host(cls, host: Any) -> AccountSettingsConfig:
        raw = host.config_for(PLUGIN_NAME) if host is not None else {}
        known = {f.name for f in fields(cls)}
        for key in raw:
            if key not in known:
                raise PluginError(f"plugin 'account_settings': unknown config key {key!r}")
        return cls(**{k: str(v) for k, v in raw.items()})
