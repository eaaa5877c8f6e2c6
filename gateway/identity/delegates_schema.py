"""GraphQL of a reseller's administrators: the primary one and the delegates, the candidates,
adding and removing delegates. The rules are in :mod:`gateway.identity.delegates`."""

from __future__ import annotations

from typing import Annotated, Self

import strawberry

from gateway.identity import delegates
from gateway.identity.errors import USER_NOT_FOUND
from gateway.identity.types import AccountNode, ResellerError, UserNode
from gateway.roles import RESELLER_STAFF, Role
from schema.mutations import field, mutation
from schema.node import global_id, listed_pk, node_pk
from schema.pagination import Connection, build_connection, page_window
from schema.scalars import DateTime


@strawberry.type(name="ResellerAdministrator", description="The primary administrator or a "
                 "delegated administrator of a reseller.")
class ResellerAdministratorType:
    user: UserNode = strawberry.field(description="The administrator as a user.")
    user_code: str = strawberry.field(description="The user code shown before the name.")
    label: str = strawberry.field(description="User code followed by the name, as the seeds "
                                  "show administrators.")
    account: AccountNode | None = strawberry.field(description="The delegate's company; null "
                                                   "for the primary administrator.")
    is_primary: bool = strawberry.field(
        description="True for the primary administrator, false for a delegated one.")
    granted_at: DateTime | None = strawberry.field(description="When delegated rights were "
                                                   "given.")

    @classmethod
    def of(cls, entry: delegates.Administrator) -> Self:
        return cls(
            user=UserNode.from_row(entry.user), user_code=entry.user_code, label=entry.label,
            account=AccountNode.from_row(entry.account) if entry.account else None,
            is_primary=entry.is_primary, granted_at=entry.granted_at,
        )


@strawberry.type(description="A company administrator who can be made a delegated "
                 "administrator.")
class DelegateCandidate:
    user: UserNode = strawberry.field(description="The company administrator as a user.")
    user_code: str = strawberry.field(description="The user code shown before the name.")
    label: str = strawberry.field(description="User code followed by the name, as the seeds "
                                  "show administrators.")
    account: AccountNode | None = strawberry.field(
        description="The company account they administer.")

    @classmethod
    def of(cls, entry: delegates.Administrator) -> Self:
        return cls(user=UserNode.from_row(entry.user), user_code=entry.user_code,
                   label=entry.label,
                   account=AccountNode.from_row(entry.account) if entry.account else None)


@strawberry.input(description="Which company administrator gets or loses delegated rights.")
class ResellerDelegateInput:
    user_id: strawberry.ID = strawberry.field(
        description="The User's global ID: a company administrator of one of my accounts.")


@strawberry.type(description="The result of addResellerDelegate.")
class ResellerAdministratorPayload:
    administrator: ResellerAdministratorType | None = strawberry.field(
        description="The new delegated administrator; null on errors.")
    errors: list[ResellerError] = strawberry.field(default_factory=list)


@strawberry.type(description="The result of removeResellerDelegate.")
class RemoveResellerDelegatePayload:
    removed_user_id: strawberry.ID | None = strawberry.field(
        description="The global ID of the user who is no longer a delegate; null on errors.")
    errors: list[ResellerError] = strawberry.field(default_factory=list)


@strawberry.type
class DelegatesQuery:
    @field(Role.SYSTEM_ADMIN, *RESELLER_STAFF, description="The primary administrator, then the "
           "delegated ones; by default of my own reseller.")
    async def reseller_administrators(
        self, info: strawberry.Info,
        reseller_id: Annotated[strawberry.ID | None, strawberry.argument(
            description="The Reseller's global ID (system admins); my own reseller's when left "
            "out.")] = None,
    ) -> list[ResellerAdministratorType]:
        principal = info.context.principal
        wanted = (listed_pk(reseller_id, "Reseller", ["resellerId"], plain=False) if reseller_id
                  else principal.reseller_id)
        return [ResellerAdministratorType.of(a)
                for a in await delegates.administrators_for(principal, wanted)]

    @field(Role.RESELLER_ADMIN, description="Company administrators of my accounts who can be "
           "made delegated administrators.")
    async def delegate_candidates(
        self, info: strawberry.Info,
        search: Annotated[str | None, strawberry.argument(
            description="Part of the first or last name, login id or company name.")] = None,
        first: int | None = None, after: str | None = None,
    ) -> Connection[DelegateCandidate]:
        offset, limit = page_window(first, after, info.context.settings.max_page_size)
        rows, total = await delegates.candidates_for(info.context.principal, search, offset,
                                                     limit)
        return build_connection(rows, offset, limit, total, DelegateCandidate.of)


@strawberry.type
class DelegatesMutation:
    @mutation(Role.RESELLER_ADMIN, errors=ResellerError, description="Give delegated "
              "administrator rights to a company administrator of one of my accounts (the "
              "reseller admin only).")
    async def add_reseller_delegate(
        self, info: strawberry.Info, input: ResellerDelegateInput
    ) -> ResellerAdministratorPayload:
        entry = await delegates.add_delegate(
            info.context.principal, node_pk(input.user_id, "User", ["input", "userId"],
                                            USER_NOT_FOUND, plain=False))
        return ResellerAdministratorPayload(administrator=ResellerAdministratorType.of(entry))

    @mutation(Role.RESELLER_ADMIN, errors=ResellerError, description="Take delegated "
              "administrator rights back (the reseller admin only).")
    async def remove_reseller_delegate(
        self, info: strawberry.Info, input: ResellerDelegateInput
    ) -> RemoveResellerDelegatePayload:
        user_id = node_pk(input.user_id, "User", ["input", "userId"], USER_NOT_FOUND, plain=False)
        await delegates.remove_delegate(info.context.principal, user_id,
                                        request_id=info.context.request_id)
        return RemoveResellerDelegatePayload(removed_user_id=global_id("User", user_id))
