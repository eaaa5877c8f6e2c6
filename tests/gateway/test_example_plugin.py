"""The plugin template (tests/fixtures/example_plugin, plugin ``call_notes``), installed with pip
and loaded through its entry point like any integrator's package: its migration, its mutation
and the rule's refusals in both languages, tenancy, its list and node, its DataLoader, its job,
its configuration, and the SQL a list page costs."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from strawberry.relay import to_base64

from gateway import db
from gateway.introspection import describe_plugins
from gateway.models import OutboxJob, OutboxStatus
from gateway.plugins import PluginError, PluginHost, PluginSpec
from gateway.settings import Settings
from tests.conftest import ROOT, Gateway, QueryLog, make_settings, start_gateway
from tests.support.identity_factory import Tenant, bearer_for, make_tenant, make_user

MAX_LENGTH = 40  # the plugins.toml config of these tests

ADD = """mutation($input: AddCallNoteInput!) {
  addCallNote(input: $input) {
    note { id text flagged forwardedAt account { id } }
    errors { code field message } } }"""
LIST = """query($accountId: ID, $flagged: Boolean, $first: Int, $after: String) {
  callNotes(accountId: $accountId, flagged: $flagged, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { id text flagged createdAt forwardedAt accountNoteCount account { id name } } } }"""
NODE = """query($id: ID!) { node(id: $id) { id ... on CallNote { text account { id } } } }"""


def gid(kind: str, pk: int) -> str:
    return to_base64(kind, pk)


def plugins_toml(tmp_path: Path, config: str) -> Path:
    """The repository's plugins.toml (every built-in) plus a table for the template."""
    toml = tmp_path / "plugins.toml"
    toml.write_text((ROOT / "plugins.toml").read_text() + f"\n[plugins.call_notes]\n{config}\n")
    return toml


@pytest.fixture(scope="session")
async def notes_database(example_plugin: Path, migrated: str,
                         tmp_path_factory: pytest.TempPathFactory) -> str:
    """The session's database with the plugin's own migration applied, as ``gateway migrate``
    applies it once the package is installed."""
    tmp_path = tmp_path_factory.mktemp("call-notes")
    settings = make_settings(migrated, tmp_path, load_plugins=("call_notes",),
                             plugins_file=plugins_toml(tmp_path, ""))
    await db.migrate(PluginHost(settings))
    return migrated


@pytest.fixture
async def notes_gateway(notes_database: str, tmp_path: Path) -> AsyncIterator[Gateway]:
    toml = plugins_toml(tmp_path, f"config = {{ max_length = {MAX_LENGTH} }}")
    settings = make_settings(notes_database, tmp_path, plugins_file=toml,
                             load_plugins=("call_notes",))
    async for running in start_gateway(
        settings, job_options={"relay_interval": 0.05, "in_process_workers": True}
    ):
        yield running


async def add(gateway: Gateway, headers: dict[str, str], account_id: int, text: str,
              flagged: bool = False) -> dict[str, Any]:
    result = await gateway.graphql(ADD, {"input": {"accountId": gid("Account", account_id),
                                                   "text": text, "flagged": flagged}}, **headers)
    assert "errors" not in result, result
    return result["data"]["addCallNote"]


async def listed(gateway: Gateway, headers: dict[str, str], **variables: Any) -> dict[str, Any]:
    result = await gateway.graphql(LIST, variables, **headers)
    assert "errors" not in result, result
    return result["data"]["callNotes"]


