"""GraphQL of resellers: creation (system admins), the reseller's own settings (Paramètres),
branding, administrators and delegates. The rules are in :mod:`gateway.identity.resellers`."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any

import strawberry
from strawberry import relay
from tortoise.expressions import Q

from gateway.identity import resellers, scoping
from gateway.identity.auth import Rejected
from gateway.identity.models import Reseller, User
from gateway.identity.resellers import ResellerErrorCode
from gateway.identity.types import (
    RESELLER_COLUMNS,
    USER_COLUMNS,
    AccountNode,
    Language,
    ResellerNode,
    UserNode,
)
from schema.errors import PayloadError, error_type
from schema.node import database_id
from schema.pagination import Connection, build_connection, page_window
from schema.permissions import RESELLER_STAFF, SIGNED_IN, Role, allow
from schema.scalars import DateTime

ResellerError = error_type("Reseller", ResellerErrorCode)


def decode_id(raw: Any, type_name: str) -> int | None:
    """The primary key in a global id of ``type_name``; None for anything else (not found)."""
    try:
        global_id = relay.GlobalID.from_id(str(raw))
    except Exception:
        return None
    if global_id.type_name != type_name:
        return None
    return database_id(global_id.node_id)


def reseller_errors(problem: Exception, language: str) -> list[Any]:
    errors = problem.errors if isinstance(problem, Rejected) else [problem]
    return [e.to_graphql(ResellerError, language) for e in errors]


def given(input: Any, names: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The fields of a partial-update input the client actually sent (absent = unchanged),
    enums as their values."""
    changes: dict[str, Any] = {}
    for name in (names or vars(input)):
        value = getattr(input, name)
        if value is strawberry.UNSET:
            continue
        changes[name] = value.value if isinstance(value, Enum) else value
    return changes


async def reseller_node(reseller_id: int) -> ResellerNode | None:
    rows = await Reseller.filter(id=reseller_id).values(*RESELLER_COLUMNS)
    return ResellerNode.from_row(rows[0]) if rows else None


async def user_node(user_id: int) -> UserNode | None:
    rows = await User.filter(id=user_id).values(*USER_COLUMNS)
    return UserNode.from_row(rows[0]) if rows else None


# ---- types ---------------------------------------------------------------------------------

@strawberry.type(name="ResellerBranding", description="How a reseller presents itself to its "
                 "subscribers (seeds: Marque): logo, favicon, colours and technical support.")
class ResellerBrandingType:
    reseller_name: str
    logo_url: str | None = strawberry.field(description="An https URL (given, or the gateway's "
                                            "for an uploaded image).")
    favicon_url: str | None
    primary_color: str | None = strawberry.field(description="#RRGGBB")
    secondary_color: str | None = strawberry.field(description="#RRGGBB")
    support_email: str | None = strawberry.field(description="Technical support email shown to "
                                                 "subscribers.")
    support_phone: str | None = strawberry.field(description="Technical support phone (E.164) "
                                                 "shown to subscribers.")

    @classmethod
    def of(cls, branding: resellers.Branding) -> ResellerBrandingType:
        return cls(**vars(branding))


@strawberry.type(name="ResellerAdministrator", description="The primary administrator or a "
                 "delegated administrator of a reseller.")
class ResellerAdministratorType:
    user: UserNode
    user_code: str = strawberry.field(description="The user code shown before the name.")
    label: str = strawberry.field(description="User code followed by the name, as the seeds "
                                  "show administrators.")
    account: AccountNode | None = strawberry.field(description="The delegate's company; null "
                                                   "for the primary administrator.")
    is_primary: bool
    granted_at: DateTime | None = strawberry.field(  # type: ignore[valid-type]
        description="When delegated rights were given.")

    @classmethod
    def of(cls, entry: resellers.Administrator) -> ResellerAdministratorType:
        return cls(
            user=UserNode.from_row(entry.user), user_code=entry.user_code, label=entry.label,
            account=AccountNode.from_row(entry.account) if entry.account else None,
            is_primary=entry.is_primary, granted_at=entry.granted_at,
        )


@strawberry.type(description="A company administrator who can be made a delegated "
                 "administrator.")
