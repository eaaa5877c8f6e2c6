"""The account settings plugin's settings, from ``[plugins.account_settings] config``."""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from gateway.plugins import PluginError

PLUGIN_NAME = "account_settings"


@dataclass(frozen=True)
class AccountSettingsConfig:
    # Seeds: the IP phone provisioning FTP site is set by the system administrator.
    provisioning_ftp_site: str = ""
    # Where voicemails and faxes are kept; empty = <var dir>/mailbox.
    mailbox_dir: str = ""
    # The largest voicemail or fax the platform may upload.
    mailbox_upload_max_bytes: int = 20 * 1024 * 1024

    def mailbox_path(self, host: Any) -> Path:
        if self.mailbox_dir:
            return Path(self.mailbox_dir)
        return Path(host.settings.var_dir) / "mailbox"

    @classmethod
    def from_host(cls, host: Any) -> AccountSettingsConfig:
        raw = host.config_for(PLUGIN_NAME) if host is not None else {}
        known = {f.name for f in fields(cls)}
        for key in raw:
            if key not in known:
                raise PluginError(f"plugin 'account_settings': unknown config key {key!r}")
        kinds = {f.name: f.type for f in fields(cls)}
        try:
            return cls(**{k: int(v) if kinds[k] == "int" else str(v) for k, v in raw.items()})
        except (TypeError, ValueError) as error:
            raise PluginError(f"plugin 'account_settings': bad config value: {error}") from None
