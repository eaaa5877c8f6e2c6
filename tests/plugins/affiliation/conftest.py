"""Fixtures of the affiliation tests: the real app with every plugin of plugins.toml, a
stand-in for the groups plugins (``references_plugin``), a real SMTP server on loopback, and
an organisation to affiliate accounts to."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from strawberry.relay import to_base64

from gateway.identity.models import Account, AccountKind, BillingStatus, User, UserRole
from gateway.models import OutboxJob
from gateway.plugins import PluginHost, PluginSpec, read_plugin_specs
from plugins.account_settings.models import AccountOptions, ExtensionKind, ExtensionReservation
from tests.conftest import ROOT, Gateway, make_settings, start_gateway
from tests.gateway.test_email import SmtpServer, smtp_server  # noqa: F401  (fixture)
from tests.plugins.affiliation import references_plugin
from tests.plugins.clients.conftest import (  # noqa: F401  (re-exported, fixture)
    StatementLog,
    received,
    sql_log,
)
from tests.support.identity_factory import (
    Tenant,
    bearer_for,
    make_account,
    make_tenant,
    make_user,
)

JOB_OPTIONS = {"relay_interval": 0.05, "scheduler_tick": 0.2, "in_process_workers": True}

PROPOSAL = """query($a: ID!, $o: ID!) { affiliationProposal(accountId: $a, organizationId: $o) {
  proposal { token account { accountNumber } organization { accountNumber }
    changes { kind extension replacement name userId
      clashesWith { kind extension name accountName accountNumber } } }
  errors { code field message } } }"""
AFFILIATE = """mutation($input: AffiliateAccountInput!) { affiliateAccount(input: $input) {
  account { accountNumber orgId } organization { accountNumber orgId }
  changes { kind extension replacement name }
  errors { code field message } } }"""
UNAFFILIATE = """mutation($input: UnaffiliateAccountInput!) { unaffiliateAccount(input: $input) {
  account { accountNumber orgId } formerOrganization { accountNumber }
  warnings { account { accountNumber } extension kind message }
  errors { code field message } } }"""
DIRECTORY = """query($a: ID!, $search: String, $first: Int, $after: String) {
  organizationDirectory(accountId: $a, search: $search, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { id name firstName lastName extension accountName accountNumber } } }"""


def affiliation_host(settings: Any) -> PluginHost:
    specs = read_plugin_specs(ROOT / "plugins.toml", ())
    specs.append(PluginSpec(name="references",
                            module="tests.plugins.affiliation.references_plugin",
                            source="built in"))
    return PluginHost(settings, specs=specs)


@pytest.fixture
async def affiliation_gateway(
    migrated: str, tmp_path: Path, smtp_server: SmtpServer  # noqa: F811
) -> AsyncIterator[Gateway]:
    references_plugin.reset()
    settings = make_settings(migrated, tmp_path, email_url=f"smtp://127.0.0.1:{smtp_server.port}")
    async for running in start_gateway(settings, host=affiliation_host(settings),
                                       job_options=JOB_OPTIONS):
        running.smtp = smtp_server  # type: ignore[attr-defined]
        yield running


def gid(account: Account) -> str:
    return to_base64("Account", account.id)


async def give(user: User, extension: str | None) -> User:
    await User.filter(id=user.id).update(extension=extension)
    user.extension = extension
    return user


async def reserve(account: Account, kind: ExtensionKind, extension: str,
                  label: str) -> ExtensionReservation:
    return await ExtensionReservation.create(account=account, kind=kind, extension=extension,
                                             label=label)


async def user_ranges(account: Account, first: int, last: int) -> None:
    if not await AccountOptions.filter(account_id=account.id).update(
            user_extensions_first=first, user_extensions_last=last):
        await AccountOptions.create(account=account, user_extensions_first=first,
                                    user_extensions_last=last)


async def emails_queued() -> int:
    return await OutboxJob.filter(job="email.send").count()


async def snapshot() -> dict[str, Any]:
    """Everything an affiliation may change: the links and every extension."""
    return {
        "links": sorted(await Account.all().values_list("id", "organization_id")),
        "users": sorted(await User.all().values_list("id", "extension")),
        "reserved": sorted(await ExtensionReservation.all().values_list("id", "extension")),
    }


@dataclass
class World:
    """Reseller Alpha: the organisation (company ``org``: admin 100, employee 101, group 500),
    a company ``branch`` (admin 100, employee 102, group 500, service 700) whose user range
    is 140-160, the tenant's professional (no extension yet); reseller Beta."""

    gateway: Gateway
    alpha: Tenant
    beta: Tenant
    org: Account
    branch: Account
    branch_admin: User
    branch_employee: User
    headers: dict[str, dict[str, str]]

    async def call(self, who: str, query: str, **variables: Any) -> dict[str, Any]:
        result = await self.gateway.graphql(query, variables, **self.headers[who])
        assert "errors" not in result, result
        return result["data"]  # type: ignore[no-any-return]

    async def proposal(self, account: Account, org: Account | None = None,
                       who: str = "staff") -> dict[str, Any]:
        data = await self.call(who, PROPOSAL, a=gid(account), o=gid(org or self.org))
        return data["affiliationProposal"]  # type: ignore[no-any-return]

    async def affiliate(self, account: Account, org: Account | None = None, *,
                        token: str | None = None, notify: bool = False,
                        who: str = "staff") -> dict[str, Any]:
        data = await self.call(who, AFFILIATE, input={
            "accountId": gid(account), "organizationId": gid(org or self.org),
            "proposalToken": token, "notify": notify})
        return data["affiliateAccount"]  # type: ignore[no-any-return]

    async def unaffiliate(self, account: Account, *, notify: bool = False,
                          who: str = "staff") -> dict[str, Any]:
        data = await self.call(who, UNAFFILIATE, input={"accountId": gid(account),
                                                        "notify": notify})
        return data["unaffiliateAccount"]  # type: ignore[no-any-return]

    async def directory(self, account: Account, who: str, **variables: Any) -> dict[str, Any]:
        data = await self.call(who, DIRECTORY, a=gid(account), **variables)
        return data["organizationDirectory"]  # type: ignore[no-any-return]


