"""GraphQL of the subscription links (seeds: Paramètres > Apparence et personnalisation):
reseller staff list their two links with the URL, the portal's URL and an HTML snippet,
regenerate, revoke and set an expiry; and the portal's settings (the billing status and free
days of its sign-ups). Every mutation is audited by the core."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any, ClassVar

import strawberry
from strawberry import relay
from strawberry.types.enum import StrawberryEnumDefinition
from tortoise.queryset import QuerySet

from gateway.api import (
    RESELLER_SIDE,
    AccountKind,
    DateTime,
    Error,
    Principal,
    Role,
    RowNode,
    error_type,
    field,
    given,
    global_id,
    mutation,
    node_pk,
)
from plugins.subscription_portal import errors as e
from plugins.subscription_portal import links
from plugins.subscription_portal import settings as portal_settings
from plugins.subscription_portal.errors import PortalErrorCode
from plugins.subscription_portal.models import PortalSignupStatus, SubscriptionLink

CALLERS = (Role.SYSTEM_ADMIN, *RESELLER_SIDE)


@error_type("SubscriptionPortal", PortalErrorCode)
class SubscriptionPortalError(Error):
    """A refusal of a subscription link change: what was wrong, where, and why."""


def _describe(enum: type[Enum], descriptions: dict[str, str], description: str) -> None:
    definition = getattr(enum, "__strawberry_definition__", None)
    if not isinstance(definition, StrawberryEnumDefinition):
        raise TypeError(f"{enum.__name__} is not a strawberry enum")
    definition.description = definition.description or description
    for value in definition.values:
        value.description = descriptions.get(value.name, value.description)


_describe(PortalErrorCode, {
    "NOT_FOUND": "No such subscription link or reseller among those you may manage (another "
                 "reseller's is not found either).",
    "INVALID": "An expiry that is not in the future.",
    "REQUIRED": "A system admin must name the reseller.",
    "OUT_OF_RANGE": "Free days outside 15 to 90.",
}, "Why a subscription link change was refused.")

strawberry.enum(PortalSignupStatus, name="PortalSignupStatus",
                description="The billing status an account signed up on the portal starts "
                "with.")
_describe(PortalSignupStatus, {
    "FREE_TRIAL": "Essai gratuit: free for its trial days, no numbers or options added "
                  "meanwhile (the default).",
    "IN_PRODUCTION": "En production: billed from the start, or once its free days (if any) "
                     "are over.",
}, "The billing status an account signed up on the portal starts with.")

_ERRORS = ("Why nothing was changed, each with its field and a message in your language; empty "
           "on success.")


@strawberry.type(name="SubscriptionLink", description="A reseller's secure subscription link "
                 "(one for companies, one for professionals) opening the public sign-up "
                 "portal.")
class SubscriptionLinkNode(RowNode):
    COLUMNS: ClassVar[tuple[str, ...]] = ("id", "reseller_id", "kind", "nonce", "revoked_at",
                                          "expires_at", "regenerated_at", "created_at")

    id: relay.NodeID[int]
    kind: AccountKind = strawberry.field(description="Which accounts the link signs up.")
    revoked_at: DateTime | None = strawberry.field(
        description="When the link was revoked; null while it works (regenerate to reopen).")
    expires_at: DateTime | None = strawberry.field(
        description="When the link stops working; null: never.")
    regenerated_at: DateTime | None = strawberry.field(
        description="When the URL was last replaced; null: never.")
    created_at: DateTime = strawberry.field(description="When the link was first made.")
    reseller_id: strawberry.Private[int]
    nonce: strawberry.Private[str]

    @classmethod
    def visible(cls, principal: Principal | None) -> QuerySet[Any]:
        return links.links_visible(principal)

    @classmethod
    def from_model(cls, link: SubscriptionLink) -> SubscriptionLinkNode:
        return cls.from_row({name: getattr(link, name) for name in cls.COLUMNS})

    def _model(self) -> SubscriptionLink:
        return SubscriptionLink(id=self.id, reseller_id=self.reseller_id, kind=self.kind,
                                nonce=self.nonce)

    @strawberry.field(description="True while the link opens the portal (neither revoked nor "
                      "expired).")
    def active(self) -> bool:
        return links.is_active(self._model_with_dates())

    def _model_with_dates(self) -> SubscriptionLink:
        link = self._model()
        link.revoked_at = self.revoked_at
        link.expires_at = self.expires_at
        return link

    @strawberry.field(description="The link's full URL (secret: whoever has it may sign up).")
    def url(self, info: strawberry.Info) -> str:
        return links.url_of(info.context.host, self._model())

    @strawberry.field(description="The subscription portal's own address (its home page).")
    def portal_url(self, info: strawberry.Info) -> str:
        return links.portal_url(info.context.host)

    @strawberry.field(description="An HTML link to paste on the reseller's web site (no "
                      "script), its text in the language asked (fr by default).")
    def snippet(self, info: strawberry.Info,
                language: Annotated[str | None, strawberry.argument(
                    description="fr or en; fr by default.")] = None) -> str:
        return links.snippet_of(info.context.host, self._model(), language or "fr")


@strawberry.input(description="The subscription link to change.")
class SubscriptionLinkIdInput:
    id: strawberry.ID = strawberry.field(description="The SubscriptionLink's ID.")


@strawberry.input(description="When a subscription link stops working.")
class SetSubscriptionLinkExpiryInput:
    id: strawberry.ID = strawberry.field(description="The SubscriptionLink's ID.")
    expires_at: DateTime | None = strawberry.field(
        default=None, description="A future instant; null: the link never expires.")


@strawberry.type(description="The subscription link after the change, or why it was refused.")
class SubscriptionLinkPayload:
    link: SubscriptionLinkNode | None = strawberry.field(
        default=None, description="The link as saved; null when refused.")
    errors: list[SubscriptionPortalError] = strawberry.field(default_factory=list,
                                                             description=_ERRORS)


@strawberry.type(description="A reseller's subscription portal settings: how the accounts "
                 "signed up there start (status and free days).")
class SubscriptionPortalSettings:
    reseller_id: strawberry.ID = strawberry.field(
        description="The reseller (its global ID) these settings are of.")
    signup_status: PortalSignupStatus = strawberry.field(
        description="The billing status of a new portal sign-up (FREE_TRIAL by default).")
    trial_days: int | None = strawberry.field(
        description="The free days before billing starts (15 to 90): the trial's length, by "
        "default the platform's (30); null: none (in production without a free period).")
    customised: bool = strawberry.field(
        description="False while the reseller never saved settings (the defaults apply).")

    @classmethod
    def of(cls, defaults: portal_settings.SignupDefaults) -> SubscriptionPortalSettings:
        return cls(reseller_id=global_id("Reseller", defaults.reseller_id),
                   signup_status=defaults.status, trial_days=defaults.trial_days,
                   customised=defaults.customised)


@strawberry.input(description="How the accounts signed up on a reseller's portal start.")
class SetSubscriptionPortalSettingsInput:
    reseller_id: strawberry.ID | None = strawberry.field(
        default=None, description="The reseller (its global ID); by default your own (a "
        "system admin names one).")
    signup_status: PortalSignupStatus = strawberry.field(
        description="FREE_TRIAL (Essai gratuit) or IN_PRODUCTION (En production).")
    trial_days: int | None = strawberry.field(
        default=None, description="Free days before billing starts, 15 to 90; null: the "
        "platform's default for a free trial, none in production.")


@strawberry.type(description="The portal settings after the change, or why it was refused.")
class SubscriptionPortalSettingsPayload:
    settings: SubscriptionPortalSettings | None = strawberry.field(
        default=None, description="The settings as saved; null when refused.")
    errors: list[SubscriptionPortalError] = strawberry.field(default_factory=list,
                                                             description=_ERRORS)


def _reseller_pk(raw: Any, field: list[str]) -> int | None:
    return node_pk(raw, "Reseller", field, e.RESELLER_NOT_FOUND) if given(raw) else None


def _link_pk(raw: Any) -> int:
    return node_pk(raw, "SubscriptionLink", ["input", "id"], e.LINK_NOT_FOUND)


@strawberry.type
class PortalQuery:
    @field(*CALLERS, description="A reseller's two subscription links (companies, then "
           "professionals), made the first time they are asked: the caller's own reseller's, "
           "or the one a system admin names.")
    async def subscription_links(
        self, info: strawberry.Info,
        reseller_id: Annotated[strawberry.ID | None, strawberry.argument(
            description="The reseller (its global ID); by default your own (a system admin "
            "names one).")] = None,
    ) -> list[SubscriptionLinkNode]:
        wanted = (node_pk(reseller_id, "Reseller", ["resellerId"], e.RESELLER_NOT_FOUND)
                  if given(reseller_id) else None)
        reseller = await links.reseller_for(info.context.principal, wanted)
        return [SubscriptionLinkNode.from_model(link) for link in await links.links_of(reseller)]

    @field(*CALLERS, description="How the accounts signed up on a reseller's subscription "
           "portal start (billing status and free days): the caller's own reseller's, or the "
           "one a system admin names.")
    async def subscription_portal_settings(
        self, info: strawberry.Info,
        reseller_id: Annotated[strawberry.ID | None, strawberry.argument(
            description="The reseller (its global ID); by default your own (a system admin "
            "names one).")] = None,
    ) -> SubscriptionPortalSettings:
        reseller = await links.reseller_for(info.context.principal,
                                            _reseller_pk(reseller_id, ["resellerId"]))
        return SubscriptionPortalSettings.of(
            await portal_settings.defaults_of(info.context.host, reseller.id))


@strawberry.type
class PortalMutation:
    @mutation(*CALLERS, errors=SubscriptionPortalError,
              description="Replace a subscription link's URL: the old one stops working at "
              "once; a revoked link works again.")
    async def regenerate_subscription_link(
        self, info: strawberry.Info,
        input: Annotated[SubscriptionLinkIdInput, strawberry.argument(
            description="The link to regenerate.")],
    ) -> SubscriptionLinkPayload:
        link = await links.link_for(info.context.principal, _link_pk(input.id))
        return SubscriptionLinkPayload(
            link=SubscriptionLinkNode.from_model(await links.regenerate(link)))

    @mutation(*CALLERS, errors=SubscriptionPortalError,
              description="Stop a subscription link until it is regenerated (with a new URL).")
    async def revoke_subscription_link(
        self, info: strawberry.Info,
        input: Annotated[SubscriptionLinkIdInput, strawberry.argument(
            description="The link to revoke.")],
    ) -> SubscriptionLinkPayload:
        link = await links.link_for(info.context.principal, _link_pk(input.id))
        return SubscriptionLinkPayload(
            link=SubscriptionLinkNode.from_model(await links.revoke(link)))

    @mutation(*CALLERS, errors=SubscriptionPortalError,
              description="Set (or remove) when a subscription link stops working.")
    async def set_subscription_link_expiry(
        self, info: strawberry.Info,
        input: Annotated[SetSubscriptionLinkExpiryInput, strawberry.argument(
            description="The link and its expiry.")],
    ) -> SubscriptionLinkPayload:
        link = await links.link_for(info.context.principal, _link_pk(input.id))
        expires_at = input.expires_at if given(input.expires_at) else None
        return SubscriptionLinkPayload(
            link=SubscriptionLinkNode.from_model(await links.set_expiry(link, expires_at)))

    @mutation(*CALLERS, errors=SubscriptionPortalError,
              description="Choose how the accounts signed up on a reseller's subscription "
              "portal start: a free trial (the default) or in production, and the free days.")
    async def set_subscription_portal_settings(
        self, info: strawberry.Info,
        input: Annotated[SetSubscriptionPortalSettingsInput, strawberry.argument(
            description="The reseller and its sign-ups' status and free days.")],
    ) -> SubscriptionPortalSettingsPayload:
        principal = info.context.principal
        wanted = _reseller_pk(input.reseller_id, ["input", "resellerId"])
        reseller = await links.reseller_for(principal, wanted, ["input", "resellerId"])
        days = input.trial_days if given(input.trial_days) else None
        saved = await portal_settings.set_defaults(info.context.host, reseller,
                                                   PortalSignupStatus(input.signup_status), days)
        return SubscriptionPortalSettingsPayload(settings=SubscriptionPortalSettings.of(saved))
