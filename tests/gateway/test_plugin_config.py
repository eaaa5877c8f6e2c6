"""``PluginHost.config_for(name, Dataclass)``: a plugin's plugins.toml table parsed once into a
frozen dataclass, every mistake refused with the plugin's name and the key."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from gateway.plugins import PluginError, PluginHost, PluginSpec, parse_config
from gateway.settings import Settings


@dataclass(frozen=True)
class Shape:
    days: int = 30
    ratio: float = 0.5
    enabled: bool = False
    label: str = ""
    folder: Path = Path("var")
    per_reseller: dict[int, int] = field(default_factory=dict)
    codes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.days < 1:
            raise ValueError("days must be at least 1")


def test_values_are_coerced_to_the_fields_types() -> None:
    parsed = parse_config("demo", Shape, {
        "days": "45", "ratio": 2, "enabled": True, "label": 12, "folder": "/tmp/x",
        "per_reseller": {"7": "90"}, "codes": ["A", "B"]})
    assert parsed == Shape(days=45, ratio=2.0, enabled=True, label="12", folder=Path("/tmp/x"),
                           per_reseller={7: 90}, codes=["A", "B"])
    assert parse_config("demo", Shape, {}) == Shape()


@pytest.mark.parametrize(("raw", "message"), [
    ({"dayz": 1}, r"^plugin 'demo': unknown config key 'dayz' \(known: codes, days, "),
    ({"days": "soon"}, r"^plugin 'demo': config key 'days' must be a whole number, not 'soon'"),
    ({"days": 1.5}, r"^plugin 'demo': config key 'days' must be a whole number, not 1.5"),
    ({"days": True}, r"^plugin 'demo': config key 'days' must be a whole number, not True"),
    ({"enabled": "yes"}, r"^plugin 'demo': config key 'enabled' must be true or false"),
    ({"per_reseller": {"x": 1}}, r"^plugin 'demo': config key 'per_reseller' must be "),
    ({"codes": "A"}, r"^plugin 'demo': config key 'codes' must be "),
    ({"days": 0}, r"^plugin 'demo': days must be at least 1$"),
])
def test_mistakes_name_the_plugin_and_the_key(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(PluginError, match=message):
        parse_config("demo", Shape, raw)


def test_the_host_parses_once_and_resolves_the_environment(
        settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEMO_DAYS", "12")
    host = PluginHost(settings, specs=[PluginSpec(
        name="demo", module="tests.support.hooks_plugin", source="built in",
        config={"days": {"$env": "DEMO_DAYS"}})])
    first = host.config_for("demo", Shape)
    assert first.days == 12
    assert host.config_for("demo", Shape) is first  # cached: parsed once
    assert host.config_for("demo") == {"days": "12"}  # the raw table is still there
    assert host.config_for("absent", Shape) == Shape()
