"""A running gateway with the test plugins that expose the shared schema pieces: who calls comes
from test headers (tests.support.principal_plugin), scalars and a connection from
tests.support.schema_plugin."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gateway.plugins import PluginHost, PluginSpec
from tests.conftest import Gateway, make_settings, start_gateway
from tests.support.principal_plugin import RESELLER_HEADER, ROLE_HEADER

MAX_PAGE_SIZE = 5

PROBE_SPECS = [
    PluginSpec(name="test_principal", module="tests.support.principal_plugin", source="built in"),
    PluginSpec(name="schema_probe", module="tests.support.schema_plugin", source="built in"),
]


def as_role(role: str, reseller_id: int | None = None, **headers: str) -> dict[str, str]:
    """Headers that make the test principal plugin sign the request in with ``role``."""
    values = {ROLE_HEADER: role, **headers}
    if reseller_id is not None:
        values[RESELLER_HEADER] = str(reseller_id)
    return values


@pytest.fixture
async def probe_gateway(migrated: str, tmp_path: Path) -> AsyncIterator[Gateway]:
    settings = make_settings(migrated, tmp_path, max_page_size=MAX_PAGE_SIZE)
    host = PluginHost(settings, specs=list(PROBE_SPECS))
    async for running in start_gateway(settings, host=host, run_jobs=False):
        yield running
