"""GraphQL of phone numbers: the reseller's pool, adding and importing numbers, assigning
them to accounts with their options, releasing them."""

from __future__ import annotations

from typing import Any

import strawberry

from gateway.identity.types import AccountNode
from plugins.account_settings import errors as e
from plugins.account_settings import numbers
from plugins.account_settings.errors import AccountSettingsError, InputProblems, problem
from plugins.account_settings.models import PhoneNumber as PhoneNumberRow
from plugins.account_settings.schema_common import (
    READERS,
    STAFF,
    account,
    account_node,
    errors_of,
    global_id,
    object_id,
)
from schema.errors import PayloadError
from schema.pagination import Connection, build_connection, page_window
from schema.permissions import Role, allow
from schema.scalars import DateTime, PhoneNumber

TYPE = "PoolPhoneNumber"


@strawberry.type(description="A phone number (DID) of a reseller's pool, free or assigned.")
class PoolPhoneNumber:
    row_id: strawberry.Private[int]
    account_id: strawberry.Private[int | None]
    number: PhoneNumber  # type: ignore[valid-type]
    fax_reception: bool
    sms: bool
    emergency_911: bool
    assigned_at: DateTime | None  # type: ignore[valid-type]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return global_id(TYPE, self.row_id)

    @strawberry.field(description="Null while the number is free in the pool.")
    async def account(self, info: strawberry.Info) -> AccountNode | None:
        return await account_node(info, self.account_id)

    @classmethod
    def from_row(cls, row: PhoneNumberRow) -> PoolPhoneNumber:
        return cls(row_id=row.id, account_id=row.account_id,  # type: ignore[attr-defined]
                   number=row.number, fax_reception=row.fax_reception, sms=row.sms,
                   emergency_911=row.emergency_911, assigned_at=row.assigned_at)


def pool_reseller(info: strawberry.Info, raw: Any, field: list[str | int]) -> int:
    """The pool worked on: the caller's reseller's; a system admin names one."""
    principal = info.context.principal
    if raw is None:
        if principal.role == Role.SYSTEM_ADMIN or not principal.reseller_id:
            raise problem(e.AccountSettingsErrorCode.REQUIRED, e.REQUIRED, field)
        return int(principal.reseller_id)
    reseller_id = object_id(raw, "Reseller", field)
    if principal.role != Role.SYSTEM_ADMIN and reseller_id != principal.reseller_id:
        raise problem(e.AccountSettingsErrorCode.NOT_FOUND, e.NO_SUCH_ITEM, field)
    return reseller_id


@strawberry.input
class AddPhoneNumberInput:
    reseller_id: strawberry.ID | None = strawberry.field(default=None, description="System "
                                                         "admins only: whose pool.")
    number: str = strawberry.field(description="E.164, e.g. +1 (514) 555-1212.")


@strawberry.input
class ImportPhoneNumbersInput:
    reseller_id: strawberry.ID | None = None
    content: str = strawberry.field(description="The text file: one E.164 number a line.")


@strawberry.input
class AssignPhoneNumberInput:
    account_id: strawberry.ID
    number_id: strawberry.ID
    fax_reception: bool = False
    sms: bool = False
    emergency_911: bool = False


@strawberry.input
class PhoneNumberOptionsInput:
    account_id: strawberry.ID
    number_id: strawberry.ID
    fax_reception: bool | None = None
    sms: bool | None = None
    emergency_911: bool | None = None


@strawberry.input
class ReleasePhoneNumberInput:
    account_id: strawberry.ID
    number_id: strawberry.ID


@strawberry.input
class RemovePoolPhoneNumberInput:
    reseller_id: strawberry.ID | None = None
    number_id: strawberry.ID


@strawberry.type
class PhoneNumberPayload:
    phone_number: PoolPhoneNumber | None
    errors: list[AccountSettingsError]  # type: ignore[valid-type]


@strawberry.type(description="One line of an import that was not added, and why.")
class ImportedLineProblem:
    line: int
    code: e.AccountSettingsErrorCode
    message: str


@strawberry.type
class ImportPhoneNumbersPayload:
    added: list[PoolPhoneNumber]
    rejected: list[ImportedLineProblem] = strawberry.field(description="Ignored, invalid and "
                                                           "duplicate lines, by line.")
    errors: list[AccountSettingsError]  # type: ignore[valid-type]


def _number_id(raw: Any) -> int:
    return object_id(raw, TYPE, ["input", "numberId"])


def _payload(row: PhoneNumberRow | None = None, error: Exception | None = None,
             language: str = "en") -> PhoneNumberPayload:
    if error is not None:
        return PhoneNumberPayload(phone_number=None, errors=errors_of(error, language))  # type: ignore[arg-type]
    return PhoneNumberPayload(phone_number=PoolPhoneNumber.from_row(row), errors=[])  # type: ignore[arg-type]


