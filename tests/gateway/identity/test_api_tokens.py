"""API tokens: a reseller admin creates one (shown once), lists and revokes it; tenancy holds."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from strawberry.relay import to_base64

from gateway.identity.models import ApiToken, ResellerDelegate, UserRole
from gateway.identity.secrets import token_digest
from gateway.identity.sessions import open_session
from tests.conftest import Gateway
from tests.gateway.identity.test_auth import bearer
from tests.support.identity_factory import make_tenant, make_user

CREATE = """mutation($name: String!) { createApiToken(input: {name: $name}) {
  token apiToken { id name prefix active createdAt lastUsedAt revokedAt createdByName }
  errors { code field message } } }"""
REVOKE = """mutation($id: ID!) { revokeApiToken(input: {id: $id}) {
  apiToken { id active revokedAt } errors { code field message } } }"""
LIST = """query($first: Int, $active: Boolean) {
  apiTokens(first: $first, filter: {active: $active}) {
    totalCount nodes { id name prefix active createdAt lastUsedAt revokedAt createdByName }
  } }"""
ME = "{ me { role reseller { name } apiToken { name } } }"


async def session_headers(user: Any) -> dict[str, str]:
    _, token = await open_session(user)
    return bearer(token)


async def create(gateway: Gateway, headers: dict[str, str], name: str) -> dict[str, Any]:
    result = await gateway.graphql(CREATE, {"name": name}, **headers)
    return result["data"]["createApiToken"] if result.get("data") else result


async def test_created_token_is_shown_once_and_works(gateway: Gateway) -> None:
    tenant = await make_tenant("Alpha")
    admin = await session_headers(tenant.admin)
    created = await create(gateway, admin, "  CRM   sync ")
    assert created["errors"] == []
    token = created["token"]
    node = created["apiToken"]
    assert token.startswith("gwt_") and len(token) > 40
    assert node["name"] == "CRM sync"
    assert node["prefix"] == token[:12] and node["active"] is True
    assert node["lastUsedAt"] is None and node["revokedAt"] is None
    assert node["createdByName"] == tenant.admin.full_name

    # Only a digest is stored.
    row = await ApiToken.get(reseller_id=tenant.reseller.id)
    assert row.token_hash == token_digest(token) and token not in row.token_hash

    me = await gateway.graphql(ME, **bearer(token))
    assert me["data"]["me"] == {"role": "INTEGRATOR", "reseller": {"name": "Alpha"},
                                "apiToken": {"name": "CRM sync"}}

    listed = await gateway.graphql(LIST, **admin)
    assert listed["data"]["apiTokens"]["totalCount"] == 1
    (item,) = listed["data"]["apiTokens"]["nodes"]
    assert item["id"] == node["id"] and item["prefix"] == node["prefix"]
    assert item["lastUsedAt"] is not None  # the call above used it
    assert token not in json.dumps(listed)
    fetched = await gateway.graphql('query($id: ID!) { node(id: $id) { ... on ApiToken { name '
                                    'prefix } } }', {"id": node["id"]}, **admin)
    assert fetched["data"]["node"] == {"name": "CRM sync", "prefix": node["prefix"]}


async def test_revoked_token_stops_working_at_once(gateway: Gateway) -> None:
    tenant = await make_tenant()
    admin = await session_headers(tenant.admin)
    created = await create(gateway, admin, "Reports")
    token = created["token"]
    assert (await gateway.graphql(ME, **bearer(token)))["data"]["me"]["role"] == "INTEGRATOR"

    revoked = (await gateway.graphql(REVOKE, {"id": created["apiToken"]["id"]}, **admin))[
        "data"]["revokeApiToken"]
    assert revoked["errors"] == []
    assert revoked["apiToken"]["active"] is False and revoked["apiToken"]["revokedAt"]

    after = await gateway.graphql(ME, **bearer(token))
    assert after["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    # Revoking again is harmless and keeps the first revocation time.
    again = (await gateway.graphql(REVOKE, {"id": created["apiToken"]["id"]}, **admin))[
        "data"]["revokeApiToken"]
    assert again["apiToken"]["revokedAt"] == revoked["apiToken"]["revokedAt"]

    active = await gateway.graphql(LIST, {"active": True}, **admin)
    assert active["data"]["apiTokens"]["totalCount"] == 0
    inactive = await gateway.graphql(LIST, {"active": False}, **admin)
    assert inactive["data"]["apiTokens"]["totalCount"] == 1


async def test_another_resellers_token_is_not_found(gateway: Gateway) -> None:
    alpha = await make_tenant("Alpha")
    beta = await make_tenant("Beta")
    alpha_admin = await session_headers(alpha.admin)
    beta_admin = await session_headers(beta.admin)
    created = await create(gateway, alpha_admin, "Alpha CRM")
    await create(gateway, beta_admin, "Beta CRM")

    stolen = (await gateway.graphql(REVOKE, {"id": created["apiToken"]["id"]}, **beta_admin))[
        "data"]["revokeApiToken"]
    assert stolen["apiToken"] is None
    assert [(e["code"], e["field"]) for e in stolen["errors"]] == [("NOT_FOUND", ["input", "id"])]
    assert (await gateway.graphql(ME, **bearer(created["token"])))["data"]["me"] is not None

    beta_list = await gateway.graphql(LIST, **beta_admin)
    assert [n["name"] for n in beta_list["data"]["apiTokens"]["nodes"]] == ["Beta CRM"]
    node = await gateway.graphql('query($id: ID!) { node(id: $id) { id } }',
                                 {"id": created["apiToken"]["id"]}, **beta_admin)
    assert node["data"]["node"] is None

    for bogus in ("nonsense", to_base64("User", alpha.admin.id), to_base64("ApiToken", "x")):
        refused = (await gateway.graphql(REVOKE, {"id": bogus}, **alpha_admin))[
            "data"]["revokeApiToken"]
        assert [e["code"] for e in refused["errors"]] == ["NOT_FOUND"]


async def test_system_admin_sees_and_revokes_every_resellers_tokens(gateway: Gateway) -> None:
    alpha = await make_tenant("Alpha")
    beta = await make_tenant("Beta")
    await create(gateway, await session_headers(alpha.admin), "A")
    created = await create(gateway, await session_headers(beta.admin), "B")
    sysadmin = await session_headers(await make_user(UserRole.SYSTEM_ADMIN))
    listed = await gateway.graphql(LIST, **sysadmin)
    assert sorted(n["name"] for n in listed["data"]["apiTokens"]["nodes"]) == ["A", "B"]
    revoked = (await gateway.graphql(REVOKE, {"id": created["apiToken"]["id"]}, **sysadmin))[
        "data"]["revokeApiToken"]
    assert revoked["errors"] == []
    # A system admin belongs to no reseller: it cannot mint tokens.
    refused = await create(gateway, sysadmin, "C")
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_only_a_reseller_admin_creates_tokens(gateway: Gateway) -> None:
    tenant = await make_tenant()
    await ResellerDelegate.create(reseller=tenant.reseller, user=tenant.company_admin)
    admin_token = (await create(gateway, await session_headers(tenant.admin), "ok"))["token"]
    parent, _ = await open_session(tenant.admin)
    _, direct = await open_session(tenant.admin, acting_account=tenant.company, parent=parent)
    callers = {
        "delegate": await session_headers(tenant.company_admin),
        "employee": await session_headers(tenant.employee),
        "professional": await session_headers(tenant.professional),
        "integrator": bearer(admin_token),
        "direct access": bearer(direct),
    }
    for who, headers in callers.items():
        refused = await create(gateway, headers, "nope")
        assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN", who
        listed = await gateway.graphql(LIST, **headers)
        assert listed["errors"][0]["extensions"]["code"] == "FORBIDDEN", who
    anonymous = await create(gateway, {}, "nope")
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert await ApiToken.all().count() == 1


async def test_name_is_required_and_bounded(gateway: Gateway) -> None:
    tenant = await make_tenant()
    admin = await session_headers(tenant.admin)
    empty = await create(gateway, admin, "   ")
    assert [(e["code"], e["field"]) for e in empty["errors"]] == [("REQUIRED", ["input", "name"])]
    long = await create(gateway, admin, "x" * 101)
    assert long["errors"][0]["code"] == "INVALID"
    assert "100" in long["errors"][0]["message"]
    assert await ApiToken.all().count() == 0


async def test_listing_costs_the_same_queries_whatever_the_page_size(
    gateway: Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    tenant = await make_tenant()
    admin = await session_headers(tenant.admin)
    for n in range(6):
        await create(gateway, admin, f"token {n}")

    async def count_queries(first: int) -> int:
        caplog.clear()
        with caplog.at_level(logging.DEBUG, logger="tortoise.db_client"):
            result = await gateway.graphql(LIST, {"first": first}, **admin)
        assert len(result["data"]["apiTokens"]["nodes"]) == first
        return sum(1 for r in caplog.records if r.name == "tortoise.db_client"
                   and r.getMessage().lstrip().upper().startswith("SELECT")
                   and "core_api_token" in r.getMessage())

    assert await count_queries(1) == await count_queries(6) == 2  # the count and the page
