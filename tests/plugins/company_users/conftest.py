"""Fixtures of the company users tests: the real app with every plugin of plugins.toml and a
real SMTP server on loopback, a tenant and another reseller's, and helpers to call the API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from strawberry.relay import to_base64

from gateway.identity.models import User
from tests.conftest import Gateway, make_settings, start_gateway
from tests.gateway.test_email import SmtpServer, smtp_server  # noqa: F401  (fixture)
from tests.plugins.account_settings.conftest import World as OptionsWorld
from tests.plugins.account_settings.conftest import production_world

USER_FIELDS = ("id firstName lastName email login language extension role active hasPin "
               "createdAt")
PAYLOAD = f"user {{ {USER_FIELDS} }} errors {{ code field message }}"
CREATE = f"""mutation($input: CreateCompanyUserInput!) {{
  createCompanyUser(input: $input) {{ {PAYLOAD} }} }}"""
UPDATE = f"""mutation($input: UpdateCompanyUserInput!) {{
  updateCompanyUser(input: $input) {{ {PAYLOAD} }} }}"""
SUSPEND = f"""mutation($input: CompanyUserIdInput!) {{
  suspendCompanyUser(input: $input) {{ {PAYLOAD} }} }}"""
RESUME = f"""mutation($input: CompanyUserIdInput!) {{
  resumeCompanyUser(input: $input) {{ {PAYLOAD} }} }}"""
DELETE = """mutation($input: CompanyUserIdInput!) {
  deleteCompanyUser(input: $input) { deletedId errors { code field message } } }"""
SEND = f"""mutation($input: CompanyUserIdInput!) {{
  sendCompanyUserAccessCodes(input: $input) {{ sentTo {PAYLOAD} }} }}"""
SET_PIN = f"""mutation($input: SetCompanyUserPinInput!) {{
  setCompanyUserPin(input: $input) {{ {PAYLOAD} }} }}"""
LIST = f"""query($accountId: ID!, $search: String, $first: Int, $after: String) {{
  companyUsers(accountId: $accountId, search: $search, first: $first, after: $after) {{
    totalCount pageInfo {{ hasNextPage endCursor }} nodes {{ {USER_FIELDS} }} }} }}"""
LOGIN = """mutation($i: LoginInput!) { login(input: $i) { token errors { code } } }"""


def user_id(user: User | int) -> str:
    return to_base64("User", user if isinstance(user, int) else user.id)


@pytest.fixture
async def users_gateway(migrated: str, tmp_path: Path,
                        smtp_server: SmtpServer) -> AsyncIterator[Gateway]:  # noqa: F811
    settings = make_settings(migrated, tmp_path,
                             email_url=f"smtp://127.0.0.1:{smtp_server.port}")
    async for running in start_gateway(settings, job_options={
            "relay_interval": 0.05, "scheduler_tick": 0.2, "in_process_workers": True}):
        running.smtp = smtp_server  # type: ignore[attr-defined]
        yield running


class World(OptionsWorld):
    """A tenant in production, another reseller's tenant, and their callers' headers."""

    async def raw(self, who: str, query: str, **variables: Any) -> dict[str, Any]:
        return await self.gateway.graphql(query, variables, **self.headers[who])

    async def call(self, who: str, query: str, **variables: Any) -> dict[str, Any]:
        """The payload (the one root field's value) of a call that GraphQL accepts."""
        result = await self.raw(who, query, **variables)
        assert "errors" not in result, result
        [payload] = result["data"].values()
        return payload  # type: ignore[no-any-return]

    async def create(self, who: str, **values: Any) -> dict[str, Any]:
        return await self.call(who, CREATE, input={"accountId": self.company_id, **values})


def codes(payload: dict[str, Any]) -> list[tuple[str, list[str] | None]]:
    return [(error["code"], error["field"]) for error in payload["errors"]]


@pytest.fixture
async def world(users_gateway: Gateway) -> World:
    return await production_world(users_gateway, World,
                                  ("Alpha Utilisateurs", "Beta Utilisateurs"))
