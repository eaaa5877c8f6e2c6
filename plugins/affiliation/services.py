"""Affiliating an account to an organisation and un-affiliating it, callable without GraphQL.

Both take row locks, in one order (the accounts' rows by id, then their settings rows by
account id), so two affiliations into one organisation, or an affiliation and an extension
allocation in one of its accounts, run one after the other; the second one computes the
proposal again on what the first one left, and is refused if it no longer matches."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from tortoise.transactions import in_transaction

from gateway.api import (
    STAFF,
    Account,
    AccountKind,
    BillingStatus,
    PluginHost,
    Principal,
    Problem,
    Text,
    User,
    account_for,
    accounts_visible,
    await_me_maybe,
    raise_all,
)
from plugins.account_settings.api import (
    AccountOptions,
    ExtensionKind,
    ExtensionReservation,
    get_options,
)
from plugins.affiliation import errors as e
from plugins.affiliation import notifications
from plugins.affiliation.errors import AffiliationErrorCode as Code
from plugins.affiliation.proposals import (
    Change,
    Proposal,
    compute,
    items_of,
    organization_members,
)

log = logging.getLogger("gateway.affiliation")

REFERENCES_HOOK = "gateway_extension_references"


def is_staff(principal: Principal | None) -> bool:
    return principal is not None and principal.role in STAFF and not principal.direct_access


# --- Finding the accounts --------------------------------------------------------------------

async def find_organization(principal: Principal | None, account: Account,
                            organization_id: int, field_path: list[str]) -> Account:
    """The would-be organisation: an account of the same reseller that the caller sees."""
    organization = await accounts_visible(principal).filter(
        id=organization_id, reseller_id=account.reseller_id).first()
    if organization is None:
        raise Problem(Code.NOT_FOUND, e.NO_SUCH_ORGANIZATION, field_path)
    return organization


async def check_pair(account: Account, organization: Account, account_field: list[str],
                     organization_field: list[str]) -> None:
    """Every reason ``account`` cannot join ``organization`` now, all at once."""
    problems: list[Problem] = []
    if account.billing_status == BillingStatus.UNSUBSCRIBED:
        problems.append(Problem(Code.ACCOUNT_UNSUBSCRIBED, e.UNSUBSCRIBED, account_field))
    if account.organization_id is not None:
        problems.append(Problem(Code.ALREADY_AFFILIATED, e.ALREADY_AFFILIATED, account_field,
                                org_id=account.organization_id))
    elif await Account.filter(organization_id=account.id).exists():
        problems.append(Problem(Code.ACCOUNT_IS_ORGANIZATION, e.ACCOUNT_IS_ORGANIZATION,
                                account_field))
    if organization.id == account.id:
        problems.append(Problem(Code.SELF_AFFILIATION, e.SELF, organization_field))
    else:
        if organization.kind != AccountKind.COMPANY:
            problems.append(Problem(Code.WRONG_ACCOUNT_KIND, e.COMPANY_ONLY,
                                    organization_field))
        if organization.organization_id is not None:
            problems.append(Problem(
                Code.ORGANIZATION_AFFILIATED, e.ORGANIZATION_AFFILIATED, organization_field,
                org_id=organization.organization_id))
        if organization.billing_status == BillingStatus.UNSUBSCRIBED:
            problems.append(Problem(Code.ACCOUNT_UNSUBSCRIBED, e.UNSUBSCRIBED,
                                    organization_field))
    raise_all(problems)


# --- Locks -------------------------------------------------------------------------------------

async def _lock_accounts(ids: Iterable[int]) -> dict[int, Account]:
    """The accounts' rows, locked in id order until the transaction ends."""
    rows = await Account.filter(id__in=sorted(set(ids))).order_by("id").select_for_update()
    return {row.id: row for row in rows}


