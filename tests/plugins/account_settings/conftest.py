"""Fixtures of the account settings tests: the real app with every plugin of plugins.toml,
test transcription providers and a provisioning FTP site, and helpers to call it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from strawberry.relay import to_base64

from gateway.identity.models import Account, BillingStatus
from gateway.plugins import PluginHost, PluginSpec, read_plugin_specs
from tests.conftest import ROOT, Gateway, make_settings, start_gateway
from tests.gateway.test_email import SmtpServer, smtp_server  # noqa: F401  (fixture)
from tests.support.identity_factory import Tenant, bearer_for, make_tenant

FTP_SITE = "ftp://provisioning.example.test"


def settings_host(settings: Any) -> PluginHost:
    specs = read_plugin_specs(ROOT / "plugins.toml", ())
    for spec in specs:
        if spec.name == "account_settings":
            spec.config = {**spec.config, "provisioning_ftp_site": FTP_SITE}
    specs.append(PluginSpec(name="transcription_providers",
                            module="tests.plugins.account_settings.providers_plugin",
                            source="built in"))
    specs.append(PluginSpec(name="number_provisioning",
                            module="tests.plugins.account_settings.provisioning_plugin",
                            source="built in"))
    return PluginHost(settings, specs=specs)


@pytest.fixture
async def options_gateway(migrated: str, tmp_path: Path,
                          smtp_server: SmtpServer) -> AsyncIterator[Gateway]:  # noqa: F811
    settings = make_settings(migrated, tmp_path,
                             email_url=f"smtp://127.0.0.1:{smtp_server.port}")
    async for running in start_gateway(settings, host=settings_host(settings), job_options={
            "relay_interval": 0.05, "scheduler_tick": 0.2, "in_process_workers": True}):
        running.smtp = smtp_server  # type: ignore[attr-defined]
        yield running


class World:
    """A tenant in production, another reseller's tenant, and the callers' headers."""

    def __init__(self, gateway: Gateway, tenant: Tenant, other: Tenant,
                 headers: dict[str, dict[str, str]]) -> None:
        self.gateway = gateway
        self.tenant = tenant
        self.other = other
        self.headers = headers
        self.company_id = to_base64("Account", tenant.company.id)
        self.professional_id = to_base64("Account", tenant.professional_account.id)
        self.other_company_id = to_base64("Account", other.company.id)

    async def call(self, who: str, query: str, variables: dict[str, Any] | None = None
                   ) -> dict[str, Any]:
        result = await self.gateway.graphql(query, variables or {}, **self.headers[who])
        assert "errors" not in result, result
        return result["data"]  # type: ignore[no-any-return]


W = TypeVar("W", bound=World)


async def production_world(gateway: Gateway, kind: type[W] = World,  # type: ignore[assignment]
                           names: tuple[str, str] = ("Alpha Options", "Beta Options")) -> W:
    """Two resellers' tenants in production (a free trial refuses numbers and options) and
    the headers of their callers."""
    tenant = await make_tenant(names[0])
    other = await make_tenant(names[1])
    for account in (tenant.company, tenant.professional_account, other.company):
        await Account.filter(id=account.id).update(billing_status=BillingStatus.IN_PRODUCTION)
    headers = {
        "staff": await bearer_for(tenant.admin),
        "company admin": await bearer_for(tenant.company_admin),
        "employee": await bearer_for(tenant.employee),
        "professional": await bearer_for(tenant.professional),
        "other staff": await bearer_for(other.admin),
        "other company admin": await bearer_for(other.company_admin),
    }
    return kind(gateway, tenant, other, headers)


@pytest.fixture
async def world(options_gateway: Gateway) -> World:
    return await production_world(options_gateway)
