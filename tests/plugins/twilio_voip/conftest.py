"""Fixtures of the Twilio VoIP tests: Prism serving Twilio's OpenAPI description (one per
session), the stateful layer in front of it, the real app with every plugin of plugins.toml
(one per module), tenants with Twilio accounts, and helpers to sign webhooks exactly as Twilio
does (``RequestValidator``)."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest
from strawberry.relay import to_base64
from twilio.request_validator import RequestValidator

from gateway.identity.models import Account, BillingStatus, UserRole
from gateway.identity.sessions import open_session
from gateway.plugins import PluginHost, read_plugin_specs
from tests.conftest import ROOT, Gateway, make_settings, start_gateway
from tests.plugins.twilio_voip.fake_twilio import FakeTwilio, Prism, TwilioAccountState
from tests.support.identity_factory import Tenant, bearer_for, make_tenant, make_user

PUBLIC_URL = "http://gateway.test"
TIMEOUT = 15.0


@pytest.fixture(scope="session")
def prism() -> Iterator[Prism]:
    server = Prism()
    try:
        server.start()
    except RuntimeError as error:
        pytest.fail(str(error))
    yield server
    server.stop()


@pytest.fixture(scope="module")
async def fake_twilio(prism: Prism) -> AsyncIterator[FakeTwilio]:
    fake = FakeTwilio(prism.url)
    await fake.start()
    yield fake
    await fake.stop()


def voip_host(settings: Any, api_base_url: str) -> PluginHost:
    specs = read_plugin_specs(ROOT / "plugins.toml", ())
    for spec in specs:
        if spec.name == "twilio_voip":
            spec.config = {**spec.config, "api_base_url": api_base_url,
                           "price_retry_seconds": 0.2, "price_attempts": 30}
    return PluginHost(settings, specs=specs)


@pytest.fixture(scope="module")
async def voip_gateway(migrated: str, tmp_path_factory: pytest.TempPathFactory,
                       fake_twilio: FakeTwilio) -> AsyncIterator[Gateway]:
    """One app per module (tests make their own tenants, numbers and Twilio accounts)."""
    tmp = tmp_path_factory.mktemp("voip")
    settings = make_settings(migrated, tmp, public_url=PUBLIC_URL)
    async for running in start_gateway(
            settings, host=voip_host(settings, fake_twilio.url),
            job_options={"relay_interval": 0.05, "scheduler_tick": 0.2,
                         "in_process_workers": True}):
        yield running


class Voip:
    """A tenant with headers per role, its Twilio account at the fake, and helpers."""

    def __init__(self, gateway: Gateway, fake: FakeTwilio, tenant: Tenant,
                 headers: dict[str, dict[str, str]], twilio: TwilioAccountState) -> None:
        self.gateway = gateway
        self.fake = fake
        self.tenant = tenant
        self.headers = headers
        self.twilio = twilio
        self.users: dict[str, Any] = {"admin": tenant.company_admin,
                                      "employee": tenant.employee}

    async def raw(self, who: str, query: str, variables: dict[str, Any] | None = None
                  ) -> dict[str, Any]:
        return await self.gateway.graphql(query, variables or {}, **self.headers[who])

    async def call(self, who: str, query: str, variables: dict[str, Any] | None = None
                   ) -> dict[str, Any]:
        result = await self.raw(who, query, variables)
        assert "errors" not in result, result
        return result["data"]  # type: ignore[no-any-return]

    async def connect(self, who: str = "admin") -> dict[str, Any]:
        data = await self.call(who, CONNECT, {"sid": self.twilio.sid,
                                              "token": self.twilio.token})
        assert data["connectTwilio"]["errors"] == [], data
        return data["connectTwilio"]["settings"]  # type: ignore[no-any-return]

    async def buy(self, number: str, who: str = "admin") -> dict[str, Any]:
        data = await self.call(who, BUY, {"number": number})
        assert data["buyVoipNumber"]["errors"] == [], data
        return data["buyVoipNumber"]["number"]  # type: ignore[no-any-return]

    def user_id(self, who: str) -> str:
        return to_base64("User", self.users[who].id)

    async def webhook(self, path: str, params: dict[str, str], *,
                      token: str | None = None, signature: str | None = None,
                      sign_url: str | None = None) -> httpx.Response:
        """POST ``params`` to ``path`` signed exactly as Twilio signs (the URL it was given,
        PUBLIC_URL + path, and the parameters), with the account's Auth Token."""
        params = {"AccountSid": self.twilio.sid, **params}
        url = sign_url or PUBLIC_URL + path
        if signature is None:
            signature = RequestValidator(token or self.twilio.token).compute_signature(
                url, params)
        headers = {"X-Twilio-Signature": signature} if signature else {}
        return await self.gateway.client.post(path, data=params, headers=headers)


