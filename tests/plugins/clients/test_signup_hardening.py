"""Issue 15 in the sign-up and message inputs: the sign-up link goes to a typed address, so
through the core's recipient check and its rate limit (item 4); list inputs are capped with
a coded error at their field, before anything reads them (item 2)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from strawberry.relay import to_base64

from gateway.plugins import PluginHost, read_plugin_specs
from plugins.clients import services, signup
from tests.conftest import ROOT, Gateway, make_settings, start_gateway
from tests.plugins.clients.test_signup import CUSTOMER, SEND, _save
from tests.support.identity_factory import bearer_for, make_tenant

MESSAGE = """mutation($input: SendAccountMessageInput!) {
  sendAccountMessage(input: $input) { messages { id } errors { code field message } } }"""


async def _send(gateway: Gateway, headers: dict[str, str], **input: Any) -> dict[str, Any]:
    result = await gateway.graphql(SEND, {"input": input}, **headers)
    assert "errors" not in result, result
    return result["data"]["sendSignupToClient"]  # type: ignore[no-any-return]


@pytest.fixture
async def two_an_hour(migrated: str, tmp_path: Path) -> AsyncIterator[Gateway]:
    """The app with clients' config signup_invitations_per_user_hour = 2 (30 by default)."""
    settings = make_settings(migrated, tmp_path)
    specs = read_plugin_specs(ROOT / "plugins.toml", ())
    for spec in specs:
        if spec.name == "clients":
            spec.config = {**spec.config, "signup_invitations_per_user_hour": 2}
    async for running in start_gateway(settings, host=PluginHost(settings, specs=specs)):
        yield running


async def test_the_sign_up_link_goes_through_the_recipient_check(two_an_hour: Gateway) -> None:
    gateway = two_an_hour
    tenant = await make_tenant()
    headers = await bearer_for(tenant.admin)
    draft = (await _save(gateway, headers, kind="COMPANY", customer=CUSTOMER))["draft"]
    named = await _send(gateway, headers, id=draft["id"],
                        email='"Boss" <boss@elsewhere.test>')
    assert [(e["code"], e["field"]) for e in named["errors"]] == [
        ("INVALID", ["input", "email"])]
    for address in ("client@elsewhere.test", None):  # typed, then the draft's own
        sent = await _send(gateway, headers, id=draft["id"], email=address)
        assert sent["errors"] == [] and sent["draft"]["status"] == "SENT"
    slow = await _send(gateway, headers, id=draft["id"], email="third@elsewhere.test")
    assert [(e["code"], e["field"]) for e in slow["errors"]] == [
        ("RATE_LIMITED", ["input", "email"])]
    assert "minute" in slow["errors"][0]["message"]


async def test_list_inputs_are_capped_at_their_field(gateway: Gateway) -> None:
    tenant = await make_tenant()
    headers = await bearer_for(tenant.admin)
    voices = await gateway.graphql(
        """mutation($input: SaveSignupDraftInput!) { saveSignupDraft(input: $input) {
          errors { code field } } }""",
        {"input": {"kind": "COMPANY", "customer": {
            "name": "Plomberie", "voiceLanguages": ["fr"] * (signup.MAX_ITEMS + 1)}}},
        **headers)
    assert voices["data"]["saveSignupDraft"]["errors"] == [
        {"code": "TOO_MANY", "field": ["input", "customer", "voiceLanguages"]}]
    # Fifty thousand ids: refused on their count, not one "not found" per id.
    many = await gateway.graphql(MESSAGE, {"input": {
        "accountIds": ["x"] * 50_000, "fromId": to_base64("User", tenant.admin.id),
        "kind": "ACCESS_CODES"}}, **headers)
    errors = many["data"]["sendAccountMessage"]["errors"]
    assert [(e["code"], e["field"]) for e in errors] == [("TOO_MANY", ["input", "accountIds"])]
    assert str(services.MAX_MESSAGE_ACCOUNTS) in errors[0]["message"]
