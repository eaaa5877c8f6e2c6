"""The append-only audit log: direct access start and end, and every mutation made inside it
(a plugin's too, whatever its outcome), credentials redacted; who may read it."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from strawberry.relay import to_base64
from strawberry.types.base import get_object_definition
from tortoise import connections

from gateway.identity.audit import REDACTED, redact
from gateway.identity.audit_schema import MutationAudit
from gateway.identity.models import AuditEntry, ResellerDelegate, UserRole
from gateway.identity.sessions import open_session
from gateway.plugins import PluginHost, PluginSpec
from schema.build import build_schema
from tests.conftest import Gateway, make_settings, start_gateway, truncate_all
from tests.gateway.identity.test_auth import bearer
from tests.gateway.identity.test_direct_access import END, START
from tests.support import audit_probe_plugin
from tests.support.identity_factory import PASSWORD, bearer_for, make_tenant, make_user

PROBE = PluginSpec(name=audit_probe_plugin.PLUGIN_NAME, module="tests.support.audit_probe_plugin",
                   source="built in")
LOG = """query($filter: AuditLogFilter, $first: Int) { auditLog(filter: $filter, first: $first) {
  totalCount nodes { id action operation fieldName outcome errorCodes arguments variables
    detail requestId sessionId createdAt actor { login } actingAs { login }
    account { name } reseller { name } } } }"""
SAVE = """mutation Save($input: ProbeInput!) { probeSave(input: $input) {
  name errors { code } } }"""
SECRETS = ("Very-secret-9", "gwt_should_not_be_seen", "4321")


@pytest.fixture
async def probe_gateway(migrated: str, tmp_path: Path) -> AsyncIterator[Gateway]:
    settings = make_settings(migrated, tmp_path)
    async for running in start_gateway(settings, host=PluginHost(settings, specs=[PROBE]),
                                       job_options={"relay_interval": 0.05,
                                                    "in_process_workers": True}):
        yield running


async def enter(gateway: Gateway, admin: Any, account: Any, request_id: str = "req-start-001"
                ) -> str:
    result = await gateway.graphql(START, {"id": to_base64("Account", account.id)},
                                   **await bearer_for(admin), **{"X-Request-ID": request_id})
    token = result["data"]["startDirectAccess"]["token"]
    assert token, result
    return token  # type: ignore[no-any-return]


async def read_log(gateway: Gateway, headers: dict[str, str], **filter: Any) -> dict[str, Any]:
    result = await gateway.graphql(LOG, {"filter": filter or None, "first": 50}, **headers)
    assert "errors" not in result, result
    return result["data"]["auditLog"]  # type: ignore[no-any-return]


async def test_start_every_mutation_inside_and_end_are_logged(probe_gateway: Gateway) -> None:
    gateway = probe_gateway
    alpha = await make_tenant("Alpha")
    inside = bearer(await enter(gateway, alpha.admin, alpha.company))
    ok = await gateway.graphql(SAVE, {"input": {"name": "ok", "credentials": {
        "newPassword": SECRETS[0], "apiToken": SECRETS[1]}}}, **inside,
        **{"X-Request-ID": "req-mutation-01"})
    assert ok["data"]["probeSave"] == {"name": "ok", "errors": []}
    refused = await gateway.graphql(SAVE, {"input": {"name": "bad"}}, **inside)
    assert refused["data"]["probeSave"]["errors"] == [{"code": "INVALID"}]
    # A sync resolver, an inline secret, two fields in one operation under aliases.
    both = await gateway.graphql(
        f'mutation Two {{ a: probeSync(note: "n", pin: "{SECRETS[2]}") '
        f'b: probeSync(note: "", pin: "{SECRETS[2]}") }}', **inside)
    assert both["data"] == {"a": True, "b": False}
    crashed = await gateway.graphql("mutation { probeCrash }", **inside)
    assert crashed["errors"][0]["extensions"]["code"] == "INTERNAL_ERROR"
    forbidden = await gateway.graphql(
        'mutation { updateResellerGeneralInfo(input: {city: "X"}) { errors { code } } }', **inside)
    assert forbidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    password = await gateway.graphql(
        """mutation($c: String!, $n: String!) { changePassword(input: {currentPassword: $c,
           newPassword: $n}) { errors { code } } }""", {"c": PASSWORD, "n": SECRETS[0]}, **inside)
    assert password["data"]["changePassword"]["errors"] == [{"code": "NOT_IN_DIRECT_ACCESS"}]
    await gateway.graphql("{ me { role } }", **inside)  # queries are not mutations: not logged
    ended = await gateway.graphql(END, **inside)
    assert ended["data"]["endDirectAccess"]["errors"] == []
    # The reseller's own mutations, outside direct access, are audited too (as staff's).
    await gateway.graphql('mutation { updateResellerGeneralInfo(input: {city: "Y"}) { errors '
                          '{ code } } }', **await bearer_for(alpha.admin))

    log = await read_log(gateway, await bearer_for(alpha.admin))
    entries = list(reversed(log["nodes"]))  # oldest first
    own = entries.pop()
    assert (own["action"], own["fieldName"], own["outcome"]) == (
        "MUTATION", "updateResellerGeneralInfo", "OK")
    assert own["actor"] == {"login": alpha.admin.login} and own["actingAs"] is None
    assert own["account"] is None and own["reseller"] == {"name": "Alpha"}
    assert own["detail"]["via"] == "STAFF"
    assert [(e["action"], e["fieldName"], e["outcome"], e["errorCodes"]) for e in entries] == [
        ("DIRECT_ACCESS_START", None, None, []),
        ("MUTATION", "probeSave", "OK", []),
        ("MUTATION", "probeSave", "REFUSED", ["INVALID"]),
        ("MUTATION", "probeSync", "OK", []),
        ("MUTATION", "probeSync", "OK", []),
        ("MUTATION", "probeCrash", "ERROR", ["INTERNAL_ERROR"]),
        ("MUTATION", "updateResellerGeneralInfo", "ERROR", ["FORBIDDEN"]),
        ("MUTATION", "changePassword", "REFUSED", ["NOT_IN_DIRECT_ACCESS"]),
        ("DIRECT_ACCESS_END", None, None, []),
    ]
    assert log["totalCount"] == 10
    for entry in entries:
        assert entry["actor"] == {"login": alpha.admin.login}
        assert entry["actingAs"] == {"login": alpha.company_admin.login}
        assert entry["account"] == {"name": alpha.company.name}
        assert entry["reseller"] == {"name": "Alpha"}
        assert entry["sessionId"] == entries[0]["sessionId"]
    # The request ids are the gateway's own (a client's X-Request-ID is logged beside them).
    assert entries[0]["requestId"] and entries[1]["requestId"]
    assert entries[0]["requestId"] != entries[1]["requestId"]
    saved = entries[1]
    assert saved["operation"] == "Save"
    assert saved["arguments"] == {"input": {"name": "ok", "credentials": {
        "newPassword": REDACTED, "apiToken": REDACTED}}}
    assert saved["variables"]["input"]["credentials"] == {"newPassword": REDACTED,
                                                           "apiToken": REDACTED}
    assert entries[3]["arguments"] == {"note": "n", "pin": REDACTED}
    assert (entries[3]["detail"]["alias"], entries[4]["detail"]["alias"]) == ("a", "b")
    assert entries[7]["variables"] == {"c": REDACTED, "n": REDACTED}
    stored = json.dumps([row.detail for row in await AuditEntry.all()])
    for secret in (*SECRETS, PASSWORD):
        assert secret not in stored


async def test_who_reads_the_log_and_the_filters(probe_gateway: Gateway) -> None:
    gateway = probe_gateway
    alpha = await make_tenant("Alpha")
    beta = await make_tenant("Beta")
    await ResellerDelegate.create(reseller=alpha.reseller, user=alpha.company_admin)
    in_company = bearer(await enter(gateway, alpha.admin, alpha.company))
    await gateway.graphql(SAVE, {"input": {"name": "one"}}, **in_company)
    await gateway.graphql(END, **in_company)
    by_delegate = bearer(await enter(gateway, alpha.company_admin, alpha.professional_account))
    await gateway.graphql(END, **by_delegate)
    in_beta = bearer(await enter(gateway, beta.admin, beta.company))
    await gateway.graphql(SAVE, {"input": {"name": "two"}}, **in_beta)

    alpha_admin = await bearer_for(alpha.admin)
    assert (await read_log(gateway, alpha_admin))["totalCount"] == 5
    assert (await read_log(gateway, await bearer_for(alpha.company_admin)))["totalCount"] == 5
    beta_log = await read_log(gateway, await bearer_for(beta.admin))
    assert beta_log["totalCount"] == 2
    assert {e["reseller"]["name"] for e in beta_log["nodes"]} == {"Beta"}
    sysadmin = await bearer_for(await make_user(UserRole.SYSTEM_ADMIN))
    assert (await read_log(gateway, sysadmin))["totalCount"] == 7
    only_beta = await read_log(gateway, sysadmin,
                               resellerId=to_base64("Reseller", beta.reseller.id))
    assert only_beta["totalCount"] == 2

    by_account = await read_log(gateway, alpha_admin,
                                accountId=to_base64("Account", alpha.professional_account.id))
    assert [e["action"] for e in by_account["nodes"]] == ["DIRECT_ACCESS_END",
                                                          "DIRECT_ACCESS_START"]
    by_actor = await read_log(gateway, alpha_admin,
                              actorId=to_base64("User", alpha.company_admin.id))
    assert by_actor["totalCount"] == 2
    starts = await read_log(gateway, alpha_admin, action="DIRECT_ACCESS_START")
    assert starts["totalCount"] == 2
    # Another reseller's account or person finds nothing (not found, not forbidden).
    for foreign in ({"accountId": to_base64("Account", beta.company.id)},
                    {"actorId": to_base64("User", beta.admin.id)},
                    # (a malformed id is BAD_USER_INPUT: tests/gateway/test_language_and_ids.py)
                    {"resellerId": to_base64("Reseller", beta.reseller.id)}):
        assert (await read_log(gateway, alpha_admin, **foreign))["totalCount"] == 0
    future = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).isoformat()
    past = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).isoformat()
    assert (await read_log(gateway, alpha_admin, **{"from": future}))["totalCount"] == 0
    assert (await read_log(gateway, alpha_admin, **{"from": past, "to": future}))[
        "totalCount"] == 5
    assert (await read_log(gateway, alpha_admin, to=past))["totalCount"] == 0

    for headers in (await bearer_for(alpha.employee), await bearer_for(alpha.professional),
                    await bearer_for(beta.company_admin), in_beta):
        denied = await gateway.graphql(LOG, **headers)
        assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    entry_id = beta_log["nodes"][0]["id"]
    node = "query($id: ID!) { node(id: $id) { ... on AuditEntry { action } } }"
    assert (await gateway.graphql(node, {"id": entry_id}, **alpha_admin))["data"]["node"] is None
    assert (await gateway.graphql(node, {"id": entry_id}, **await bearer_for(beta.admin)))[
        "data"]["node"] is not None


async def test_a_company_admin_running_the_company_is_audited_for_its_reseller(
        probe_gateway: Gateway) -> None:
    """Issue 20: reseller staff see what a company's administrator did in the own company; an
    employee's mutations and another reseller's log do not show it."""
    gateway = probe_gateway
    alpha = await make_tenant("Alpha")
    beta = await make_tenant("Beta")
    done = await gateway.graphql(SAVE, {"input": {"name": "by the admin", "credentials": {
        "newPassword": SECRETS[0]}}}, **await bearer_for(alpha.company_admin))
    assert done["data"]["probeSave"]["name"] == "by the admin", done
    refused = await gateway.graphql(SAVE, {"input": {"name": "bad"}},
                                    **await bearer_for(alpha.company_admin))
    assert refused["data"]["probeSave"]["errors"] == [{"code": "INVALID"}]
    await gateway.graphql(SAVE, {"input": {"name": "by an employee"}},
                          **await bearer_for(alpha.employee))

    log = await read_log(gateway, await bearer_for(alpha.admin),
                         accountId=to_base64("Account", alpha.company.id))
    admin, company = {"login": alpha.company_admin.login}, {"name": alpha.company.name}
    assert [(e["fieldName"], e["outcome"], e["actor"], e["account"]) for e in log["nodes"]] == [
        ("probeSave", "REFUSED", admin, company), ("probeSave", "OK", admin, company)]
    assert {e["detail"]["via"] for e in log["nodes"]} == {"COMPANY_ADMIN"}
    assert SECRETS[0] not in json.dumps(log)
    assert (await read_log(gateway, await bearer_for(beta.admin)))["totalCount"] == 0


def test_a_company_admins_conversation_traffic_is_not_administration() -> None:
    from gateway.api import Principal, Role
    from gateway.identity.audit_schema import Via, audited_via

    admin = Principal(user_id=1, role=Role.COMPANY_ADMIN, reseller_id=1, account_id=1)
    assert audited_via(admin, "probeSave") == Via.COMPANY_ADMIN
    assert audited_via(admin, "sendChatTyping") is None
    assert audited_via(admin, "sendChatMessage") is None
    employee = Principal(user_id=2, role=Role.EMPLOYEE, reseller_id=1, account_id=1)
    assert audited_via(employee, "probeSave") is None


async def test_the_database_refuses_to_change_or_remove_entries(gateway: Gateway) -> None:
    alpha = await make_tenant("Alpha")
    await enter(gateway, alpha.admin, alpha.company)
    entry = await AuditEntry.get(action="DIRECT_ACCESS_START")
    with pytest.raises(Exception, match="append-only"):
        await AuditEntry.filter(id=entry.id).update(operation="tampered")
    with pytest.raises(Exception, match="append-only"):
        await AuditEntry.filter(id=entry.id).delete()
    assert (await AuditEntry.get(id=entry.id)).operation == "startDirectAccess"
    await AuditEntry.create(action="MUTATION", detail={})  # appending still works
    # Tests empty every table between them, guard included, and the guard stays.
    await truncate_all()
    assert not await AuditEntry.all().exists()
    again = await AuditEntry.create(action="MUTATION", detail={})
    with pytest.raises(Exception, match="append-only"):
        await AuditEntry.filter(id=again.id).delete()


def test_every_mutation_is_audited_and_none_edits_the_log(settings: Any) -> None:
    schema = build_schema(PluginHost(settings))  # plugins.toml and the core
    mutation = schema.get_type_by_name("Mutation")
    fields = get_object_definition(mutation.origin if hasattr(mutation, "origin") else mutation,
                                   strict=True).fields
    assert fields
    for field in fields:
        audited = [e for e in field.extensions if isinstance(e, MutationAudit)]
        assert len(audited) == 1, field.name
        assert field.extensions[-1] is audited[0], f"{field.name}: audit must be outermost"
        assert "audit" not in field.name.lower()
    build_schema(PluginHost(settings))  # building again does not stack a second extension
    assert all(sum(isinstance(e, MutationAudit) for e in f.extensions) == 1 for f in fields)


def test_redact_hides_credentials_at_any_depth_and_summarises_big_values() -> None:
    value = {"Password": "a", "input": {"newPin": "1", "items": [{"secretKey": "s"},
                                                                 {"name": "x" * 600}]},
             "accessToken": None, "count": 3, "ok": True}
    assert redact(value) == {"Password": REDACTED, "input": {"newPin": REDACTED, "items": [
        {"secretKey": REDACTED}, {"name": "[600 characters]"}]}, "accessToken": REDACTED,
        "count": 3, "ok": True}


@contextlib.contextmanager
def counted_queries() -> Iterator[list[str]]:
    """SQL sent by this task (the request runs in it through ASGITransport); the job runtime's
    own polling runs in other tasks and is not counted."""
    conn = connections.get("default")
    task = asyncio.current_task()
    seen: list[str] = []
    names = ("execute_query", "execute_query_dict", "execute_insert")
    for name in names:
        original = getattr(conn, name)

        async def counting(query: str, *args: Any, _original: Any = original, **kw: Any) -> Any:
            if asyncio.current_task() is task:
                seen.append(query)
            return await _original(query, *args, **kw)

        setattr(conn, name, counting)
    try:
        yield seen
    finally:
        for name in names:
            delattr(conn, name)


async def test_log_pages_cost_the_same_queries_whatever_their_size(gateway: Gateway) -> None:
    alpha = await make_tenant("Alpha")
    for _ in range(6):
        inside = bearer(await enter(gateway, alpha.admin, alpha.company))
        await gateway.graphql(END, **inside)
    _, token = await open_session(alpha.admin)
    counts: list[int] = []
    queries: list[list[str]] = []
    for first in (2, 12):
        with counted_queries() as seen:
            result = await gateway.graphql(
                LOG.replace("account { name }", "account { name userCount extension }"),
                {"first": first}, **bearer(token))
        assert len(result["data"]["auditLog"]["nodes"]) == first
        counts.append(len(seen))
        queries.append(seen)
    assert counts[0] == counts[1], queries
    # session, principal, count, page, people, accounts, resellers, the accounts' users
    # counted and their professionals' extensions (one batch each, not one per row)
    assert counts[0] <= 10, queries[0]


async def test_an_entry_the_database_refuses_waits_on_disk_and_is_appended_once(
        probe_gateway: Gateway, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 24: the database goes between a staff mutation's change and its audit entry. The
    entry is kept in the spool (the client is told the outcome, not a failure), then appended
    with its own time once the database takes it, once even if a drain is cut short."""
    from tortoise.exceptions import DBConnectionError

    from gateway.identity import audit_spool

    alpha = await make_tenant("Alpha")
    admin = await bearer_for(alpha.company_admin)  # running the own company: audited
    create = AuditEntry.create
    refusals = []

    async def refused_once(*args: Any, **kwargs: Any) -> AuditEntry:
        if not refusals:
            refusals.append(kwargs.get("operation"))
            raise DBConnectionError("connection refused")  # what a stopped database answers
        return await create(*args, **kwargs)

    monkeypatch.setattr(AuditEntry, "create", refused_once)
    before = dt.datetime.now(dt.UTC)
    done = await probe_gateway.graphql(SAVE, {"input": {"name": "while it was down"}}, **admin)
    assert (done.get("data") or {}).get("probeSave") == {"name": "while it was down",
                                                       "errors": []}, done
    assert refusals == ["Save"]
    folder = audit_spool.directory()
    assert folder is not None
    spooled = [path.read_text() for path in folder.iterdir()]
    assert len(spooled) == 1 and "while it was down" in spooled[0]

    # The serving process drains the spool by itself.
    deadline = asyncio.get_running_loop().time() + 15
    while not await AuditEntry.filter(operation="Save").exists():
        assert asyncio.get_running_loop().time() < deadline, "the spool was not drained"
        await asyncio.sleep(0.05)
    entry = await AuditEntry.get(operation="Save")
    assert entry.detail["outcome"] == "OK" and entry.actor_id == alpha.company_admin.id
    assert before <= entry.created_at <= dt.datetime.now(dt.UTC)
    assert audit_spool.waiting() == 0
    log = await read_log(probe_gateway, await bearer_for(alpha.admin))
    assert [e["fieldName"] for e in log["nodes"]] == ["probeSave"]

    # A drain cut between its commit and the file's deletion: the same file again appends
    # nothing twice.
    (folder / "again.jsonl").write_text(spooled[0])
    assert await audit_spool.drain() == 0
    assert await AuditEntry.filter(operation="Save").count() == 1
    # A file claimed by a drainer that died (its pid is gone) is drained by the next one.
    orphan = json.loads(spooled[0])
    orphan["created_at"] = dt.datetime.now(dt.UTC).isoformat()
    orphan["operation"] = "Orphan"
    dead = 2**22 + 12345  # above Linux's default pid_max: no such process
    (folder / f"1-abc.jsonl.{dead}.draining").write_text(json.dumps(orphan) + "\n")
    await audit_spool.drain()  # this call or the serving process's drainer takes it
    deadline = asyncio.get_running_loop().time() + 15
    while list(folder.iterdir()):
        assert asyncio.get_running_loop().time() < deadline, list(folder.iterdir())
        await asyncio.sleep(0.05)
    assert await AuditEntry.filter(operation="Orphan").count() == 1

    # Any other failure is a bug, not an outage: raised, nothing spooled.
    async def broken(*args: Any, **kwargs: Any) -> AuditEntry:
        raise ValueError("a bug")

    monkeypatch.setattr(AuditEntry, "create", broken)
    failed = await probe_gateway.graphql(SAVE, {"input": {"name": "bug"}}, **admin)
    assert failed["errors"][0]["extensions"]["code"] == "INTERNAL_ERROR"
    assert audit_spool.waiting() == 0
