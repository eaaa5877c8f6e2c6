"""The callcenter plugin's settings, from ``[plugins.callcenter] config`` in plugins.toml."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from gateway.plugins import PluginError

PLUGIN_NAME = "callcenter"


@dataclass(frozen=True)
class CallCenterConfig:
    # Seed: the portal shows the last sixty days; a reseller may keep more or less.
    retention_days: int = 60
    reseller_retention_days: dict[int, int] = field(default_factory=dict)
    # How long a signed recording or export URL works.
    download_url_minutes: int = 15
    # Where relative recording paths are read from; default <VAR_DIR>/recordings.
    recordings_dir: str = ""
    # Largest page of the recorder and the messages.
    max_page_size: int = 200
    # Largest upload through HTTP (the CLI has no limit).
    upload_max_bytes: int = 50 * 1024 * 1024
    # Rows of one XLSX/CSV export or emailed report.
    export_max_rows: int = 100_000

    @classmethod
    def from_host(cls, host: Any) -> CallCenterConfig:
        raw = host.config_for(PLUGIN_NAME) if host is not None else {}
        known = {f.name for f in fields(cls)}
        values: dict[str, Any] = {}
        for key, value in raw.items():
            if key not in known:
                raise PluginError(f"plugin 'callcenter': unknown config key {key!r}")
            if key == "recordings_dir":
                values[key] = str(value)
            elif key == "reseller_retention_days":
                values[key] = {int(k): int(v) for k, v in dict(value).items()}
            else:
                values[key] = int(value)
        config = cls(**values)
        if config.retention_days < 1 or any(v < 1 for v in config.reseller_retention_days.values()):
            raise PluginError("plugin 'callcenter': retention days must be at least 1")
        return config

    def retention_for(self, reseller_id: int | None) -> int:
        return self.reseller_retention_days.get(reseller_id or 0, self.retention_days)

    def recordings_path(self, host: Any) -> Path:
        if self.recordings_dir:
            return Path(self.recordings_dir)
        return Path(host.settings.var_dir) / "recordings"
