"""Fixtures of the provisioning tests: the real gateway with every plugin of plugins.toml
(provisioning among them, retrying fast) and a stand-in PBX plugin implementing
``gateway_provision``; jobs really run through the outbox and Dramatiq (the memory broker
in-process, or Redis with TEST_BROKER_URL)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from gateway.identity.models import UserRole
from gateway.plugins import PluginHost, PluginSpec, read_plugin_specs
from plugins.provisioning.models import Operation, OperationStatus
from tests.conftest import ROOT, Gateway, make_settings, start_gateway
from tests.plugins.provisioning import pbx_plugin
from tests.support.identity_factory import Tenant, bearer_for, make_tenant, make_user

JOB_OPTIONS = {"relay_interval": 0.05, "scheduler_tick": 0.2, "in_process_workers": True}
MAX_ATTEMPTS = 3


def provisioning_host(settings: Any, **config: Any) -> PluginHost:
    """plugins.toml's plugins, provisioning retrying at once (``config`` overrides), and the
    stand-in PBX."""
    specs = read_plugin_specs(ROOT / "plugins.toml", ())
    for spec in specs:
        if spec.name == "provisioning":
            spec.config = {**spec.config, "max_attempts": MAX_ATTEMPTS,
                           "backoff_seconds": 0.01, "timeout_seconds": 5, **config}
    specs.append(PluginSpec(name=pbx_plugin.PLUGIN_NAME,
                            module="tests.plugins.provisioning.pbx_plugin", source="built in"))
    return PluginHost(settings, specs=specs)


@dataclass
class World:
    gateway: Gateway
    host: PluginHost
    tenant: Tenant
    other: Tenant
    headers: dict[str, dict[str, str]]

    async def graphql(self, who: str, query: str, **variables: Any) -> dict[str, Any]:
        result = await self.gateway.graphql(query, variables, **self.headers[who])
        assert "errors" not in result, result
        return result["data"]  # type: ignore[no-any-return]


async def make_world(gateway: Gateway) -> World:
    tenant = await make_tenant("Alpha Ravitaillement")
    other = await make_tenant("Beta Provisioning")
    tenant.reseller.phone_system = "Asterisk"
    tenant.reseller.default_provider = "Telus"
    await tenant.reseller.save()
    sysadmin = await make_user(UserRole.SYSTEM_ADMIN)
    tenant.company_admin.language = "fr"  # reads the messages in French
    await tenant.company_admin.save()
    headers = {
        "staff": await bearer_for(tenant.admin),
        "company admin": await bearer_for(tenant.company_admin),
        "employee": await bearer_for(tenant.employee),
        "professional": await bearer_for(tenant.professional),
        "other staff": await bearer_for(other.admin),
        "sysadmin": await bearer_for(sysadmin),
    }
    return World(gateway, gateway.app.state.host, tenant, other, headers)


@pytest.fixture
async def world(migrated: str, tmp_path: Path) -> AsyncIterator[World]:
    pbx_plugin.reset()
    settings = make_settings(migrated, tmp_path)
    host = provisioning_host(settings)
    async for running in start_gateway(settings, host=host, job_options=JOB_OPTIONS):
        world = await make_world(running)
        world.host = host
        yield world


async def settled(account_id: int, timeout: float = 30.0) -> list[Operation]:
    """The account's operations, oldest first, once none is PENDING."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        rows = await Operation.filter(account_id=account_id).order_by("id")
        if rows and all(row.status != OperationStatus.PENDING for row in rows):
            return rows
        assert asyncio.get_running_loop().time() < deadline, f"still pending: {rows}"
        await asyncio.sleep(0.05)