class DelegateCandidate:
    user: UserNode
    user_code: str
    label: str
    account: AccountNode | None

    @classmethod
    def of(cls, entry: resellers.Administrator) -> DelegateCandidate:
        return cls(user=UserNode.from_row(entry.user), user_code=entry.user_code,
                   label=entry.label,
                   account=AccountNode.from_row(entry.account) if entry.account else None)


@strawberry.input
class ResellerFilter:
    search: str | None = strawberry.field(default=None, description="Part of the name, CAN "
                                          "or SPID.")


# ---- queries -------------------------------------------------------------------------------

@strawberry.type
class ResellerQuery:
    @strawberry.field(extensions=allow(Role.SYSTEM_ADMIN),
                      description="Every reseller, by name (system admins).")
    async def resellers(
        self, info: strawberry.Info, filter: ResellerFilter | None = None,
        first: int | None = None, after: str | None = None,
    ) -> Connection[ResellerNode]:
        offset, limit = page_window(first, after, info.context.settings.max_page_size)
        query = scoping.resellers_visible(info.context.principal)
        term = " ".join(((filter.search if filter else None) or "").split())
        if term:
            query = query.filter(Q(name__icontains=term) | Q(can__icontains=term)
                                 | Q(spid__icontains=term))
        total = await query.count()
        rows = await query.order_by("name", "id").offset(offset).limit(limit + 1).values(
            *RESELLER_COLUMNS)
        return build_connection(rows, offset, limit, total, ResellerNode.from_row)

    @strawberry.field(extensions=allow(*RESELLER_STAFF),
                      description="The reseller whose settings I manage (Paramètres).")
    async def my_reseller(self, info: strawberry.Info) -> ResellerNode | None:
        reseller = await resellers.reseller_of(info.context.principal)
        return await reseller_node(reseller.id) if reseller else None

    @strawberry.field(extensions=allow(*SIGNED_IN), description="A reseller's branding; by "
                      "default my own reseller's (subscribers see their reseller's).")
    async def reseller_branding(
        self, info: strawberry.Info, reseller_id: strawberry.ID | None = None
    ) -> ResellerBrandingType | None:
        principal = info.context.principal
        wanted = decode_id(reseller_id, "Reseller") if reseller_id else principal.reseller_id
        if wanted is None:
            return None
        rows = await scoping.resellers_visible(principal).filter(id=wanted).values(
            "id", "name", "branding")
        if not rows:
            return None
        row = rows[0]
        return ResellerBrandingType.of(resellers.branding_of(
            row["id"], row["name"], row["branding"], info.context.settings.public_url))

    @strawberry.field(extensions=allow(Role.SYSTEM_ADMIN, *RESELLER_STAFF),
                      description="The primary administrator, then the delegated ones; by "
                      "default of my own reseller.")
    async def reseller_administrators(
        self, info: strawberry.Info, reseller_id: strawberry.ID | None = None
    ) -> list[ResellerAdministratorType]:
        principal = info.context.principal
        wanted = decode_id(reseller_id, "Reseller") if reseller_id else principal.reseller_id
        if wanted is None or principal.direct_access or not await scoping.resellers_visible(
                principal).filter(id=wanted).exists():
            return []
        return [ResellerAdministratorType.of(a) for a in await resellers.administrators(wanted)]

    @strawberry.field(extensions=allow(Role.RESELLER_ADMIN),
                      description="Company administrators of my accounts who can be made "
                      "delegated administrators.")
    async def delegate_candidates(
        self, info: strawberry.Info, search: str | None = None, first: int | None = None,
        after: str | None = None,
    ) -> Connection[DelegateCandidate]:
        offset, limit = page_window(first, after, info.context.settings.max_page_size)
        reseller = await resellers.reseller_of(info.context.principal)
        if reseller is None:
            return build_connection([], offset, limit, 0)
        rows, total = await resellers.delegate_candidates(reseller.id, search, offset, limit)
        return build_connection(rows, offset, limit, total, DelegateCandidate.of)


# ---- mutations -----------------------------------------------------------------------------

@strawberry.input
class PrimaryAdminInput:
    email: str = strawberry.field(description="Also the login id.")
    first_name: str
    last_name: str
    language: Language = Language.FR
    phone: str | None = None


@strawberry.input
class CreateResellerInput:
    name: str
    default_language: Language = strawberry.field(
        default=Language.FR, description="Language given to new subscribers.")
    primary_admin: PrimaryAdminInput
    spid: str | None = None
    address: str = ""
    city: str = ""
    country: str = "CA"
    state: str = ""
    postal_code: str = ""
    phone_system: str = ""
    default_provider: str = ""