async def _lock_options(account_ids: Iterable[int]) -> dict[int, AccountOptions]:
    """The accounts' settings rows (the account settings plugin's allocation lock), made if
    missing, locked in account order."""
    ids = sorted(set(account_ids))
    existing = set(await AccountOptions.filter(account_id__in=ids).values_list(
        "account_id", flat=True))
    for missing in (i for i in ids if i not in existing):
        await get_options(missing)
    rows = await AccountOptions.filter(account_id__in=ids).order_by(
        "account_id").select_for_update()
    return {row.account_id: row for row in rows}


# --- Proposal, affiliation -------------------------------------------------------------------

async def proposal_for(principal: Principal | None, account_id: int, organization_id: int,
                       account_field: list[str], organization_field: list[str]
                       ) -> tuple[Account, Account, Proposal]:
    """The clashes and their proposed replacements; nothing is changed."""
    account = await account_for(principal, account_id, account_field)
    organization = await find_organization(principal, account, organization_id,
                                           organization_field)
    await check_pair(account, organization, account_field, organization_field)
    members = await organization_members(organization.id)
    return account, organization, await compute(account, organization, members, account_field)


@dataclass
class Affiliated:
    account: Account
    organization: Account
    changes: list[Change]
    notified: list[str] = field(default_factory=list)


async def affiliate(principal: Principal | None, account_id: int, organization_id: int, *,
                    token: str | None, notify: bool, host: PluginHost) -> Affiliated:
    """Affiliate the account to the organisation: the accepted proposal's extension changes
    and the link, in one transaction. Without ``token``, only when nothing clashes; with it,
    only when the proposal computed now is the accepted one (else PROPOSAL_STALE)."""
    account_field, organization_field = ["input", "accountId"], ["input", "organizationId"]
    token_field = ["input", "proposalToken"]
    account = await account_for(principal, account_id, account_field)
    organization = await find_organization(principal, account, organization_id,
                                           organization_field)
    async with in_transaction():
        locked = await _lock_accounts([account.id, organization.id])
        if account.id not in locked or organization.id not in locked:  # deleted meanwhile
            raise Problem(Code.NOT_FOUND, e.ACCOUNT_NOT_FOUND, account_field)
        account, organization = locked[account.id], locked[organization.id]
        await check_pair(account, organization, account_field, organization_field)
        members = await organization_members(organization.id)
        options = await _lock_options([account.id, *members])
        proposal = await compute(account, organization, members, account_field,
                                 options[account.id])
        raise_all(proposal.problems)
        if token is None:
            if proposal.changes:
                raise Problem(Code.PROPOSAL_REQUIRED, e.PROPOSAL_REQUIRED, token_field)
        elif token.strip() != proposal.token:
            raise Problem(Code.PROPOSAL_STALE, e.PROPOSAL_STALE, token_field)
        for change in proposal.changes:
            model = User if change.item.kind == ExtensionKind.USER else ExtensionReservation
            await model.filter(id=change.item.item_id, account_id=account.id).update(
                extension=change.replacement)
        await Account.filter(id=account.id).update(organization_id=organization.id)
        account = await Account.get(id=account.id)
        result = Affiliated(account, organization, proposal.changes)
        if notify:
            result.notified = await notifications.affiliated(host, account, organization,
                                                             proposal.changes)
    log.info("account %s affiliated to organisation %s (%d extension(s) changed)",
             account.id, organization.id, len(proposal.changes))
    return result


# --- Un-affiliation --------------------------------------------------------------------------

@dataclass(frozen=True)
class ReferenceWarning:
    """Something of ``account_id`` that points at ``extension`` and stops reaching it."""

    account_id: int | None
    extension: str
    kind: str
    message: Text | str


@dataclass
class Unaffiliated:
    account: Account
    organization: Account
    warnings: list[ReferenceWarning]
    notified: list[str] = field(default_factory=list)