async def make_voip(gateway: Gateway, fake: FakeTwilio, *, trial: bool = False,
                    owned: list[str] | None = None) -> Voip:
    tenant = await make_tenant(f"Voip {secrets.token_hex(3)}")
    for account in (tenant.company, tenant.professional_account):
        await Account.filter(id=account.id).update(billing_status=BillingStatus.IN_PRODUCTION)
    _, direct = await open_session(tenant.admin, acting_account=tenant.company)
    headers = {
        "admin": await bearer_for(tenant.company_admin),
        "employee": await bearer_for(tenant.employee),
        "professional": await bearer_for(tenant.professional),
        "staff": await bearer_for(tenant.admin),
        "direct": {"Authorization": f"Bearer {direct}"},
    }
    french = await make_user(UserRole.COMPANY_ADMIN, reseller=tenant.reseller,
                             account=tenant.company, language="fr")
    headers["admin fr"] = await bearer_for(french)
    voip = Voip(gateway, fake, tenant, headers, fake.account(trial=trial, owned=owned))
    voip.users["admin fr"] = french
    return voip


@pytest.fixture
async def voip(voip_gateway: Gateway, fake_twilio: FakeTwilio) -> Voip:
    return await make_voip(voip_gateway, fake_twilio)


@pytest.fixture
def new_voip(voip_gateway: Gateway, fake_twilio: FakeTwilio
             ) -> Callable[..., Awaitable[Voip]]:
    async def make(**options: Any) -> Voip:
        return await make_voip(voip_gateway, fake_twilio, **options)
    return make


def phone() -> str:
    """A fresh, valid North American number (numbers are unique on the platform)."""
    return f"+1438{secrets.randbelow(800) + 200}{secrets.randbelow(10_000):04d}"


async def wait_for(check: Callable[[], Awaitable[bool]], timeout: float = TIMEOUT) -> None:
    """Until ``check()`` holds (a job's effect), or fail after ``timeout``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await check():
        if loop.time() > deadline:
            raise AssertionError("timed out waiting")
        await asyncio.sleep(0.05)


CONNECT = """
mutation ($sid: String!, $token: String!) {
  connectTwilio(input: {accountSid: $sid, authToken: $token}) {
    settings { accountSid friendlyName trial ringSeconds voicemail }
    errors { code field message }
  }
}"""
BUY = """
mutation ($number: String!) {
  buyVoipNumber(input: {phoneNumber: $number}) {
    number { id sid phoneNumber bought outgoingCalls recording }
    errors { code field message }
  }
}"""
SET_OPERATORS = """
mutation ($number: ID!, $users: [ID!]!) {
  setVoipNumberOperators(input: {numberId: $number, userIds: $users}) {
    number { id operators { id name outgoingCalls recording online } }
    errors { code field message }
  }
}"""
UPDATE_NUMBER = """
mutation ($id: ID!, $out: Boolean, $rec: Boolean) {
  updateVoipNumber(input: {id: $id, outgoingCalls: $out, recording: $rec}) {
    number { id outgoingCalls recording } errors { code field message }
  }
}"""
PRESENCE = """
mutation ($online: Boolean!) {
  setVoipPresence(input: {online: $online}) {
    voip { available online identity } errors { code field message }
  }
}"""
START_CALL = """
mutation ($input: StartVoipCallInput!) {
  startVoipCall(input: $input) {
    callToken number call { id status direction otherNumber contact { id name } }
    errors { code field message }
  }
}"""
CALLS = """
query ($filter: VoipCallFilter, $first: Int, $after: String) {
  voipCalls(filter: $filter, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id direction status startedAt answeredAt endedAt duration ourNumber
                   otherNumber voicemail operatorName contact { id name }
                   price { amount currency } recordingUrl notes { text authorName } } }
  }
}"""


