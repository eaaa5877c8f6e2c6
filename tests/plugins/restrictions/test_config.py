"""The plugin's setting: ``check_interval`` read once at start-up, a bad value refused with the
plugin's name."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.plugins import PluginError, PluginHost, PluginSpec
from plugins.restrictions import plugin, services


def _host(settings: Any, **config: Any) -> PluginHost:
    return PluginHost(settings, specs=[
        PluginSpec(name="clients", module="plugins.clients.plugin", source="built in"),
        PluginSpec(name="restrictions", module="plugins.restrictions.plugin",
                   source="built in", requires=["clients"], config=config),
    ])


def test_check_interval_is_set_at_start_up_and_a_bad_one_is_refused(
        settings: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(services.CACHE, "check_interval", 0.0)
    plugin.gateway_startup(_host(settings, check_interval=2.5))
    assert services.CACHE.check_interval == 2.5
    for bad in (-1, "soon", True):
        with pytest.raises(PluginError, match=r"^plugin 'restrictions': .*check_interval"):
            plugin.gateway_startup(_host(settings, check_interval=bad))
    with pytest.raises(PluginError, match=r"^plugin 'restrictions': unknown config key"):
        plugin.gateway_startup(_host(settings, check_intervals=1))
