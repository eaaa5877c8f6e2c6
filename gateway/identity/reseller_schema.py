"""GraphQL of resellers: creation (system admins) and the reseller's own settings (Paramètres).
The rules are in :mod:`gateway.identity.resellers`.

``ResellerQuery`` and ``ResellerMutation`` are the whole reseller area, this module's fields
followed by the branding's (:mod:`branding_schema`) and the administrators'
(:mod:`delegates_schema`).
"""

from __future__ import annotations

from typing import Annotated

import strawberry

from gateway.identity import resellers
from gateway.identity.auth import caller_address
from gateway.identity.branding_schema import BrandingMutation, BrandingQuery
from gateway.identity.delegates_schema import DelegatesMutation, DelegatesQuery
from gateway.identity.errors import RESELLER_NOT_FOUND
from gateway.identity.types import (
    Language,
    ResellerError,
    ResellerNode,
    UserNode,
    reseller_node,
    sent_fields,
    user_node,
)
from gateway.roles import RESELLER_STAFF, Role
from schema.mutations import field, mutation
from schema.node import node_pk
from schema.pagination import Connection, build_connection, page_window


@strawberry.input(description="Which resellers to list.")
class ResellerFilter:
    search: str | None = strawberry.field(default=None, description="Part of the name, CAN "
                                          "or SPID.")


@strawberry.input(description="The reseller's primary administrator, created with it; they "
                  "receive their login id and a link to choose a password.")
class PrimaryAdminInput:
    email: str = strawberry.field(description="Also the login id.")
    first_name: str = strawberry.field(description="Given name (prénom).")
    last_name: str = strawberry.field(description="Family name (nom).")
    language: Language = strawberry.field(
        default=Language.FR, description="Their language: the portal and their emails use it.")
    phone: str | None = strawberry.field(
        default=None, description="Their phone number (any format; kept as E.164).")


@strawberry.input(description="A new reseller (revendeur) and its primary administrator.")
class CreateResellerInput:
    name: str = strawberry.field(description="The reseller's name, shown to its subscribers.")
    default_language: Language = strawberry.field(
        default=Language.FR, description="Language given to new subscribers.")
    primary_admin: PrimaryAdminInput = strawberry.field(
        description="Its primary administrator, created with it.")
    spid: str | None = strawberry.field(
        default=None, description="SPID: the telephone service provider id, if any.")
    address: str = strawberry.field(default="", description="Street address (adresse).")
    city: str = strawberry.field(default="", description="City of the street address (ville).")
    country: str = strawberry.field(
        default="CA", description="Country, ISO 3166-1 alpha-2 code (e.g. CA).")
    state: str = strawberry.field(default="", description="Province or state (e.g. QC).")
    postal_code: str = strawberry.field(default="", description="Postal or ZIP code.")
    phone_system: str = strawberry.field(
        default="", description="The phone system (PBX) its subscribers' lines run on.")
    default_provider: str = strawberry.field(
        default="", description="The default telephone provider of its subscribers' lines.")


@strawberry.type(description="The result of createReseller.")
class CreateResellerPayload:
    reseller: ResellerNode | None = strawberry.field(
        description="The new reseller; null on errors.")
    primary_admin: UserNode | None = strawberry.field(
        description="Its primary administrator, emailed a link to choose a password; null on "
        "errors.")
    errors: list[ResellerError] = strawberry.field(default_factory=list)


@strawberry.input(description="A reseller's phone system and default provider (system "
                  "admins).")
class SetResellerPhoneSystemInput:
    reseller_id: strawberry.ID = strawberry.field(description="The Reseller's global ID.")
    phone_system: str = strawberry.field(
        description="The phone system (PBX) its subscribers' lines run on.")
    default_provider: str = strawberry.field(
        description="The default telephone provider of its subscribers' lines.")


@strawberry.type(description="The result of a change to a reseller's settings.")
class ResellerPayload:
    reseller: ResellerNode | None = strawberry.field(
        description="The reseller as it now is; null on errors.")
    errors: list[ResellerError] = strawberry.field(default_factory=list)


@strawberry.input(description="Only the fields given change; the CAN never does.")
class UpdateResellerGeneralInfoInput:
    spid: str | None = strawberry.field(
        default=strawberry.UNSET, description="SPID: the telephone service provider id; null "
        "clears it.")
    name: str | None = strawberry.field(
        default=strawberry.UNSET, description="The reseller's name, shown to its subscribers.")
    default_language: Language | None = strawberry.field(
        default=strawberry.UNSET, description="Language given to new subscribers.")
    address: str | None = strawberry.field(
        default=strawberry.UNSET, description="Street address (adresse).")
    city: str | None = strawberry.field(
        default=strawberry.UNSET, description="City of the street address (ville).")
    country: str | None = strawberry.field(
        default=strawberry.UNSET, description="Country, ISO 3166-1 alpha-2 code (e.g. CA).")
    state: str | None = strawberry.field(
        default=strawberry.UNSET, description="Province or state (e.g. QC).")
    postal_code: str | None = strawberry.field(
        default=strawberry.UNSET, description="Postal or ZIP code (code postal).")


