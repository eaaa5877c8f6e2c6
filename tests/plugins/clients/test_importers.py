"""Providers other plugins offer the clients plugin: account importers (import is not
offered, importer plugins add it: their records become drafts) and the invoice preview."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gateway.api import Principal, Role
from gateway.plugins import PluginSpec
from plugins.clients.config import PLUGIN_NAME, ClientsConfig
from plugins.clients.importers import import_as_drafts
from plugins.clients.models import SignupDraft, SignupStatus
from tests.conftest import Gateway, make_settings, start_gateway
from tests.plugins.clients.conftest import JOB_OPTIONS, clients_host
from tests.support.identity_factory import bearer_for, make_tenant

NAMES = "{ accountImporters }"


async def test_no_importer_is_offered_by_default(gateway: Gateway) -> None:
    tenant = await make_tenant()
    result = await gateway.graphql(NAMES, **await bearer_for(tenant.admin))
    assert result == {"data": {"accountImporters": []}}


@pytest.fixture
async def providers_gateway(migrated: str, tmp_path: Path) -> AsyncIterator[Gateway]:
    settings = make_settings(migrated, tmp_path)
    host = clients_host(settings, extra=(PluginSpec(
        name="lines", module="tests.plugins.clients.providers_plugin", source="built in"),))
    async for running in start_gateway(settings, host=host, job_options=JOB_OPTIONS):
        yield running


async def test_an_importer_plugin_fills_drafts_the_reseller_then_reviews(
    providers_gateway: Gateway,
) -> None:
    tenant = await make_tenant()
    result = await providers_gateway.graphql(NAMES, **await bearer_for(tenant.admin))
    assert result == {"data": {"accountImporters": ["lines"]}}

    host = providers_gateway.app.state.host
    principal = Principal(role=Role.RESELLER_ADMIN, user_id=tenant.admin.id,
                          reseller_id=tenant.reseller.id)
    source = (b"Clinique Nord;info@nord.test;America/Montreal\n"
              b"Sans Courriel;pas-une-adresse;America/Toronto\n")
    imported = await import_as_drafts(principal, "lines", source, host=host,
                                      config=host.config_for(PLUGIN_NAME, ClientsConfig))
    assert [d.data["customer"]["name"] for d in imported.drafts] == ["Clinique Nord"]
    assert [(p.code.value, p.field) for p in imported.rejected[1]] == [
        ("INVALID", ["input", "customer", "email"])]
    draft = await SignupDraft.get(id=imported.drafts[0].id)
    # Drafts only: nothing becomes an account, and the importer cannot pick a billing status.
    assert draft.status == SignupStatus.OPEN
    assert draft.reseller_id == tenant.reseller.id
    assert "activation" not in draft.data
    with pytest.raises(LookupError):
        await import_as_drafts(principal, "nope", b"", host=host,
                               config=host.config_for(PLUGIN_NAME, ClientsConfig))


async def test_a_billing_plugin_prices_the_invoice_preview(providers_gateway: Gateway) -> None:
    tenant = await make_tenant()
    preview = await providers_gateway.graphql(
        "query($id: ID!) { invoicePreview(accountId: $id) { lines { description quantity "
        "amount { amount currency } } total { amount currency } } }",
        {"id": tenant.company.id}, **await bearer_for(tenant.admin))
    assert preview["data"]["invoicePreview"] == {
        "lines": [
            {"description": f"Forfait {tenant.company.name}", "quantity": 1,
             "amount": {"amount": "19.95", "currency": "CAD"}},
            {"description": "Numéro local", "quantity": 2,
             "amount": {"amount": "5.00", "currency": "CAD"}},
        ],
        "total": {"amount": "29.95", "currency": "CAD"},
    }
