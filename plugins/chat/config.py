"""The plugin's name and its settings (plugins.toml ``[plugins.chat] config``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

PLUGIN_NAME = "chat"


def _clock(value: str, key: str) -> int:
    """``"HH:MM"`` as minutes since midnight (``"24:00"`` allowed), else ValueError naming key."""
    if value == "24:00":
        return 24 * 60
    try:
        moment = dt.time.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{key} must be a time HH:MM, not {value!r}") from None
    return moment.hour * 60 + moment.minute


@dataclass(frozen=True)
class ChatConfig:
    """Read once with ``gateway.config_for(PLUGIN_NAME, ChatConfig)``: values are coerced to
    these types, and an unknown key or a bad value stops start-up naming the plugin."""

    # The zone a reseller's schedules are read in until it picks one.
    default_time_zone: str = "America/Toronto"
    # The schedules created with a reseller, per language (local times, HH:MM).
    working_hours_start: str = "09:00"  # "En semaine", Monday to Friday, open
    working_hours_end: str = "17:00"
    lunch_break_start: str = "12:00"  # "Pause-repas", closed, when added
    lunch_break_end: str = "13:00"
    # Caps, per reseller and language.
    max_custom_schedules: int = 50
    max_special_events: int = 500
    # How far ahead "when does it next change" looks (days).
    lookahead_days: int = 400

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.default_time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"default_time_zone is not a known time zone: "
                             f"{self.default_time_zone!r}") from None
        for start, end in (("working_hours_start", "working_hours_end"),
                           ("lunch_break_start", "lunch_break_end")):
            if _clock(getattr(self, start), start) >= _clock(getattr(self, end), end):
                raise ValueError(f"{start} must be before {end}")
        for key in ("max_custom_schedules", "max_special_events"):
            if not 1 <= getattr(self, key) <= 10_000:
                raise ValueError(f"{key} must be between 1 and 10000")
        if not 8 <= self.lookahead_days <= 3660:
            raise ValueError("lookahead_days must be between 8 and 3660")

    def minutes(self, key: str) -> int:
        """One of the HH:MM settings as minutes since midnight."""
        return _clock(getattr(self, key), key)
