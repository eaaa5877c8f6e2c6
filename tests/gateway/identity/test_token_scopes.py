"""API tokens' scopes and expiry, and the audit of every mutation made by a token or by staff
(issue 15, item 7)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from strawberry.relay import to_base64
from strawberry.types.base import get_object_definition

from gateway.identity.audit_schema import MutationAudit
from gateway.identity.models import Account, ApiToken, BillingStatus, UserRole
from gateway.identity.scopes import CORE_AREA, allows
from gateway.identity.scopes_schema import TokenScopeCheck, guard_root_fields
from gateway.plugins import CORE_PLUGIN, PluginHost
from schema.build import build_schema, root_contributions, root_fields
from tests.conftest import Gateway, make_settings, start_gateway
from tests.gateway.identity.test_auth import bearer
from tests.gateway.identity.test_direct_access import START
from tests.support.identity_factory import bearer_for, make_tenant, make_user

CREATE = """mutation($input: CreateApiTokenInput!) { createApiToken(input: $input) {
  token apiToken { id name scopes expiresAt active } errors { code field message } } }"""
ACCOUNTS = "{ accounts(kind: COMPANY, first: 5) { totalCount } }"
DELETE = """mutation($id: ID!) { deleteAccount(input: {id: $id}) { errors { code } } }"""
NODE = "query($id: ID!) { node(id: $id) { id } }"
LOG = """query { auditLog(first: 50) { nodes { action fieldName outcome errorCodes via objects
  actor { login } actingAs { login } apiToken { name } reseller { name } account { name } } } }"""


@pytest.fixture
async def scoped(migrated: str, tmp_path: Path) -> AsyncIterator[Gateway]:
    """The app with every root field's scope check in place (what build_schema wires)."""
    settings = make_settings(migrated, tmp_path)
    guard_root_fields(root_contributions(PluginHost(settings)))
    async for running in start_gateway(settings, job_options={"relay_interval": 0.05,
                                                              "in_process_workers": True}):
        yield running


async def create(gateway: Gateway, headers: dict[str, str], **input: Any) -> dict[str, Any]:
    result = await gateway.graphql(CREATE, {"input": {"name": "CRM", **input}}, **headers)
    return result["data"]["createApiToken"]  # type: ignore[no-any-return]


def code(result: dict[str, Any]) -> str:
    return result["errors"][0]["extensions"]["code"]  # type: ignore[no-any-return]


async def audit_log(gateway: Gateway, headers: dict[str, str]) -> list[dict[str, Any]]:
    result = await gateway.graphql(LOG, **headers)
    assert "errors" not in result, result
    return list(reversed(result["data"]["auditLog"]["nodes"]))


