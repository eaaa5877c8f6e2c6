"""The callcenter plugin's settings, from ``[plugins.callcenter] config`` in plugins.toml, read
with ``gateway.config_for(PLUGIN_NAME, CallCenterConfig)`` (parsed once, checked at start-up)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from gateway.api import PluginHost, RecipientPolicy

PLUGIN_NAME = "callcenter"


@dataclass(frozen=True)
class CallCenterConfig:
    # Seed: the portal shows the last sixty days; a reseller may keep more or less
    # (``reseller_retention_days = { "<reseller id>" = N }``).
    retention_days: int = 60
    reseller_retention_days: dict[int, int] = field(default_factory=dict)
    # How long a signed recording or export URL works.
    download_url_minutes: int = 15
    # Where relative recording paths are read from; default <VAR_DIR>/recordings.
    recordings_dir: str = ""
    # Downloads of one report URL in its lifetime, and from one client address a minute
    # (more answer 429); the file is built once per URL and served again from disk.
    downloads_per_url: int = 20
    downloads_per_address_minute: int = 60
    # Largest page of the recorder, the messages and the billable calls.
    max_page_size: int = 200
    # Largest upload through HTTP (the CLI has no limit).
    upload_max_bytes: int = 50 * 1024 * 1024
    # Rows of one XLSX/CSV export or emailed report.
    export_max_rows: int = 100_000
    # Emailed reports (gateway.api.check_recipients): addresses per email, and recipients per
    # hour for one user and for one account (or the reseller's staff together).
    email_max_recipients: int = 10
    email_recipients_per_user_hour: int = 100
    email_recipients_per_account_hour: int = 300

    def __post_init__(self) -> None:
        if self.retention_days < 1 or any(v < 1 for v in self.reseller_retention_days.values()):
            raise ValueError("retention days must be at least 1")

    @property
    def recipient_policy(self) -> RecipientPolicy:
        return RecipientPolicy(self.email_max_recipients, self.email_recipients_per_user_hour,
                               self.email_recipients_per_account_hour, "callcenter.report")

    def retention_for(self, reseller_id: int | None) -> int:
        return self.reseller_retention_days.get(reseller_id or 0, self.retention_days)

    def recordings_path(self, host: PluginHost) -> Path:
        if self.recordings_dir:
            return Path(self.recordings_dir)
        return Path(host.settings.var_dir) / "recordings"
