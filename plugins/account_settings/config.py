"""The account settings plugin's settings, from ``[plugins.account_settings] config``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gateway.api import PluginHost

PLUGIN_NAME = "account_settings"


@dataclass(frozen=True)
class AccountSettingsConfig:
    # Seeds: the IP phone provisioning FTP site is set by the system administrator.
    provisioning_ftp_site: str = ""
    # Where voicemails and faxes are kept; empty = <var dir>/mailbox.
    mailbox_dir: str = ""
    # The largest voicemail or fax the platform may upload.
    mailbox_upload_max_bytes: int = 20 * 1024 * 1024

    def mailbox_path(self, host: PluginHost) -> Path:
        if self.mailbox_dir:
            return Path(self.mailbox_dir)
        return Path(host.settings.var_dir) / "mailbox"


def config_of(host: PluginHost) -> AccountSettingsConfig:
    """The plugin's settings, parsed once (a bad key or value stops start-up, naming it)."""
    return host.config_for(PLUGIN_NAME, AccountSettingsConfig)