@strawberry.type
class CreateResellerPayload:
    reseller: ResellerNode | None
    primary_admin: UserNode | None
    errors: list[ResellerError]  # type: ignore[valid-type]


@strawberry.input
class SetResellerPhoneSystemInput:
    reseller_id: strawberry.ID
    phone_system: str
    default_provider: str


@strawberry.type
class ResellerPayload:
    reseller: ResellerNode | None
    errors: list[ResellerError]  # type: ignore[valid-type]


@strawberry.input(description="Only the fields given change; the CAN never does.")
class UpdateResellerGeneralInfoInput:
    spid: str | None = strawberry.UNSET
    name: str | None = strawberry.UNSET
    default_language: Language | None = strawberry.UNSET
    address: str | None = strawberry.UNSET
    city: str | None = strawberry.UNSET
    country: str | None = strawberry.UNSET
    state: str | None = strawberry.UNSET
    postal_code: str | None = strawberry.UNSET


@strawberry.input(description="Only the fields given change. The email is also the login id.")
class UpdateAccountAdministratorInput:
    language: Language | None = strawberry.UNSET
    email: str | None = strawberry.UNSET
    phone: str | None = strawberry.UNSET


@strawberry.type
class AccountAdministratorPayload:
    user: UserNode | None
    errors: list[ResellerError]  # type: ignore[valid-type]


@strawberry.input(description="Only the fields given change; null removes one. Logo and "
                  "favicon: an https URL, or an uploaded image as a data: URL (logo: PNG, JPEG, "
                  "GIF or WEBP up to 256 KB; favicon: PNG, ICO or GIF up to 64 KB).")
class UpdateResellerBrandingInput:
    logo: str | None = strawberry.UNSET
    favicon: str | None = strawberry.UNSET
    primary_color: str | None = strawberry.UNSET
    secondary_color: str | None = strawberry.UNSET
    support_email: str | None = strawberry.UNSET
    support_phone: str | None = strawberry.UNSET


@strawberry.type
class ResellerBrandingPayload:
    branding: ResellerBrandingType | None
    errors: list[ResellerError]  # type: ignore[valid-type]


@strawberry.input
class ResellerDelegateInput:
    user_id: strawberry.ID


@strawberry.type
class ResellerAdministratorPayload:
    administrator: ResellerAdministratorType | None
    errors: list[ResellerError]  # type: ignore[valid-type]


@strawberry.type
class RemoveResellerDelegatePayload:
    removed_user_id: strawberry.ID | None
    errors: list[ResellerError]  # type: ignore[valid-type]


def _user_field(raw: Any) -> int:
    user_id = decode_id(raw, "User")
    if user_id is None:
        raise Rejected([PayloadError(ResellerErrorCode.NOT_FOUND, resellers.USER_NOT_FOUND,
                                     ["input", "userId"])])
    return user_id


