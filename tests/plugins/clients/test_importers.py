"""Import is not offered, but importer plugins can add it: their records become drafts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gateway.contributions import Principal
from gateway.plugins import PluginSpec
from plugins.clients.config import ClientsConfig
from plugins.clients.importers import import_as_drafts
from plugins.clients.models import SignupDraft, SignupStatus
from schema.permissions import Role
from tests.conftest import Gateway, make_settings, start_gateway
from tests.plugins.clients.conftest import JOB_OPTIONS, clients_host
from tests.support.identity_factory import bearer_for, make_tenant

NAMES = "{ accountImporters }"


async def test_no_importer_is_offered_by_default(gateway: Gateway) -> None:
    tenant = await make_tenant()
    result = await gateway.graphql(NAMES, **await bearer_for(tenant.admin))
    assert result == {"data": {"accountImporters": []}}


@pytest.fixture
async def importer_gateway(migrated: str, tmp_path: Path) -> AsyncIterator[Gateway]:
    settings = make_settings(migrated, tmp_path)
    host = clients_host(settings, extra=(PluginSpec(
        name="lines", module="tests.plugins.clients.importer_plugin", source="built in"),))
    async for running in start_gateway(settings, host=host, job_options=JOB_OPTIONS):
        yield running


async def test_an_importer_plugin_fills_drafts_the_reseller_then_reviews(
    importer_gateway: Gateway,
) -> None:
    tenant = await make_tenant()
    result = await importer_gateway.graphql(NAMES, **await bearer_for(tenant.admin))
    assert result == {"data": {"accountImporters": ["lines"]}}

    host = importer_gateway.app.state.host
    principal = Principal(role=Role.RESELLER_ADMIN, user_id=tenant.admin.id,
                          reseller_id=tenant.reseller.id)
    source = (b"Clinique Nord;info@nord.test;America/Montreal\n"
              b"Sans Courriel;pas-une-adresse;America/Toronto\n")
    imported = await import_as_drafts(principal, "lines", source, host=host,
                                      config=ClientsConfig.from_host(host))
    assert [d.data["customer"]["name"] for d in imported.drafts] == ["Clinique Nord"]
    assert [(p.code.value, p.field) for p in imported.rejected[1]] == [
        ("INVALID", ["input", "customer", "email"])]
    draft = await SignupDraft.get(id=imported.drafts[0].id)
    # Drafts only: nothing becomes an account, and the importer cannot pick a billing status.
    assert draft.status == SignupStatus.OPEN
    assert draft.reseller_id == tenant.reseller.id  # type: ignore[attr-defined]
    assert "activation" not in draft.data
    with pytest.raises(LookupError):
        await import_as_drafts(principal, "nope", b"", host=host,
                               config=ClientsConfig.from_host(host))
