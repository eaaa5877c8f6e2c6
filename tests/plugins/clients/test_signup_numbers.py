"""The wizard's "numbers" step against the reseller's pool (issue 20; FAQ: "le système ravitaille
automatiquement le compte avec les numéros (DID)"): an ORDER line the pool cannot serve now is
refused when saved; at completion the ORDER lines' numbers are taken and assigned to the new
account in its transaction (a pool emptied meanwhile rolls it all back, the error beside the
line); PORT lines stay requests on the draft; without the account settings plugin (no pool)
the step is only kept, as before."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from gateway.identity.models import Account, User
from gateway.plugins import PluginHost, read_plugin_specs
from plugins.account_settings.models import PhoneNumber
from plugins.account_settings.numbers import import_numbers
from plugins.clients.models import SignupDraft
from tests.conftest import ROOT, Gateway, make_settings, start_gateway
from tests.plugins.clients.test_signup import ADMIN, COMPLETE, CUSTOMER, SAVE
from tests.support.identity_factory import bearer_for, make_tenant

PORT = {"action": "PORT", "type": "LOCAL", "number": "+1 514 555 0177"}


def _local(area: str | None = "514") -> dict[str, Any]:
    return {"action": "ORDER", "type": "LOCAL", "areaCode": area}


async def _save(gateway: Gateway, headers: dict[str, str], **input: Any) -> dict[str, Any]:
    result = await gateway.graphql(SAVE, {"input": input}, **headers)
    assert "errors" not in result, result
    payload: dict[str, Any] = result["data"]["saveSignupDraft"]
    return payload


def _errors(payload: dict[str, Any]) -> list[tuple[str, list[str]]]:
    return [(e["code"], e["field"]) for e in payload["errors"]]


async def test_an_order_the_pool_cannot_serve_is_refused_when_saved(gateway: Gateway) -> None:
    alpha, beta = await make_tenant("Alpha"), await make_tenant("Beta")
    await import_numbers(alpha.reseller.id, "+1 514 555 0101\n+1 800 555 0199")
    await import_numbers(beta.reseller.id, "+1 514 555 0201\n+1 514 555 0202")
    headers = await bearer_for(alpha.admin)
    draft = (await _save(gateway, headers, kind="COMPANY", customer=CUSTOMER))["draft"]

    # Two 514 numbers (Beta's pool has two: not Alpha's), a port (not counted), a toll free.
    refused = await _save(gateway, headers, id=draft["id"], numbers=[
        _local(), PORT, _local(), {"action": "ORDER", "type": "TOLL_FREE"}])
    assert refused["draft"] is None
    assert _errors(refused) == [("NO_NUMBER_AVAILABLE", ["input", "numbers", "2", "areaCode"])]
    assert "(1 dispon" in refused["errors"][0]["message"] \
        or "(1 available)" in refused["errors"][0]["message"]  # the caller's language
    assert "numbers" not in (await SignupDraft.get(id=await _pk(draft["id"]))).data
    # Another area code with nothing free, and a type the pool lacks, are refused too.
    refused = await _save(gateway, headers, id=draft["id"], numbers=[
        _local("438"), {"action": "ORDER", "type": "INTERNATIONAL"}])
    assert _errors(refused) == [("NO_NUMBER_AVAILABLE", ["input", "numbers", "0", "areaCode"]),
                                ("NO_NUMBER_AVAILABLE", ["input", "numbers", "1", "areaCode"])]
    # What the pool has is accepted (nothing is taken before completion).
    saved = await _save(gateway, headers, id=draft["id"], numbers=[
        _local("(514)"), PORT, {"action": "ORDER", "type": "TOLL_FREE"}])
    assert saved["errors"] == [] and len(saved["draft"]["numbers"]) == 3
    assert not await PhoneNumber.filter(account_id__not_isnull=True).exists()


async def _pk(global_id: str) -> int:
    from strawberry.relay import from_base64

    return int(from_base64(global_id)[1])


async def test_completion_takes_the_numbers_or_rolls_everything_back(
        gateway: Gateway) -> None:
    alpha = await make_tenant("Alpha")
    await import_numbers(alpha.reseller.id, "+1 514 555 0101\n+1 514 555 0102")
    headers = await bearer_for(alpha.admin)
    draft = (await _save(gateway, headers, kind="COMPANY", customer=CUSTOMER,
                         administrator=ADMIN, numbers=[PORT, _local(), _local()]))["draft"]
    assert draft["ready"], draft
    # The pool runs short before the reseller completes: one number went elsewhere.
    await PhoneNumber.filter(number="+15145550102").update(account_id=alpha.company.id)
    refused = await gateway.graphql(COMPLETE, {"input": {"id": draft["id"]}}, **headers)
    payload = refused["data"]["completeSignup"]
    # The line of the step (after the port), not the order's rank among the orders.
    assert _errors(payload) == [("NO_NUMBER_AVAILABLE", ["input", "numbers", "2", "areaCode"])]
    assert payload["account"] is None
    assert not await Account.filter(name=CUSTOMER["name"]).exists()
    assert not await User.filter(email=ADMIN["email"]).exists()
    assert (await PhoneNumber.get(number="+15145550101")).account_id is None  # given back
    row = await SignupDraft.get(id=await _pk(draft["id"]))
    assert row.status == "OPEN" and row.account_id is None

    await import_numbers(alpha.reseller.id, "+1 514 555 0103")
    done = await gateway.graphql(COMPLETE, {"input": {"id": draft["id"]}}, **headers)
    payload = done["data"]["completeSignup"]
    assert payload["errors"] == [], payload
    account_id = payload["account"]["accountNumber"]
    assert await PhoneNumber.filter(account_id=account_id).order_by("number").values_list(
        "number", flat=True) == ["+15145550101", "+15145550103"]
    # Staff read what each line got on the completed sign-up; the port stays a request.
    listed = await gateway.graphql(
        "query { signupDrafts(status: COMPLETED) { edges { node { numbers { action number "
        "areaCode } } } } }", **headers)
    (edge,) = listed["data"]["signupDrafts"]["edges"]
    assert edge["node"]["numbers"] == [
        {"action": "PORT", "number": "+15145550177", "areaCode": None},
        {"action": "ORDER", "number": "+15145550101", "areaCode": "514"},
        {"action": "ORDER", "number": "+15145550103", "areaCode": "514"}]
    assert not await PhoneNumber.filter(number="+15145550177").exists()  # not in any pool


@pytest.fixture
async def no_pool(migrated: str, tmp_path: Path) -> AsyncIterator[Gateway]:
    """The app without the account settings plugin (nor the plugins that need it)."""
    specs = read_plugin_specs(ROOT / "plugins.toml", ())
    gone = {"account_settings"}
    while True:
        more = {s.name for s in specs if set(s.requires) & gone} - gone
        if not more:
            break
        gone |= more
    settings = make_settings(migrated, tmp_path)
    host = PluginHost(settings, specs=[s for s in specs if s.name not in gone])
    async for running in start_gateway(settings, host=host):
        yield running


async def test_without_a_pool_the_numbers_are_only_kept(no_pool: Gateway) -> None:
    alpha = await make_tenant("Alpha")
    headers = await bearer_for(alpha.admin)
    draft = (await _save(no_pool, headers, kind="COMPANY", customer=CUSTOMER,
                         administrator=ADMIN, numbers=[_local(), _local("438")]))["draft"]
    assert draft["ready"] and [n["areaCode"] for n in draft["numbers"]] == ["514", "438"]
    done = await no_pool.graphql(COMPLETE, {"input": {"id": draft["id"]}}, **headers)
    assert done["data"]["completeSignup"]["errors"] == []
    row = await SignupDraft.get(id=await _pk(draft["id"]))
    assert [n["number"] for n in row.data["numbers"]] == [None, None]