async def test_a_token_is_read_only_by_default_expires_and_is_audited(scoped: Gateway) -> None:
    gateway = scoped
    alpha = await make_tenant("Alpha")
    admin = await bearer_for(alpha.admin)
    created = await create(gateway, admin)
    assert created["errors"] == []
    node = created["apiToken"]
    assert node["scopes"] == ["*:read"] and node["active"] is True
    expires = dt.datetime.fromisoformat(node["expiresAt"])
    days = (expires - dt.datetime.now(dt.UTC)).total_seconds() / 86400
    assert 89.9 < days <= 90
    token = bearer(created["token"])

    # Reading any area is fine; writing is refused, whatever the field's roles allow.
    assert (await gateway.graphql(ACCOUNTS, **token))["data"]["accounts"]["totalCount"] == 1
    account_id = to_base64("Account", alpha.company.id)
    assert (await gateway.graphql(NODE, {"id": account_id}, **token))["data"]["node"]
    refused = await gateway.graphql(DELETE, {"id": account_id}, **token)
    assert code(refused) == "FORBIDDEN"
    assert refused["errors"][0]["extensions"]["scope"] == "clients:write"
    assert (await Account.get(id=alpha.company.id)).billing_status != BillingStatus.UNSUBSCRIBED

    # The refusal is in the audit log, with the token, the tenant and the object.
    (entry,) = [e for e in await audit_log(gateway, admin) if e["fieldName"] == "deleteAccount"]
    assert entry == {"action": "MUTATION", "fieldName": "deleteAccount", "outcome": "ERROR",
                     "errorCodes": ["FORBIDDEN"], "via": "API_TOKEN", "objects": [account_id],
                     "actor": None, "actingAs": None, "apiToken": {"name": "CRM"},
                     "reseller": {"name": "Alpha"}, "account": None}

    # Past its expiry the token is refused like an unknown one, and listed as inactive.
    await ApiToken.filter(id=(await ApiToken.get()).id).update(
        expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
    assert code(await gateway.graphql("{ me { role } }", **token)) == "UNAUTHENTICATED"
    listed = await gateway.graphql("{ apiTokens(filter: {active: false}) { nodes { active } } }",
                                   **admin)
    assert listed["data"]["apiTokens"]["nodes"] == [{"active": False}]


async def test_area_scopes_bound_each_root_field_by_its_plugin(scoped: Gateway) -> None:
    gateway = scoped
    alpha = await make_tenant("Alpha")
    admin = await bearer_for(alpha.admin)
    areas = (await gateway.graphql("{ apiTokenAreas }", **admin))["data"]["apiTokenAreas"]
    assert areas[0] == CORE_AREA == CORE_PLUGIN and "clients" in areas
    writer = bearer((await create(gateway, admin, scopes=["clients:write"],
                                  expiresInDays=7))["token"])
    reader = bearer((await create(gateway, admin, scopes=["restrictions:read"]))["token"])

    # clients:write: the clients plugin's fields, read and write; not the core's (node).
    assert (await gateway.graphql(ACCOUNTS, **writer))["data"]["accounts"]["totalCount"] == 1
    account_id = to_base64("Account", alpha.company.id)
    done = await gateway.graphql(DELETE, {"id": account_id}, **writer)
    assert done["data"]["deleteAccount"]["errors"] == []
    core = await gateway.graphql(NODE, {"id": account_id}, **writer)
    assert code(core) == "FORBIDDEN" and core["errors"][0]["extensions"]["scope"] == "core:read"
    # Anyone may ask who they are.
    assert (await gateway.graphql("{ me { role } }", **writer))["data"]["me"]["role"] == (
        "INTEGRATOR")
    # restrictions:read: not the clients plugin's list.
    assert code(await gateway.graphql(ACCOUNTS, **reader)) == "FORBIDDEN"

    (entry,) = [e for e in await audit_log(gateway, admin) if e["fieldName"] == "deleteAccount"]
    assert (entry["outcome"], entry["via"], entry["objects"], entry["apiToken"]) == (
        "OK", "API_TOKEN", [account_id], {"name": "CRM"})


async def test_bad_scopes_and_lifetimes_are_refused_by_field(scoped: Gateway) -> None:
    gateway = scoped
    alpha = await make_tenant("Alpha")
    admin = await bearer_for(alpha.admin)
    cases = [
        ({"scopes": ["clients:read", "clients:admin"]}, "INVALID", ["input", "scopes", "1"]),
        ({"scopes": ["nowhere:read"]}, "INVALID", ["input", "scopes", "0"]),
        ({"scopes": []}, "REQUIRED", ["input", "scopes"]),
        ({"expiresInDays": 0}, "INVALID", ["input", "expiresInDays"]),
        ({"expiresInDays": 100_000}, "INVALID", ["input", "expiresInDays"]),
    ]
    for input, expected, field in cases:
        refused = await create(gateway, admin, **input)
        assert [(e["code"], e["field"]) for e in refused["errors"]] == [(expected, field)], input
        assert refused["errors"][0]["message"]
    assert await ApiToken.all().count() == 0
    ok = await create(gateway, admin, scopes=[" Clients:Write ", "clients:write", "*:read"])
    assert ok["apiToken"]["scopes"] == ["*:read", "clients:write"]


async def test_staff_mutations_and_refused_direct_access_are_audited(scoped: Gateway) -> None:
    gateway = scoped
    alpha = await make_tenant("Alpha")
    beta = await make_tenant("Beta")
    alpha_admin = await bearer_for(alpha.admin)
    sysadmin = await bearer_for(await make_user(UserRole.SYSTEM_ADMIN))
    # A system admin's mutation: audited, readable by system admins.
    reactivated = await gateway.graphql(
        """mutation($id: ID!) { reactivateAccount(input: {id: $id, billingStatus: FREE_TRIAL})
           { errors { code } } }""", {"id": to_base64("Account", beta.company.id)}, **sysadmin)
    assert "errors" not in reactivated
    # Refused attempts at direct access: another reseller's account, by an employee, by a
    # token; a subscriber's own ordinary mutation is not staff's and is not logged.
    foreign = to_base64("Account", beta.company.id)
    for headers in (alpha_admin, await bearer_for(alpha.employee),
                    bearer((await create(gateway, alpha_admin,
                                         scopes=["*:write"]))["token"])):
        result = await gateway.graphql(START, {"id": foreign}, **headers)
        assert "token" not in str(result.get("data") or {}) or (
            result["data"]["startDirectAccess"]["token"] is None)

    entries = await audit_log(gateway, sysadmin)
    refusals = [(e["action"], e["via"], e["errorCodes"], e["reseller"]) for e in entries
                if e["fieldName"] == "startDirectAccess"]
    assert refusals == [
        ("DIRECT_ACCESS_REFUSED", "STAFF", ["NOT_FOUND"], {"name": "Alpha"}),
        ("DIRECT_ACCESS_REFUSED", "SIGNED_IN", ["FORBIDDEN"], {"name": "Alpha"}),
        ("DIRECT_ACCESS_REFUSED", "API_TOKEN", ["FORBIDDEN"], {"name": "Alpha"}),
    ]
    (by_sysadmin,) = [e for e in entries if e["fieldName"] == "reactivateAccount"]
    assert by_sysadmin["via"] == "STAFF" and by_sysadmin["reseller"] is None
    assert by_sysadmin["objects"] == [foreign]
    created = [e for e in entries if e["fieldName"] == "createApiToken"]
    assert [(e["via"], e["actor"]) for e in created] == [("STAFF", {"login": alpha.admin.login})]
    # Alpha's staff read Alpha's entries only; the system admin's own are not theirs.
    alpha_fields = {e["fieldName"] for e in await audit_log(gateway, alpha_admin)}
    assert "reactivateAccount" not in alpha_fields and "startDirectAccess" in alpha_fields


def test_every_root_field_is_guarded_by_its_plugins_area(settings: Any) -> None:
    host = PluginHost(settings)
    # From scratch: whatever an earlier test (or build) gave the shared root classes.
    for contributions in root_contributions(host).values():
        for _, cls in contributions:
            for field in get_object_definition(cls, strict=True).fields:
                field.extensions = [e for e in field.extensions
                                    if not isinstance(e, TokenScopeCheck)]
    schema = build_schema(host)
    owners = {name: plugin for plugin, name in root_fields(host)}
    checked = 0
    for root in ("Query", "Mutation", "Subscription"):
        graphql_type = schema.get_type_by_name(root)
        if graphql_type is None:
            continue
        origin = graphql_type.origin if hasattr(graphql_type, "origin") else graphql_type
        for field in get_object_definition(origin, strict=True).fields:
            checks = [e for e in field.extensions if isinstance(e, TokenScopeCheck)]
            name = f"{root}.{schema.config.name_converter.from_field(field)}"
            assert len(checks) == 1, f"{name}: build_schema must add one scope check"
            assert checks[0].area == owners[name] and checks[0].write == (root == "Mutation")
            if root == "Mutation":  # inside the audit, so a refusal is audited
                kinds = [type(e) for e in field.extensions]
                assert kinds.index(TokenScopeCheck) < kinds.index(MutationAudit), name
            checked += 1
    assert checked > 50


def test_scope_rules() -> None:
    assert allows(["*:read"], "clients", write=False)
    assert not allows(["*:read"], "clients", write=True)
    assert allows(["clients:write"], "clients", write=False)
    assert not allows(["clients:write"], "core", write=False)
    assert allows(["*:write"], "core", write=True)
    assert not allows(["*", "clients", ""], "clients", write=False)