async def unaffiliate(principal: Principal | None, account_id: int, *, notify: bool,
                      host: PluginHost, account_field: list[str] | None = None) -> Unaffiliated:
    """End the account's affiliation: its users leave the shared directory. Returns the
    warnings of the plugins about what pointed at the extensions that stop being shared."""
    account_field = account_field or ["input", "accountId"]
    account = await account_for(principal, account_id, account_field)
    organization_id = account.organization_id
    if organization_id is None:
        raise Problem(Code.NOT_AFFILIATED, e.NOT_AFFILIATED, account_field)
    async with in_transaction():
        locked = await _lock_accounts([account.id, organization_id])
        mine = locked.get(account.id)
        if mine is None or mine.organization_id != organization_id:
            raise Problem(Code.NOT_AFFILIATED, e.NOT_AFFILIATED, account_field)
        organization = locked[organization_id]
        remaining = [m for m in await organization_members(organization_id) if m != account.id]
        leaving_items = await items_of([account.id])
        remaining_items = await items_of(remaining)
        await Account.filter(id=account.id).update(organization_id=None)
        account = await Account.get(id=account.id)
        result = Unaffiliated(account, organization, [])
        if notify:
            result.notified = await notifications.unaffiliated(host, account, organization,
                                                               remaining)
    log.info("account %s left organisation %s", account.id, organization_id)
    result.warnings = [
        *await extension_references(host, remaining, [i.extension for i in leaving_items]),
        *await extension_references(host, [account.id], [i.extension for i in remaining_items]),
    ]
    return result


async def unaffiliation_warnings(principal: Principal | None, account_id: int,
                                 host: PluginHost,
                                 account_field: list[str]) -> list[ReferenceWarning]:
    """What un-affiliating the account would leave pointing at extensions it no longer
    shares (nothing is changed)."""
    account = await account_for(principal, account_id, account_field)
    organization_id = account.organization_id
    if organization_id is None:
        return []
    remaining = [m for m in await organization_members(organization_id) if m != account.id]
    return [
        *await extension_references(host, remaining,
                                    [i.extension for i in await items_of([account.id])]),
        *await extension_references(host, [account.id],
                                    [i.extension for i in await items_of(remaining)]),
    ]


async def extension_references(host: PluginHost, account_ids: list[int],
                               extensions: list[str]) -> list[ReferenceWarning]:
    """The plugins' warnings (``gateway_extension_references``): what the accounts
    ``account_ids`` keep that points at ``extensions``. A plugin that fails is named in a
    warning of its own (and logged), never hides the others."""
    account_ids = sorted(set(account_ids))
    extensions = sorted(set(extensions))
    if not account_ids or not extensions:
        return []
    arguments = {"gateway": host, "account_ids": account_ids, "extensions": extensions}
    order = {spec.name: i for i, spec in enumerate(host.specs)}
    impls = sorted(getattr(host.pm.hook, REFERENCES_HOOK).get_hookimpls(),
                   key=lambda impl: order.get(impl.plugin_name, len(order)))
    warnings: list[ReferenceWarning] = []
    for impl in impls:
        try:
            value = await await_me_maybe(
                impl.function(**{name: arguments[name] for name in impl.argnames}))
        except Exception:
            log.exception("plugin %s failed to check extension references", impl.plugin_name)
            warnings.append(ReferenceWarning(None, "", "CHECK_FAILED", Text(
                en=e.CHECK_FAILED.en.format(plugin=impl.plugin_name),
                fr=e.CHECK_FAILED.fr.format(plugin=impl.plugin_name))))
            continue
        for entry in value if isinstance(value, list | tuple) else [value]:
            if entry:
                warnings.append(_warning(entry))
    return warnings


def _warning(entry: Any) -> ReferenceWarning:
    if isinstance(entry, ReferenceWarning):
        return entry
    if isinstance(entry, dict):
        account_id = entry.get("account_id")
        return ReferenceWarning(int(account_id) if account_id is not None else None,
                       str(entry.get("extension") or ""), str(entry.get("kind") or "OTHER"),
                       entry.get("message") or "")
    return ReferenceWarning(None, "", "OTHER", str(entry))