async def test_a_note_is_added_listed_and_found_by_its_id(notes_gateway: Gateway) -> None:
    alpha: Tenant = await make_tenant("Alpha")
    admin = await bearer_for(alpha.admin)
    account = gid("Account", alpha.company.id)

    added = await add(notes_gateway, admin, alpha.company.id, "  Wants a second line.  ")
    assert added["errors"] == []
    note = added["note"]
    assert (note["text"], note["flagged"], note["forwardedAt"]) == ("Wants a second line.",
                                                                    False, None)
    assert note["account"] == {"id": account}
    await add(notes_gateway, admin, alpha.company.id, "Called back.", flagged=True)
    await add(notes_gateway, admin, alpha.professional_account.id, "Voicemail full.")

    page = await listed(notes_gateway, admin, first=2)
    assert page["totalCount"] == 3 and page["pageInfo"]["hasNextPage"]
    assert [n["text"] for n in page["nodes"]] == ["Voicemail full.", "Called back."]  # newest
    assert [n["accountNoteCount"] for n in page["nodes"]] == [1, 2]
    rest = await listed(notes_gateway, admin, first=2, after=page["pageInfo"]["endCursor"])
    assert [n["text"] for n in rest["nodes"]] == ["Wants a second line."]
    assert not rest["pageInfo"]["hasNextPage"]
    # Filtered by account and by flag.
    of_company = await listed(notes_gateway, admin, accountId=account)
    assert of_company["totalCount"] == 2
    assert {n["account"]["name"] for n in of_company["nodes"]} == {alpha.company.name}
    flagged = await listed(notes_gateway, admin, flagged=True)
    assert [n["text"] for n in flagged["nodes"]] == ["Called back."]
    # The subscriber's own staff see their account's notes, not the other account's.
    employee = await bearer_for(alpha.employee)
    assert (await listed(notes_gateway, employee))["totalCount"] == 2

    result = await notes_gateway.graphql(NODE, {"id": note["id"]}, **admin)
    assert result == {"data": {"node": {"id": note["id"], "text": "Wants a second line.",
                                        "account": {"id": account}}}}


async def test_refusals_are_payload_errors_in_the_callers_language(
    notes_gateway: Gateway,
) -> None:
    alpha = await make_tenant("Alpha")
    beta = await make_tenant("Beta")
    admin = await bearer_for(alpha.admin)
    french = await bearer_for(await make_user(alpha.admin.role, reseller=alpha.reseller,
                                              language="fr"))

    empty = await add(notes_gateway, admin, alpha.company.id, "   ")
    assert empty == {"note": None, "errors": [
        {"code": "REQUIRED", "field": ["input", "text"], "message": "Write the note's text."}]}
    long = "x" * (MAX_LENGTH + 1)
    too_long = await add(notes_gateway, admin, alpha.company.id, long)
    assert too_long["errors"] == [{"code": "TOO_LONG", "field": ["input", "text"], "message":
                                   f"A note has at most {MAX_LENGTH} characters (41 given)."}]
    too_long = await add(notes_gateway, french, alpha.company.id, long)
    assert too_long["errors"] == [{"code": "TOO_LONG", "field": ["input", "text"], "message":
                                   f"Une note compte au plus {MAX_LENGTH} caractères "
                                   "(41 reçus)."}]
    assert (await add(notes_gateway, french, alpha.company.id, "   "))["errors"][0][
        "message"] == "Écrivez le texte de la note."

    # Another tenant's account is not found, however it is named.
    for raw in (gid("Account", beta.company.id), str(beta.company.id), "nonsense"):
        result = await notes_gateway.graphql(
            ADD, {"input": {"accountId": raw, "text": "Hello", "flagged": True}}, **admin)
        assert result["data"]["addCallNote"] == {"note": None, "errors": [
            {"code": "NOT_FOUND", "field": ["input", "accountId"],
             "message": "No such account."}]}
    employee = await bearer_for(alpha.employee)  # sees its own account only
    other = await add(notes_gateway, employee, alpha.professional_account.id, "Hello")
    assert other["errors"][0]["code"] == "NOT_FOUND"
    # Nothing was saved, nothing enqueued.
    assert (await listed(notes_gateway, admin))["totalCount"] == 0
    assert await OutboxJob.filter(job="call_notes.forward").count() == 0

    # Reading: another tenant's notes are not there.
    beta_admin = await bearer_for(beta.admin)
    note = (await add(notes_gateway, beta_admin, beta.company.id, "Beta's"))["note"]
    assert (await listed(notes_gateway, admin))["totalCount"] == 0
    result = await notes_gateway.graphql(NODE, {"id": note["id"]}, **admin)
    assert result == {"data": {"node": None}}
    result = await notes_gateway.graphql(LIST, {"accountId": gid("Account", beta.company.id)},
                                         **admin)
    assert result["data"] is None
    assert [(e["message"], e["extensions"]["code"]) for e in result["errors"]] == [
        ("No such account.", "NOT_FOUND")]