@strawberry.input(description="Only the fields given change. The email is also the login id.")
class UpdateAccountAdministratorInput:
    language: Language | None = strawberry.field(
        default=strawberry.UNSET, description="My interface and email language.")
    email: str | None = strawberry.field(
        default=strawberry.UNSET, description="My email, which is also my login id (needs "
        "currentPassword).")
    phone: str | None = strawberry.field(
        default=strawberry.UNSET, description="My phone number (any format; kept as E.164); "
        "null clears it.")
    current_password: str | None = strawberry.field(
        default=strawberry.UNSET, description="Required to change the email (the login id).")


@strawberry.type(description="The result of updateAccountAdministrator.")
class AccountAdministratorPayload:
    user: UserNode | None = strawberry.field(
        description="The administrator (me) as now saved; null on errors.")
    errors: list[ResellerError] = strawberry.field(default_factory=list)


def _new_reseller(input: CreateResellerInput) -> resellers.NewReseller:
    admin = input.primary_admin
    return resellers.NewReseller(
        name=input.name, default_language=input.default_language.value, spid=input.spid,
        address=input.address, city=input.city, country=input.country, state=input.state,
        postal_code=input.postal_code, phone_system=input.phone_system,
        default_provider=input.default_provider,
        admin=resellers.NewAdmin(email=admin.email, first_name=admin.first_name,
                                 last_name=admin.last_name, language=admin.language.value,
                                 phone=admin.phone),
    )


@strawberry.type
class _ResellersQuery:
    @field(Role.SYSTEM_ADMIN, description="Every reseller, by name (system admins).")
    async def resellers(
        self, info: strawberry.Info,
        filter: Annotated[ResellerFilter | None, strawberry.argument(
            description="Which resellers to list; all of them when left out.")] = None,
        first: int | None = None, after: str | None = None,
    ) -> Connection[ResellerNode]:
        offset, limit = page_window(first, after, info.context.settings.max_page_size)
        query = resellers.resellers_matching(info.context.principal,
                                             filter.search if filter else None)
        total = await query.count()
        rows = await query.order_by("name", "id").offset(offset).limit(limit + 1).values(
            *ResellerNode.COLUMNS)
        return build_connection(rows, offset, limit, total, ResellerNode.from_row)

    @field(*RESELLER_STAFF, description="The reseller whose settings I manage (Paramètres).")
    async def my_reseller(self, info: strawberry.Info) -> ResellerNode | None:
        reseller = await resellers.reseller_of(info.context.principal)
        return await reseller_node(reseller.id) if reseller else None


@strawberry.type
class _ResellersMutation:
    @mutation(Role.SYSTEM_ADMIN, errors=ResellerError, description="Create a reseller and its "
              "primary administrator, who receives their login id and a link to choose a "
              "password.")
    async def create_reseller(
        self, info: strawberry.Info, input: CreateResellerInput
    ) -> CreateResellerPayload:
        reseller = await resellers.create_reseller(_new_reseller(input),
                                                   gateway=info.context.host)
        return CreateResellerPayload(reseller=await reseller_node(reseller.id),
                                     primary_admin=await user_node(reseller.primary_admin_id))

    @mutation(Role.SYSTEM_ADMIN, errors=ResellerError, description="Set a reseller's phone "
              "system (PBX) and default provider (read-only for the reseller).")
    async def set_reseller_phone_system(
        self, info: strawberry.Info, input: SetResellerPhoneSystemInput
    ) -> ResellerPayload:
        reseller = await resellers.set_phone_system(
            node_pk(input.reseller_id, "Reseller", ["input", "resellerId"], RESELLER_NOT_FOUND,
                    plain=False),
            input.phone_system, input.default_provider)
        return ResellerPayload(reseller=await reseller_node(reseller.id))

    @mutation(*RESELLER_STAFF, errors=ResellerError, description="Informations générales: "
              "SPID, name, default language of new subscribers, address.")
    async def update_reseller_general_info(
        self, info: strawberry.Info, input: UpdateResellerGeneralInfoInput
    ) -> ResellerPayload:
        reseller = await resellers.update_general_info(info.context.principal,
                                                       sent_fields(input))
        return ResellerPayload(reseller=await reseller_node(reseller.id))

    @mutation(*RESELLER_STAFF, errors=ResellerError, description="Administrateur du compte: my "
              "interface language, email (= login id) and phone. Not inside direct access.")
    async def update_account_administrator(
        self, info: strawberry.Info, input: UpdateAccountAdministratorInput
    ) -> AccountAdministratorPayload:
        user = await resellers.update_account_administrator(
            info.context.principal, sent_fields(input), gateway=info.context.host,
            client_address=caller_address(info.context))
        return AccountAdministratorPayload(user=await user_node(user.id))


# The fields in the order of the bases: this module's, the branding's, the administrators'.
@strawberry.type
class ResellerQuery(_ResellersQuery, BrandingQuery, DelegatesQuery):
    pass


@strawberry.type
class ResellerMutation(_ResellersMutation, BrandingMutation, DelegatesMutation):
    pass