@strawberry.type
class ResellerMutation:
    @strawberry.mutation(extensions=allow(Role.SYSTEM_ADMIN), description="Create a reseller "
                         "and its primary administrator, who receives their login id and a "
                         "link to choose a password.")
    async def create_reseller(
        self, info: strawberry.Info, input: CreateResellerInput
    ) -> CreateResellerPayload:
        admin = input.primary_admin
        new = resellers.NewReseller(
            name=input.name, default_language=input.default_language.value, spid=input.spid,
            address=input.address, city=input.city, country=input.country, state=input.state,
            postal_code=input.postal_code, phone_system=input.phone_system,
            default_provider=input.default_provider,
            admin=resellers.NewAdmin(email=admin.email, first_name=admin.first_name,
                                     last_name=admin.last_name, language=admin.language.value,
                                     phone=admin.phone),
        )
        try:
            reseller = await resellers.create_reseller(new, gateway=info.context.host)
        except Rejected as problem:
            return CreateResellerPayload(reseller=None, primary_admin=None,
                                         errors=reseller_errors(problem, info.context.language))
        return CreateResellerPayload(
            reseller=await reseller_node(reseller.id),
            primary_admin=await user_node(reseller.primary_admin_id),  # type: ignore[attr-defined]
            errors=[],
        )

    @strawberry.mutation(extensions=allow(Role.SYSTEM_ADMIN), description="Set a reseller's "
                         "phone system (PBX) and default provider (read-only for the reseller).")
    async def set_reseller_phone_system(
        self, info: strawberry.Info, input: SetResellerPhoneSystemInput
    ) -> ResellerPayload:
        try:
            reseller_id = decode_id(input.reseller_id, "Reseller")
            if reseller_id is None:
                raise Rejected([PayloadError(ResellerErrorCode.NOT_FOUND,
                                             resellers.RESELLER_NOT_FOUND,
                                             ["input", "resellerId"])])
            reseller = await resellers.set_phone_system(reseller_id, input.phone_system,
                                                        input.default_provider)
        except Rejected as problem:
            return ResellerPayload(reseller=None,
                                   errors=reseller_errors(problem, info.context.language))
        return ResellerPayload(reseller=await reseller_node(reseller.id), errors=[])

    @strawberry.mutation(extensions=allow(*RESELLER_STAFF), description="Informations "
                         "générales: SPID, name, default language of new subscribers, address.")
    async def update_reseller_general_info(
        self, info: strawberry.Info, input: UpdateResellerGeneralInfoInput
    ) -> ResellerPayload:
        try:
            reseller = await resellers.update_general_info(info.context.principal, given(input))
        except Rejected as problem:
            return ResellerPayload(reseller=None,
                                   errors=reseller_errors(problem, info.context.language))
        return ResellerPayload(reseller=await reseller_node(reseller.id), errors=[])

    @strawberry.mutation(extensions=allow(*RESELLER_STAFF), description="Administrateur du "
                         "compte: my interface language, email (= login id) and phone. Not "
                         "inside direct access.")
    async def update_account_administrator(
        self, info: strawberry.Info, input: UpdateAccountAdministratorInput
    ) -> AccountAdministratorPayload:
        try:
            user = await resellers.update_account_administrator(
                info.context.principal, given(input), gateway=info.context.host)
        except Rejected as problem:
            return AccountAdministratorPayload(
                user=None, errors=reseller_errors(problem, info.context.language))
        return AccountAdministratorPayload(user=await user_node(user.id), errors=[])

    @strawberry.mutation(extensions=allow(*RESELLER_STAFF), description="Marque: logo, "
                         "favicon, colours, technical support email and phone.")
    async def update_reseller_branding(
        self, info: strawberry.Info, input: UpdateResellerBrandingInput
    ) -> ResellerBrandingPayload:
        try:
            reseller = await resellers.update_branding(info.context.principal, given(input))
        except Rejected as problem:
            return ResellerBrandingPayload(
                branding=None, errors=reseller_errors(problem, info.context.language))
        return ResellerBrandingPayload(
            branding=ResellerBrandingType.of(resellers.branding_of(
                reseller.id, reseller.name, reseller.branding, info.context.settings.public_url)),
            errors=[],
        )

    @strawberry.mutation(extensions=allow(Role.RESELLER_ADMIN), description="Give delegated "
                         "administrator rights to a company administrator of one of my "
                         "accounts (the reseller admin only).")
    async def add_reseller_delegate(
        self, info: strawberry.Info, input: ResellerDelegateInput
    ) -> ResellerAdministratorPayload:
        try:
            entry = await resellers.add_delegate(info.context.principal,
                                                 _user_field(input.user_id))
        except Rejected as problem:
            return ResellerAdministratorPayload(
                administrator=None, errors=reseller_errors(problem, info.context.language))
        return ResellerAdministratorPayload(administrator=ResellerAdministratorType.of(entry),
                                            errors=[])

    @strawberry.mutation(extensions=allow(Role.RESELLER_ADMIN), description="Take delegated "
                         "administrator rights back (the reseller admin only).")
    async def remove_reseller_delegate(
        self, info: strawberry.Info, input: ResellerDelegateInput
    ) -> RemoveResellerDelegatePayload:
        try:
            user_id = _user_field(input.user_id)
            await resellers.remove_delegate(info.context.principal, user_id,
                                            request_id=info.context.request_id)
        except Rejected as problem:
            return RemoveResellerDelegatePayload(
                removed_user_id=None, errors=reseller_errors(problem, info.context.language))
        return RemoveResellerDelegatePayload(
            removed_user_id=strawberry.ID(relay.to_base64("User", user_id)), errors=[])