async def test_a_flagged_note_is_forwarded_by_its_job(notes_gateway: Gateway) -> None:
    alpha = await make_tenant("Alpha")
    admin = await bearer_for(alpha.admin)
    await add(notes_gateway, admin, alpha.company.id, "Nothing to follow.")
    assert await OutboxJob.filter(job="call_notes.forward").count() == 0

    note = (await add(notes_gateway, admin, alpha.company.id, "Call back.", flagged=True))["note"]
    job = await OutboxJob.get(job="call_notes.forward")  # enqueued with the note
    assert gid("CallNote", job.payload["note_id"]) == note["id"]
    deadline = asyncio.get_running_loop().time() + 15
    while (await OutboxJob.get(id=job.id)).status != OutboxStatus.DONE:
        assert asyncio.get_running_loop().time() < deadline, "the forward job never ran"
        await asyncio.sleep(0.05)
    forwarded = (await listed(notes_gateway, admin, flagged=True))["nodes"]
    assert forwarded[0]["id"] == note["id"] and forwarded[0]["forwardedAt"] is not None
    unflagged = (await listed(notes_gateway, admin, flagged=False))["nodes"]
    assert unflagged[0]["forwardedAt"] is None


async def test_a_list_page_costs_the_same_queries_whatever_its_size(
    notes_gateway: Gateway, count_queries: QueryLog
) -> None:
    alpha = await make_tenant("Alpha")
    admin = await bearer_for(alpha.admin)
    beta = await make_tenant("Beta")
    accounts = [alpha.company.id, alpha.professional_account.id]
    for n in range(6):
        await add(notes_gateway, admin, accounts[n % 2], f"Note {n}")
    await add(notes_gateway, await bearer_for(beta.admin), beta.company.id, "Not Alpha's")

    counts = {}
    for first in (1, 6):
        with count_queries() as statements:
            page = await listed(notes_gateway, admin, first=first)
        assert len(page["nodes"]) == first and page["totalCount"] == 6
        assert {n["accountNoteCount"] for n in page["nodes"]} == {3}
        counts[first] = len(statements)
        # The count, the page, and the notes per account of the whole page (one DataLoader
        # batch); the accounts come through the core's loader, one query too.
        assert len([s for s in statements if "call_notes_note" in s]) == 3, statements
    assert counts[1] == counts[6], counts


async def test_the_plugin_is_listed_and_its_config_checked_at_start_up(
    example_plugin: Path, settings: Settings
) -> None:
    host = PluginHost(dataclasses.replace(settings, load_plugins=("call_notes",)))
    lines = describe_plugins(host)
    start = lines.index("call_notes  [entry point, on]")
    assert lines[start + 1:start + 4] == [
        "    actors: call_notes.forward",
        "    fields: Query.callNotes, Mutation.addCallNote",
        "    models: call_notes",
    ]
    module = "gateway_example_plugin.call_notes.plugin"
    for config, message in (
        ({"max_length": 0}, r"plugin 'call_notes': max_length must be between 1 and 2000"),
        ({"max_length": "long"}, r"plugin 'call_notes': config key 'max_length' must be a "
                                 r"whole number"),
        ({"max_lenght": 10}, r"plugin 'call_notes': unknown config key 'max_lenght'"),
    ):
        spec = PluginSpec(name="call_notes", module=module, source="entry point", config=config)
        host = PluginHost(settings, specs=[spec])
        with pytest.raises(PluginError, match=message):
            await host.call_async("gateway_startup")
