"""GraphQL of phone numbers: the reseller's pool, adding and importing numbers, assigning
them to accounts with their options, releasing them."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry

from gateway.api import (
    STAFF,
    AccountNode,
    Connection,
    DateTime,
    PhoneNumber,
    Problem,
    account_loader,
    build_connection,
    describe_enum_values,
    field,
    global_id,
    mutation,
    node_pk,
    page_window,
)
from plugins.account_settings import numbers, services
from plugins.account_settings.errors import AccountSettingsErrorCode as Code
from plugins.account_settings.models import NumberType
from plugins.account_settings.models import PhoneNumber as PhoneNumberRow
from plugins.account_settings.settings_schema import (
    READERS,
    AccountIdArg,
    AccountSettingsError,
    target_account,
)

TYPE = "PoolPhoneNumber"


strawberry.enum(NumberType, name="PoolNumberType",
                description="A pool number's type, as dialled from its reseller's country.")
describe_enum_values(NumberType, {
    "LOCAL": "A number of the reseller's country (numéro local).",
    "TOLL_FREE": "A toll-free number (numéro sans frais), e.g. +1 800.",
    "INTERNATIONAL": "A number of another country than the reseller's (numéro international).",
})


@strawberry.type(description="A phone number (DID) of a reseller's pool, free or assigned.")
class PoolPhoneNumber:
    row_id: strawberry.Private[int]
    account_id: strawberry.Private[int | None]
    user_pk: strawberry.Private[int | None]
    number: PhoneNumber = strawberry.field(description="The number, E.164.")
    number_type: NumberType = strawberry.field(description="Local, toll-free or international "
                                               "(from the reseller's country).")
    area_code: str = strawberry.field(description="Its NANP area code (e.g. 514) or national "
                                      "destination code; empty when it has none.")
    fax_reception: bool = strawberry.field(description="Option: faxes are received on this "
                                           "number.")
    sms: bool = strawberry.field(description="Option: text messages (SMS) on this number.")
    emergency_911: bool = strawberry.field(description="Option: 911 emergency service on this "
                                           "number.")
    assigned_at: DateTime | None = strawberry.field(description="When it was given to its "
                                                    "account; null while free in the pool.")

    @strawberry.field(description="The number's global ID (PoolPhoneNumber).")
    def id(self) -> strawberry.ID:
        return global_id(TYPE, self.row_id)

    @strawberry.field(description="The global ID of the account's user the number rings; null: "
                      "the account as a whole (or free).")
    def user_id(self) -> strawberry.ID | None:
        return None if self.user_pk is None else global_id("User", self.user_pk)

    @strawberry.field(description="Null while the number is free in the pool.")
    async def account(self, info: strawberry.Info) -> AccountNode | None:
        if self.account_id is None:
            return None
        return await account_loader(info).load(self.account_id)

    @classmethod
    def from_row(cls, row: PhoneNumberRow) -> PoolPhoneNumber:
        return cls(row_id=row.id, account_id=row.account_id, user_pk=row.user_id,
                   number=row.number, number_type=NumberType(row.number_type),
                   area_code=row.area_code,
                   fax_reception=row.fax_reception, sms=row.sms,
                   emergency_911=row.emergency_911, assigned_at=row.assigned_at)


def _pool(info: strawberry.Info, raw: Any, where: list[str | int]) -> int:
    """The pool an input names (see ``numbers.pool_of``)."""
    reseller_id = None if raw is None else node_pk(raw, "Reseller", where)
    return numbers.pool_of(info.context.principal, reseller_id, where)


@strawberry.input(description="One number to add to a reseller's pool.")
class AddPhoneNumberInput:
    reseller_id: strawberry.ID | None = strawberry.field(default=None, description="System "
                                                         "admins only: whose pool.")
    number: str = strawberry.field(description="E.164, e.g. +1 (514) 555-1212; a number with "
                                   "letters is refused.")


@strawberry.input(description="A text file of numbers to add to a reseller's pool at once.")
class ImportPhoneNumbersInput:
    reseller_id: strawberry.ID | None = strawberry.field(default=None, description="System "
                                                         "admins only: whose pool.")
    content: str = strawberry.field(description="The text file: one E.164 number a line, at "
                                    "most 10,000 lines; blank lines are skipped.")


@strawberry.input(description="A free number of the pool to give to an account, with its "
                  "options.")
class AssignPhoneNumberInput:
    account_id: strawberry.ID = strawberry.field(description="The account receiving it.")
    number_id: strawberry.ID = strawberry.field(description="A free PoolPhoneNumber of the "
                                                "account's reseller's pool.")
    fax_reception: bool = strawberry.field(default=False, description="Receive faxes on it.")
    sms: bool = strawberry.field(default=False, description="Text messages (SMS) on it.")
    emergency_911: bool = strawberry.field(default=False, description="911 emergency service "
                                           "on it.")


@strawberry.input(description="The options of one of an account's numbers; null fields stay "
                  "as they are.")
class PhoneNumberOptionsInput:
    account_id: strawberry.ID = strawberry.field(description="The account holding the number.")
    number_id: strawberry.ID = strawberry.field(description="One of the account's "
                                                "PoolPhoneNumber ids.")
    fax_reception: bool | None = strawberry.field(default=None, description="Receive faxes on "
                                                  "it.")
    sms: bool | None = strawberry.field(default=None, description="Text messages (SMS) on it.")
    emergency_911: bool | None = strawberry.field(default=None, description="911 emergency "
                                                  "service on it.")


@strawberry.input(description="A number an account gives back to its reseller's pool.")
class ReleasePhoneNumberInput:
    account_id: strawberry.ID = strawberry.field(description="The account holding the number.")
    number_id: strawberry.ID = strawberry.field(description="One of the account's "
                                                "PoolPhoneNumber ids.")


@strawberry.input(description="A free number to take out of a reseller's pool for good.")
class RemovePoolPhoneNumberInput:
    reseller_id: strawberry.ID | None = strawberry.field(default=None, description="System "
                                                         "admins only: whose pool.")
    number_id: strawberry.ID = strawberry.field(description="A free PoolPhoneNumber of that "
                                                "pool (an assigned one is refused).")


@strawberry.type(description="The result of a phone number mutation.")
class PhoneNumberPayload:
    phone_number: PoolPhoneNumber | None = strawberry.field(
        description="The number as it is now (as it was, when removed); null when errors.")
    errors: list[AccountSettingsError] = strawberry.field(
        default_factory=list, description="Why nothing was done; empty on success.")


@strawberry.type(description="One line of an import that was not added, and why.")
class ImportedLineProblem:
    line: int = strawberry.field(description="The line's number in the file, from 1.")
    code: Code = strawberry.field(description="IGNORED (letters), INVALID, DUPLICATE (in the "
                                  "file or the pool) or NUMBER_UNAVAILABLE (another pool).")
    message: str = strawberry.field(description="Why, in the caller's language.")


@strawberry.type(description="The result of importPhoneNumbers: the numbers added and the "
                 "lines that were not.")
class ImportPhoneNumbersPayload:
    added: list[PoolPhoneNumber] = strawberry.field(default_factory=list, description="The "
                                                    "numbers added to the pool.")
    rejected: list[ImportedLineProblem] = strawberry.field(
        default_factory=list, description="Ignored, invalid and duplicate lines, by line.")
    errors: list[AccountSettingsError] = strawberry.field(
        default_factory=list, description="Why the whole file was refused (too many lines, "
        "unknown pool); empty otherwise.")


def _number_id(raw: Any) -> int:
    return node_pk(raw, TYPE, ["input", "numberId"])


def _payload(row: PhoneNumberRow) -> PhoneNumberPayload:
    return PhoneNumberPayload(phone_number=PoolPhoneNumber.from_row(row))


@strawberry.type
class NumbersQuery:
    @field(*STAFF, description="The reseller's pool of numbers (banque de numéros), by number "
           "(system admins, reseller staff, integrators).")
    async def phone_number_pool(
        self, info: strawberry.Info,
        reseller_id: Annotated[strawberry.ID | None, strawberry.argument(
            description="System admins: whose pool (required for them); reseller staff leave "
            "it out (their own).")] = None,
        available: Annotated[bool | None, strawberry.argument(
            description="true: only free numbers; false: only assigned ones; null: all.")] = None,
        search: Annotated[str | None, strawberry.argument(
            description="Digits the number contains, in any format (e.g. 514 555).")] = None,
        first: int | None = None, after: str | None = None,
    ) -> Connection[PoolPhoneNumber]:
        offset, limit = page_window(first, after, info.context.settings.max_page_size)
        try:
            owner = _pool(info, reseller_id, ["resellerId"])
        except Problem:
            return build_connection([], offset, limit, 0)
        query = numbers.pool(owner, available, search)
        total = await query.count()
        rows = await query.offset(offset).limit(limit + 1)
        return build_connection(rows, offset, limit, total, PoolPhoneNumber.from_row)

    @field(*READERS, description="The account's phone numbers with their options (reseller "
           "staff, and the account's company admin or professional).")
    async def account_phone_numbers(self, info: strawberry.Info,
                                    account_id: AccountIdArg) -> list[PoolPhoneNumber]:
        try:
            target = await target_account(info, account_id, ["accountId"])
        except Problem:
            return []
        return [PoolPhoneNumber.from_row(r) for r in await numbers.of_account(target.id)]


@strawberry.type
class NumbersMutation:
    @mutation(*STAFF, errors=AccountSettingsError,
              description="Add one number to the reseller's pool; a number is in one pool on "
              "the whole platform (reseller staff, integrators, system admins).")
    async def add_phone_number(
        self, info: strawberry.Info,
        input: Annotated[AddPhoneNumberInput, strawberry.argument(
            description="The number and, for a system admin, whose pool.")],
    ) -> PhoneNumberPayload:
        owner = _pool(info, input.reseller_id, ["input", "resellerId"])
        return _payload(await numbers.add_number(owner, input.number))

    @mutation(*STAFF, errors=AccountSettingsError,
              description="Import a text file of numbers into the pool: numbers with letters "
              "are ignored, invalid and duplicate lines reported.")
    async def import_phone_numbers(
        self, info: strawberry.Info,
        input: Annotated[ImportPhoneNumbersInput, strawberry.argument(
            description="The file's content and, for a system admin, whose pool.")],
    ) -> ImportPhoneNumbersPayload:
        owner = _pool(info, input.reseller_id, ["input", "resellerId"])
        report = await numbers.import_numbers(owner, input.content)
        language = info.context.language
        return ImportPhoneNumbersPayload(
            added=[PoolPhoneNumber.from_row(r) for r in report.added],
            rejected=[ImportedLineProblem(line=line, code=Code[err.code_name],
                                          message=err.message(language))
                      for line, err in report.rejected])

    @mutation(*STAFF, errors=AccountSettingsError,
              description="Give a free number of the pool to an account, with its options "
              "(not during a free trial).")
    async def assign_phone_number(
        self, info: strawberry.Info,
        input: Annotated[AssignPhoneNumberInput, strawberry.argument(
            description="The account, the free number and its options.")],
    ) -> PhoneNumberPayload:
        target = await target_account(info, input.account_id)
        options = {"fax_reception": input.fax_reception, "sms": input.sms,
                   "emergency_911": input.emergency_911}
        return _payload(await numbers.assign_number(
            info.context.host, target, _number_id(input.number_id), options))

    @mutation(*STAFF, errors=AccountSettingsError,
              description="Fax reception, SMS, 911 of one of the account's numbers.")
    async def set_phone_number_options(
        self, info: strawberry.Info,
        input: Annotated[PhoneNumberOptionsInput, strawberry.argument(
            description="The account, its number and the options to change.")],
    ) -> PhoneNumberPayload:
        target = await target_account(info, input.account_id)
        wanted = {name: getattr(input, name) for name in numbers.OPTIONS
                  if getattr(input, name) is not None}
        return _payload(await numbers.set_number_options(target, _number_id(input.number_id),
                                                         wanted))

    @mutation(*READERS, errors=AccountSettingsError,
              description="Give one of the account's numbers back to the pool (reseller staff; "
              "the account's company admin or professional unless the reseller restricted "
              "the account's management).")
    async def release_phone_number(
        self, info: strawberry.Info,
        input: Annotated[ReleasePhoneNumberInput, strawberry.argument(
            description="The account and the number it gives back.")],
    ) -> PhoneNumberPayload:
        target = await target_account(info, input.account_id)
        await services.ensure_may_change_numbers(info.context.principal, target,
                                                 ["input", "accountId"])
        return _payload(await numbers.release_number(info.context.host, target,
                                                     _number_id(input.number_id)))

    @mutation(*STAFF, errors=AccountSettingsError,
              description="Take a free number out of the pool for good.")
    async def remove_pool_phone_number(
        self, info: strawberry.Info,
        input: Annotated[RemovePoolPhoneNumberInput, strawberry.argument(
            description="The free number to remove and, for a system admin, whose pool.")],
    ) -> PhoneNumberPayload:
        owner = _pool(info, input.reseller_id, ["input", "resellerId"])
        return _payload(await numbers.remove_from_pool(owner, _number_id(input.number_id)))
