"""GraphQL of the affiliation area: the proposal, affiliating and un-affiliating, the
organisation's shared directory."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry

from gateway.api import (
    SIGNED_IN,
    STAFF,
    AccountNode,
    Connection,
    Error,
    Problem,
    Problems,
    ProblemsToPayload,
    Text,
    account_loader,
    allow,
    build_connection,
    describe_enum_values,
    error_type,
    global_id,
    listed_pk,
    mutation,
    node_pk,
    page_window,
    to_errors,
)
from plugins.account_settings.api import ExtensionKind
from plugins.affiliation import directory, services
from plugins.affiliation import errors as e
from plugins.affiliation.errors import AffiliationErrorCode
from plugins.affiliation.proposals import Change


# ExtensionKind is the account settings plugin's GraphQL enum: its schema modules, loaded
# first (this plugin requires that one), register it before the types below use it.
@error_type("Affiliation", AffiliationErrorCode)
class AffiliationError(Error):
    """A refusal of the Affiliation area: what was wrong, where, and why."""


describe_enum_values(AffiliationErrorCode, {
    "NOT_FOUND": "No such account, or no such organisation among the reseller's accounts (an "
    "account the caller may not see is not found either).",
    "NOT_ALLOWED": "Only the reseller's staff and system admins manage affiliations.",
    "WRONG_ACCOUNT_KIND": "Only a company account can become an organisation.",
    "SELF_AFFILIATION": "An account cannot be affiliated to itself.",
    "ALREADY_AFFILIATED": "The account already belongs to an organisation: un-affiliate it "
    "first.",
    "ORGANIZATION_AFFILIATED": "The organisation chosen is itself affiliated to another: "
    "choose that one.",
    "ACCOUNT_IS_ORGANIZATION": "The account is an organisation with affiliates, and an "
    "organisation cannot join another.",
    "ACCOUNT_UNSUBSCRIBED": "The account or the organisation is unsubscribed (Désabonné).",
    "NOT_AFFILIATED": "The account is not affiliated to an organisation.",
    "RANGE_FULL": "The account's extension range of that kind has no free extension left to "
    "replace a clashing one.",
    "PROPOSAL_REQUIRED": "Extensions clash, so affiliateAccount needs the token of an accepted "
    "affiliationProposal.",
    "PROPOSAL_STALE": "Extensions changed since the proposal: ask for a new one.",
})


async def _account(info: strawberry.Info, account_id: int | None) -> AccountNode | None:
    if account_id is None:
        return None
    return await account_loader(info).load(account_id)


def _account_id(raw: Any, where: list[str], text: Text = e.ACCOUNT_NOT_FOUND) -> int:
    return node_pk(raw, "Account", where, text)


# --- Types -------------------------------------------------------------------------------------

@strawberry.type(description="An extension of the organisation that one of the joining "
                 "account's extensions clashes with.")
class ExtensionHolder:
    kind: ExtensionKind = strawberry.field(description="What holds it: a user, a group or a "
                                           "service.")
    extension: str = strawberry.field(description="The extension number both accounts use.")
    name: str = strawberry.field(description="The user's name, or the group's or service's "
                                 "label.")
    account_name: str = strawberry.field(description="The name of the organisation's account "
                                         "holding it.")
    account_number: int = strawberry.field(description="CID or UID of the account holding it.")


@strawberry.type(description="A clashing extension of the joining account and the free one "
                 "proposed in its place, from the account's range of its kind.")
class ExtensionChange:
    kind: ExtensionKind = strawberry.field(description="What is renumbered: a user, a group "
                                           "or a service of the joining account.")
    extension: str = strawberry.field(description="The extension now.")
    replacement: str | None = strawberry.field(description="The proposed one; null when the "
                                               "account's range has no free extension left.")
    name: str = strawberry.field(description="The user's name, or the group's or service's "
                                 "label.")
    user_id: strawberry.ID | None = strawberry.field(description="The user, for a USER "
                                                     "extension.")
    clashes_with: ExtensionHolder = strawberry.field(
        description="The organisation's extension it clashes with (never renumbered).")

    @classmethod
    def of(cls, change: Change) -> ExtensionChange:
        item, other = change.item, change.clashes_with
        return cls(
            kind=item.kind, extension=item.extension, replacement=change.replacement,
            name=item.name,
            user_id=global_id("User", item.item_id) if item.kind == ExtensionKind.USER else None,
            clashes_with=ExtensionHolder(
                kind=other.kind, extension=other.extension,
                name=other.name, account_name=change.clashes_with_account,
                account_number=other.account_id))


@strawberry.type(description="What affiliating an account would change: every clashing "
                 "extension with its proposed replacement. Accept it by passing its token to "
                 "affiliateAccount; to cancel, do nothing.")
class AffiliationProposal:
    account_id: strawberry.Private[int]
    organization_id: strawberry.Private[int]
    changes: list[ExtensionChange] = strawberry.field(
        description="Every clashing extension of the joining account with its replacement; "
        "empty when nothing clashes.")
    token: str | None = strawberry.field(description="Accepts exactly these changes; null when "
                                         "they cannot be made (see errors).")

    @strawberry.field(description="The account joining the organisation.")
    async def account(self, info: strawberry.Info) -> AccountNode | None:
        return await _account(info, self.account_id)

    @strawberry.field(description="The organisation's company account (its ORGID).")
    async def organization(self, info: strawberry.Info) -> AccountNode | None:
        return await _account(info, self.organization_id)


@strawberry.type(description="The affiliation proposal, with why it cannot be accepted as it "
                 "is (e.g. RANGE_FULL), or why there is none.")
class AffiliationProposalPayload:
    proposal: AffiliationProposal | None = strawberry.field(
        description="The proposal; null when the pair cannot be affiliated (see errors).")
    errors: list[AffiliationError] = strawberry.field(
        default_factory=list)


@strawberry.type(description="Something of an account (a group, a call-forwarding schedule…) "
                 "that points at an extension it no longer shares.")
class AffiliationWarning:
    account_id: strawberry.Private[int | None]
    extension: str = strawberry.field(description="The extension pointed at, which the accounts "
                                      "no longer share.")
    kind: str = strawberry.field(description="What points at it, as the plugin names it "
                                 "(GROUP, CALL_FORWARDING…).")
    message: str = strawberry.field(description="What to review, in the caller's language.")

    @strawberry.field(description="The account whose group or schedule points at the "
                      "extension; null when the plugin did not say.")
    async def account(self, info: strawberry.Info) -> AccountNode | None:
        return await _account(info, self.account_id)

    @classmethod
    def of(cls, warning: services.ReferenceWarning, language: str) -> AffiliationWarning:
        message = warning.message
        return cls(account_id=warning.account_id, extension=warning.extension,
                   kind=warning.kind,
                   message=message.render(language) if isinstance(message, Text)
                   else str(message))


@strawberry.input(description="Affilier: the account, its organisation and the accepted "
                  "proposal.")
class AffiliateAccountInput:
    account_id: strawberry.ID = strawberry.field(description="The company or professional "
                                                 "account joining.")
    organization_id: strawberry.ID = strawberry.field(description="A company account of the "
                                                      "same reseller, not itself affiliated.")
    proposal_token: str | None = strawberry.field(
        default=None, description="The accepted proposal's token; may be left out only when "
        "nothing clashes.")
    notify: bool = strawberry.field(default=True, description="Email the new extensions to "
                                    "the organisation's administrators.")


@strawberry.type(description="The affiliation made, with the extensions renumbered, or why "
                 "it was refused.")
class AffiliateAccountPayload:
    account_id: strawberry.Private[int | None] = None
    organization_id: strawberry.Private[int | None] = None
    changes: list[ExtensionChange] = strawberry.field(
        default_factory=list, description="The extensions renumbered, as proposed.")
    errors: list[AffiliationError] = strawberry.field(
        default_factory=list)

    @strawberry.field(description="The account, now affiliated; null when refused.")
    async def account(self, info: strawberry.Info) -> AccountNode | None:
        return await _account(info, self.account_id)

    @strawberry.field(description="The organisation it joined; null when refused.")
    async def organization(self, info: strawberry.Info) -> AccountNode | None:
        return await _account(info, self.organization_id)


@strawberry.input(description="Désaffilier: the account leaving its organisation.")
class UnaffiliateAccountInput:
    account_id: strawberry.ID = strawberry.field(description="The affiliated account (an "
                                                 "Account id).")
    notify: bool = strawberry.field(default=True, description="Email every user of the account "
                                    "and of the organisation's other accounts.")


@strawberry.type(description="The account now independent, with what to review, or why it "
                 "was refused.")
class UnaffiliateAccountPayload:
    account_id: strawberry.Private[int | None] = None
    organization_id: strawberry.Private[int | None] = None
    warnings: list[AffiliationWarning] = strawberry.field(
        default_factory=list, description="Groups and call-forwarding schedules that pointed at "
        "extensions no longer shared, as the plugins report them.")
    errors: list[AffiliationError] = strawberry.field(
        default_factory=list)

    @strawberry.field(description="The account, now independent (its ORGID is its own); null "
                      "when refused.")
    async def account(self, info: strawberry.Info) -> AccountNode | None:
        return await _account(info, self.account_id)

    @strawberry.field(description="The organisation it left.")
    async def former_organization(self, info: strawberry.Info) -> AccountNode | None:
        return await _account(info, self.organization_id)


@strawberry.type(description="A person of the organisation's shared directory.")
class DirectoryEntry:
    user_id: strawberry.Private[int]
    first_name: str = strawberry.field(description="The person's first name.")
    last_name: str = strawberry.field(description="The person's last name.")
    extension: str | None = strawberry.field(description="The person's extension (poste); null "
                                             "when they have none.")
    account_name: str = strawberry.field(description="The name of the person's account "
                                         "(company or professional).")
    account_number: int = strawberry.field(description="CID or UID of the person's account.")

    @strawberry.field(description="The person's User id.")
    def id(self) -> strawberry.ID:
        return global_id("User", self.user_id)

    @strawberry.field(description="First and last name, as the directory shows it.")
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> DirectoryEntry:
        return cls(user_id=row["id"], first_name=row["first_name"],
                   last_name=row["last_name"], extension=row["extension"] or None,
                   account_name=row["account__name"], account_number=row["account_id"])


# --- Roots ---------------------------------------------------------------------------------------

@strawberry.type
class AffiliationQuery:
    @strawberry.field(extensions=[ProblemsToPayload(AffiliationError), *allow(*STAFF)],
                      description="Affilier: the extension clashes between the account and "
                      "every account of the organisation, with a free replacement proposed for "
                      "each. Changes nothing.")
    async def affiliation_proposal(
        self, info: strawberry.Info,
        account_id: Annotated[strawberry.ID, strawberry.argument(
            description="The company or professional account joining (an Account id).")],
        organization_id: Annotated[strawberry.ID, strawberry.argument(
            description="The organisation: a company account of the same reseller, not itself "
            "affiliated.")],
    ) -> AffiliationProposalPayload:
        _, organization, proposal = await services.proposal_for(
            info.context.principal, _account_id(account_id, ["accountId"]),
            _account_id(organization_id, ["organizationId"], e.NO_SUCH_ORGANIZATION),
            ["accountId"], ["organizationId"])
        return AffiliationProposalPayload(
            proposal=AffiliationProposal(
                account_id=proposal.account_id, organization_id=organization.id,
                changes=[ExtensionChange.of(c) for c in proposal.changes], token=proposal.token),
            errors=to_errors(Problems(proposal.problems), AffiliationError,
                             info.context.language) if proposal.problems else [])

    @strawberry.field(extensions=allow(*STAFF),
                      description="Désaffilier, beforehand: what the organisation's other "
                      "accounts (groups, call-forwarding schedules…) point at in this account, "
                      "and the reverse, as the plugins report it. Changes nothing.")
    async def unaffiliation_warnings(
        self, info: strawberry.Info,
        account_id: Annotated[strawberry.ID, strawberry.argument(
            description="The affiliated account about to leave (an Account id); any other "
            "gives an empty list.")],
    ) -> list[AffiliationWarning]:
        try:
            found = await services.unaffiliation_warnings(
                info.context.principal, _account_id(account_id, ["accountId"]),
                info.context.host, ["accountId"])
        except (Problem, Problems):
            return []
        return [AffiliationWarning.of(w, info.context.language) for w in found]

    @strawberry.field(extensions=allow(*SIGNED_IN),
                      description="The organisation's shared directory (bottin): the users of "
                      "the account's organisation and of every account affiliated to it, by "
                      "name; search by name or extension.")
    async def organization_directory(
        self, info: strawberry.Info,
        account_id: Annotated[strawberry.ID, strawberry.argument(
            description="Any account of the organisation (an Account id); one the caller may "
            "not read gives an empty list.")],
        search: Annotated[str | None, strawberry.argument(
            description="Words that must each match a first or last name, or start an "
            "extension; null: everyone.")] = None,
        first: int | None = None, after: str | None = None,
    ) -> Connection[DirectoryEntry]:
        offset, limit = page_window(first, after, info.context.settings.max_page_size)
        # A malformed id is BAD_USER_INPUT; an id of nothing (-1) reads nothing.
        pk = listed_pk(account_id, "Account", ["accountId"])
        organization_id = await directory.organization_of(info.context.principal, pk)
        if organization_id is None:
            return build_connection([], offset, limit, 0)
        rows, total = await directory.page(organization_id, search, offset, limit)
        return build_connection(rows, offset, limit, total, DirectoryEntry.from_row)


@strawberry.type
class AffiliationMutation:
    @mutation(*STAFF, errors=AffiliationError,
              description="Affiliate an account to an organisation: the accepted proposal's "
              "extension changes and the link, in one transaction. Refused with PROPOSAL_STALE "
              "when the extensions changed since the proposal.")
    async def affiliate_account(
        self, info: strawberry.Info,
        input: Annotated[AffiliateAccountInput, strawberry.argument(
            description="The account, the organisation, the proposal's token and whether to "
            "notify.")],
    ) -> AffiliateAccountPayload:
        done = await services.affiliate(
            info.context.principal, _account_id(input.account_id, ["input", "accountId"]),
            _account_id(input.organization_id, ["input", "organizationId"],
                        e.NO_SUCH_ORGANIZATION),
            token=input.proposal_token, notify=input.notify, host=info.context.host)
        return AffiliateAccountPayload(account_id=done.account.id,
                                       organization_id=done.organization.id,
                                       changes=[ExtensionChange.of(c) for c in done.changes])

    @mutation(*STAFF, errors=AffiliationError,
              description="End an account's affiliation: its users leave the organisation's "
              "shared directory. Returns the plugins' warnings about groups and call-forwarding "
              "schedules that pointed at them.")
    async def unaffiliate_account(
        self, info: strawberry.Info,
        input: Annotated[UnaffiliateAccountInput, strawberry.argument(
            description="The account leaving and whether to notify the users.")],
    ) -> UnaffiliateAccountPayload:
        done = await services.unaffiliate(
            info.context.principal, _account_id(input.account_id, ["input", "accountId"]),
            notify=input.notify, host=info.context.host)
        return UnaffiliateAccountPayload(
            account_id=done.account.id, organization_id=done.organization.id,
            warnings=[AffiliationWarning.of(w, info.context.language) for w in done.warnings])
