"""The real app with every plugin of plugins.toml, and the two resellers of world.py."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gateway.plugins import PluginHost, read_plugin_specs
from tests.conftest import ROOT, Gateway, make_settings, start_gateway
from tests.hostile.world import World, build_world

JOB_OPTIONS = {"relay_interval": 0.05, "scheduler_tick": 0.2, "in_process_workers": True}


@pytest.fixture
async def full_gateway(migrated: str, tmp_path: Path) -> AsyncIterator[Gateway]:
    settings = make_settings(migrated, tmp_path)
    host = PluginHost(settings, specs=read_plugin_specs(ROOT / "plugins.toml", ()))
    async for running in start_gateway(settings, host=host, job_options=JOB_OPTIONS):
        yield running


@pytest.fixture
async def world(full_gateway: Gateway) -> World:
    return await build_world(full_gateway)
