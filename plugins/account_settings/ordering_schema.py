"""GraphQL of ordering numbers (issue 20): what the account's reseller pool has free by type
and area code, ordering numbers, and which user of the account a number rings. Subscribers
(the account's company admin or professional) do it for their own account unless the
reseller restricted its management; reseller staff for every account they see."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry

from gateway.api import (
    Problem,
    field,
    mutation,
    node_pk,
    page_window,
)
from plugins.account_settings import ordering, services
from plugins.account_settings.models import NumberType
from plugins.account_settings.numbers_schema import PoolPhoneNumber
from plugins.account_settings.settings_schema import (
    READERS,
    AccountIdArg,
    AccountSettingsError,
    target_account,
)


@strawberry.type(description="How many numbers of one area code are free in the pool.")
class AreaCodeCount:
    area_code: str = strawberry.field(description="The NANP area code (e.g. 514) or national "
                                      "destination code; empty when the number has none.")
    free: int = strawberry.field(description="Free numbers of the type with this area code.")


@strawberry.type(description="The free numbers of an account's reseller pool a client may "
                 "order, of one type.")
class AvailablePhoneNumbers:
    total_count: int = strawberry.field(description="Free numbers of the type (and area code, "
                                        "when given).")
    numbers: list[PoolPhoneNumber] = strawberry.field(description="The first free numbers, "
                                                      "lowest first (at most `first`).")
    area_codes: list[AreaCodeCount] = strawberry.field(
        description="Every area code with free numbers of the type, with its count, by area "
        "code (at most 200), whatever the areaCode argument.")


@strawberry.input(description="Free numbers of the account's reseller pool to take for the "
                  "account.")
class OrderPhoneNumbersInput:
    account_id: strawberry.ID = strawberry.field(description="The account receiving them.")
    type: NumberType = strawberry.field(description="Local, toll-free or international.")
    area_code: str | None = strawberry.field(default=None, description="The area code wanted "
                                             "(digits, e.g. 514); null: any.")
    quantity: int = strawberry.field(default=1, description="How many numbers, 1 to 10: all "
                                     "are taken or none.")


@strawberry.input(description="Which user of its account one of the account's numbers rings.")
class AssignPhoneNumberToUserInput:
    account_id: strawberry.ID = strawberry.field(description="The account holding the number.")
    number_id: strawberry.ID = strawberry.field(description="One of the account's "
                                                "PoolPhoneNumber ids.")
    user_id: strawberry.ID | None = strawberry.field(default=None, description="A user of the "
                                                     "same account; null: the account itself.")


@strawberry.type(description="The result of orderPhoneNumbers.")
class OrderPhoneNumbersPayload:
    phone_numbers: list[PoolPhoneNumber] = strawberry.field(
        default_factory=list, description="The numbers now the account's; empty when errors.")
    errors: list[AccountSettingsError] = strawberry.field(
        default_factory=list, description="Why nothing was taken; empty on success.")


@strawberry.type(description="The result of assignPhoneNumberToUser.")
class AssignPhoneNumberToUserPayload:
    phone_number: PoolPhoneNumber | None = strawberry.field(
        default=None, description="The number as it is now; null when errors.")
    errors: list[AccountSettingsError] = strawberry.field(
        default_factory=list, description="Why nothing was done; empty on success.")


def _user_id(raw: Any) -> int | None:
    return None if raw is None else node_pk(raw, "User", ["input", "userId"])


@strawberry.type
class OrderingQuery:
    @field(*READERS, description="The free numbers of the account's reseller pool of one type "
           "(and area code), with the count free by area code (reseller staff, and the "
           "account's company admin or professional); null for an account you may not see.")
    async def available_phone_numbers(
        self, info: strawberry.Info, account_id: AccountIdArg,
        type: Annotated[NumberType, strawberry.argument(
            description="Local, toll-free or international.")],
        area_code: Annotated[str | None, strawberry.argument(
            description="Only this area code (digits, e.g. 514); null: any.")] = None,
        first: Annotated[int | None, strawberry.argument(
            description="How many numbers to list, at most the page size cap.")] = None,
    ) -> AvailablePhoneNumbers | None:
        _offset, limit = page_window(first, None, info.context.settings.max_page_size)
        try:
            target = await target_account(info, account_id, ["accountId"])
        except Problem:
            return None
        wanted = ordering.clean_area_code(area_code)
        query = ordering.free_numbers(target.reseller_id, type, wanted)
        counts = await ordering.area_code_counts(target.reseller_id, type)
        return AvailablePhoneNumbers(
            total_count=await query.count(),
            numbers=[PoolPhoneNumber.from_row(r) for r in await query.limit(limit)],
            area_codes=[AreaCodeCount(area_code=code, free=free) for code, free in counts])


@strawberry.type
class OrderingMutation:
    @mutation(*READERS, errors=AccountSettingsError,
              description="Take free numbers of the account's reseller pool for the account "
              "(not during a free trial; a subscriber only unless the reseller restricted the "
              "account's management).")
    async def order_phone_numbers(
        self, info: strawberry.Info,
        input: Annotated[OrderPhoneNumbersInput, strawberry.argument(
            description="The account, the type, the area code and how many.")],
    ) -> OrderPhoneNumbersPayload:
        target = await target_account(info, input.account_id)
        await services.ensure_may_change_numbers(info.context.principal, target,
                                                 ["input", "accountId"])
        rows = await ordering.order_numbers(info.context.host, target, input.type,
                                            input.area_code, input.quantity)
        return OrderPhoneNumbersPayload(phone_numbers=[PoolPhoneNumber.from_row(r)
                                                       for r in rows])

    @mutation(*READERS, errors=AccountSettingsError,
              description="Make one of the account's numbers ring one of its users, or the "
              "account itself (a subscriber only unless the reseller restricted the account's "
              "management).")
    async def assign_phone_number_to_user(
        self, info: strawberry.Info,
        input: Annotated[AssignPhoneNumberToUserInput, strawberry.argument(
            description="The account, its number and the user.")],
    ) -> AssignPhoneNumberToUserPayload:
        target = await target_account(info, input.account_id)
        await services.ensure_may_change_numbers(info.context.principal, target,
                                                 ["input", "accountId"])
        number_id = node_pk(input.number_id, "PoolPhoneNumber", ["input", "numberId"])
        row = await ordering.ring_user(info.context.host, target, number_id,
                                       _user_id(input.user_id))
        return AssignPhoneNumberToUserPayload(phone_number=PoolPhoneNumber.from_row(row))