@pytest.fixture
async def world(affiliation_gateway: Gateway) -> World:
    alpha = await make_tenant("Alpha Affiliation")
    beta = await make_tenant("Beta Affiliation")
    org = alpha.company
    await Account.filter(id=org.id).update(name="Organisation Mère")
    org.name = "Organisation Mère"
    await give(alpha.company_admin, "100")
    await give(alpha.employee, "101")
    await reserve(org, ExtensionKind.GROUP, "500", "Ventes")
    branch = await make_account(alpha.reseller, AccountKind.COMPANY, "Succursale Nord")
    branch_admin = await give(await make_user(UserRole.COMPANY_ADMIN, reseller=alpha.reseller,
                                              account=branch), "100")
    branch_employee = await give(await make_user(UserRole.EMPLOYEE, reseller=alpha.reseller,
                                                 account=branch), "102")
    await reserve(branch, ExtensionKind.GROUP, "500", "Accueil")
    await reserve(branch, ExtensionKind.SERVICE, "700", "Boîte vocale")
    await user_ranges(branch, 140, 160)
    for account in (org, branch, alpha.professional_account, beta.company):
        await Account.filter(id=account.id).update(billing_status=BillingStatus.IN_PRODUCTION)
    headers = {
        "staff": await bearer_for(alpha.admin),
        "org admin": await bearer_for(alpha.company_admin),
        "org employee": await bearer_for(alpha.employee),
        "branch employee": await bearer_for(branch_employee),
        "professional": await bearer_for(alpha.professional),
        "beta staff": await bearer_for(beta.admin),
        "beta employee": await bearer_for(beta.employee),
    }
    return World(affiliation_gateway, alpha, beta, org, branch, branch_admin, branch_employee,
                 headers)
