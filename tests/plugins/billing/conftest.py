"""The billing tests' ``gateway``: the real app as the suite's, with the billing cycle closed
only when a test says so. The hourly close job would otherwise close the cycle due (between the
20th and the 27th) in the middle of a test, on accounts the tests date back."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from gateway.plugins import PluginHost, read_plugin_specs
from gateway.settings import Settings
from tests.conftest import Gateway, start_gateway


def quiet_host(settings: Settings) -> PluginHost:
    """The plugins the app loads by default, billing's automatic close turned off."""
    specs = read_plugin_specs(settings.plugins_file, settings.load_plugins)
    for spec in specs:
        if spec.name == "billing":
            spec.config = {**spec.config, "close_automatically": False}
    return PluginHost(settings, specs=specs)


@pytest.fixture
async def gateway(migrated: str, settings: Settings) -> AsyncIterator[Gateway]:
    async for running in start_gateway(
        settings, host=quiet_host(settings),
        job_options={"relay_interval": 0.05, "scheduler_tick": 0.2, "in_process_workers": True},
    ):
        yield running