@strawberry.type
class NumbersQuery:
    @strawberry.field(extensions=allow(*STAFF),
                      description="The reseller's pool of numbers (banque de numéros).")
    async def phone_number_pool(
        self, info: strawberry.Info, reseller_id: strawberry.ID | None = None,
        available: bool | None = None, search: str | None = None,
        first: int | None = None, after: str | None = None,
    ) -> Connection[PoolPhoneNumber]:
        offset, limit = page_window(first, after, info.context.settings.max_page_size)
        try:
            owner = pool_reseller(info, reseller_id, ["resellerId"])
        except PayloadError:
            return build_connection([], offset, limit, 0)
        query = PhoneNumberRow.filter(reseller_id=owner)
        if available is not None:
            query = query.filter(account_id__isnull=available)
        digits = "".join(c for c in (search or "") if c.isdigit())
        if digits:
            query = query.filter(number__contains=digits)
        total = await query.count()
        rows = await query.order_by("number", "id").offset(offset).limit(limit + 1)
        return build_connection(rows, offset, limit, total, PoolPhoneNumber.from_row)

    @strawberry.field(extensions=allow(*READERS), description="The account's phone numbers.")
    async def account_phone_numbers(self, info: strawberry.Info,
                                    account_id: strawberry.ID) -> list[PoolPhoneNumber]:
        try:
            target = await account(info, account_id, ["accountId"])
        except PayloadError:
            return []
        rows = await PhoneNumberRow.filter(account_id=target.id).order_by("number")
        return [PoolPhoneNumber.from_row(r) for r in rows]


@strawberry.type
class NumbersMutation:
    @strawberry.mutation(extensions=allow(*STAFF), description="Add one number to the pool.")
    async def add_phone_number(self, info: strawberry.Info,
                               input: AddPhoneNumberInput) -> PhoneNumberPayload:
        try:
            owner = pool_reseller(info, input.reseller_id, ["input", "resellerId"])
            row = await numbers.add_number(owner, input.number)
        except (PayloadError, InputProblems) as error:
            return _payload(error=error, language=info.context.language)
        return _payload(row)

    @strawberry.mutation(extensions=allow(*STAFF),
                         description="Import a text file of numbers into the pool: numbers "
                         "with letters are ignored, invalid and duplicate lines reported.")
    async def import_phone_numbers(self, info: strawberry.Info,
                                   input: ImportPhoneNumbersInput) -> ImportPhoneNumbersPayload:
        language = info.context.language
        try:
            owner = pool_reseller(info, input.reseller_id, ["input", "resellerId"])
            report = await numbers.import_numbers(owner, input.content)
        except (PayloadError, InputProblems) as error:
            return ImportPhoneNumbersPayload(added=[], rejected=[],
                                             errors=errors_of(error, language))
        return ImportPhoneNumbersPayload(
            added=[PoolPhoneNumber.from_row(r) for r in report.added],
            rejected=[ImportedLineProblem(line=line, code=err.code,
                                          message=err.text.render(language, **err.values))
                      for line, err in report.rejected],
            errors=[])

    @strawberry.mutation(extensions=allow(*STAFF),
                         description="Give a free number of the pool to an account, with its "
                         "options (not during a free trial).")
    async def assign_phone_number(self, info: strawberry.Info,
                                  input: AssignPhoneNumberInput) -> PhoneNumberPayload:
        try:
            target = await account(info, input.account_id)
            row = await numbers.assign_number(target, _number_id(input.number_id), {
                "fax_reception": input.fax_reception, "sms": input.sms,
                "emergency_911": input.emergency_911})
        except (PayloadError, InputProblems) as error:
            return _payload(error=error, language=info.context.language)
        return _payload(row)

    @strawberry.mutation(extensions=allow(*STAFF),
                         description="Fax reception, SMS, 911 of one of the account's numbers.")
    async def set_phone_number_options(self, info: strawberry.Info,
                                       input: PhoneNumberOptionsInput) -> PhoneNumberPayload:
        try:
            target = await account(info, input.account_id)
            wanted = {name: getattr(input, name) for name in numbers.OPTIONS
                      if getattr(input, name) is not None}
            row = await numbers.set_number_options(target, _number_id(input.number_id), wanted)
        except (PayloadError, InputProblems) as error:
            return _payload(error=error, language=info.context.language)
        return _payload(row)

    @strawberry.mutation(extensions=allow(*STAFF),
                         description="Give one of the account's numbers back to the pool.")
    async def release_phone_number(self, info: strawberry.Info,
                                   input: ReleasePhoneNumberInput) -> PhoneNumberPayload:
        try:
            target = await account(info, input.account_id)
            row = await numbers.release_number(target, _number_id(input.number_id))
        except (PayloadError, InputProblems) as error:
            return _payload(error=error, language=info.context.language)
        return _payload(row)

    @strawberry.mutation(extensions=allow(*STAFF),
                         description="Take a free number out of the pool for good.")
    async def remove_pool_phone_number(self, info: strawberry.Info,
                                       input: RemovePoolPhoneNumberInput) -> PhoneNumberPayload:
        try:
            owner = pool_reseller(info, input.reseller_id, ["input", "resellerId"])
            number_id = _number_id(input.number_id)
            row = await PhoneNumberRow.filter(id=number_id, reseller_id=owner).first()
            await numbers.remove_from_pool(owner, number_id)
        except (PayloadError, InputProblems) as error:
            return _payload(error=error, language=info.context.language)
        return _payload(row)
