"""GraphQL of an account's extensions, IP phones (devices) and contacts."""

from __future__ import annotations

from typing import Any

import strawberry
from tortoise.expressions import Subquery

from gateway.identity import scoping
from gateway.identity.models import Account
from plugins.account_settings import contacts as contact_rules
from plugins.account_settings import devices as device_rules
from plugins.account_settings import errors as e
from plugins.account_settings import extensions as extension_rules
from plugins.account_settings import services
from plugins.account_settings.errors import AccountSettingsError, InputProblems, problem
from plugins.account_settings.models import Contact, Device, ExtensionKind
from plugins.account_settings.schema_common import (
    ANYONE,
    MANAGERS,
    READERS,
    account,
    errors_of,
    given,
    global_id,
    object_id,
)
from schema.errors import PayloadError
from schema.pagination import Connection, build_connection, page_window
from schema.permissions import Role, allow
from schema.scalars import DateTime, PhoneNumber

Code = e.AccountSettingsErrorCode
ExtensionKindEnum = strawberry.enum(ExtensionKind, name="ExtensionKind",
                                    description="USER, GROUP or SERVICE: which range.")


# --- Extensions -----------------------------------------------------------------------------

@strawberry.input
class AssignUserExtensionInput:
    account_id: strawberry.ID
    user_id: strawberry.ID
    extension: str | None = strawberry.field(default=None, description="Null: the next free "
                                             "one of the users' range.")


@strawberry.input
class ReserveExtensionInput:
    account_id: strawberry.ID
    kind: ExtensionKindEnum  # type: ignore[valid-type]
    extension: str | None = strawberry.field(default=None, description="Null: the next free "
                                             "one of the kind's range.")
    label: str = ""


@strawberry.input
class ReleaseExtensionInput:
    account_id: strawberry.ID
    extension: str


@strawberry.type
class ExtensionPayload:
    extension: str | None
    errors: list[AccountSettingsError]  # type: ignore[valid-type]


# --- Devices -------------------------------------------------------------------------------

@strawberry.type(name="Device", description="An IP phone of an account.")
class DeviceNode:
    row_id: strawberry.Private[int]
    name: str
    mac_address: str = strawberry.field(description="00:04:F2:AB:CD:EF.")
    created_at: DateTime  # type: ignore[valid-type]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return global_id("Device", self.row_id)

    @classmethod
    def from_row(cls, row: Device) -> DeviceNode:
        return cls(row_id=row.id, name=row.name, mac_address=device_rules.display_mac(
            row.mac_address), created_at=row.created_at)


@strawberry.input
class AddDeviceInput:
    account_id: strawberry.ID
    name: str
    mac_address: str


@strawberry.input
class RemoveDeviceInput:
    account_id: strawberry.ID
    id: strawberry.ID


@strawberry.type
class DevicePayload:
    device: DeviceNode | None
    errors: list[AccountSettingsError]  # type: ignore[valid-type]


# --- Contacts ------------------------------------------------------------------------------

@strawberry.type(name="Contact", description="A personal or shared contact.")
class ContactNode:
    row_id: strawberry.Private[int]
    owner_id: strawberry.Private[int | None]
    name: str
    phone_number: PhoneNumber | None  # type: ignore[valid-type]
    email: str

    @strawberry.field
    def id(self) -> strawberry.ID:
        return global_id("Contact", self.row_id)

    @strawberry.field(description="In the account's voice directory, not one person's.")
    def shared(self) -> bool:
        return self.owner_id is None

    @classmethod
    def from_row(cls, row: Contact) -> ContactNode:
        return cls(row_id=row.id, owner_id=row.owner_id,  # type: ignore[attr-defined]
                   name=row.name, phone_number=row.phone_number, email=row.email)


@strawberry.input
class AddContactInput:
    account_id: strawberry.ID
    shared: bool = strawberry.field(default=False, description="In the account's voice "
                                    "directory rather than one person's.")
    user_id: strawberry.ID | None = strawberry.field(default=None, description="Whose "
                                                     "personal contact (staff); default: "
                                                     "yours.")
    name: str
    phone_number: str | None = None
    email: str | None = None


@strawberry.input
class UpdateContactInput:
    id: strawberry.ID
    name: str
    phone_number: str | None = None
    email: str | None = None


@strawberry.input
class RemoveContactInput:
    id: strawberry.ID


@strawberry.type
class ContactPayload:
    contact: ContactNode | None
    errors: list[AccountSettingsError]  # type: ignore[valid-type]


async def _may_write_shared(info: strawberry.Info, target: Account) -> None:
    principal = info.context.principal
    if principal.role == Role.PROFESSIONAL and principal.account_id == target.id:
        # The voice directory is the account's configuration: not while admin-managed.
        await services.ensure_self_service(principal, target)
        return
    await services.ensure_may_manage(principal, target)


async def _owner(info: strawberry.Info, target: Account, raw_user: Any) -> int:
    """Whose personal contacts: staff name a user of the account, others are themselves."""
    principal = info.context.principal
    if services.is_staff(principal):
        if not given(raw_user):
            raise problem(Code.REQUIRED, e.CONTACT_OWNER, ["input", "userId"])
        return object_id(raw_user, "User", ["input", "userId"], e.WRONG_USER)
    if given(raw_user) and object_id(raw_user, "User", ["input", "userId"],
                                     e.WRONG_USER) != principal.user_id:
        raise problem(Code.NOT_FOUND, e.WRONG_USER, ["input", "userId"])
    return int(principal.user_id)


async def _contact(info: strawberry.Info, raw: Any) -> tuple[Contact, Account]:
    """A contact the caller may change: its own, or a shared one it may manage."""
    principal = info.context.principal
    contact_id = object_id(raw, "Contact", ["input", "id"])
    visible = Subquery(scoping.accounts_visible(principal).values("id"))
    row = await Contact.filter(id=contact_id, account_id__in=visible).first()
    if row is None or (row.owner_id is not None  # type: ignore[attr-defined]
                       and not services.is_staff(principal)
                       and row.owner_id != principal.user_id):  # type: ignore[attr-defined]
        raise problem(Code.NOT_FOUND, e.NO_SUCH_ITEM, ["input", "id"])
    target = await Account.get(id=row.account_id)  # type: ignore[attr-defined]
    if row.owner_id is None:  # type: ignore[attr-defined]
        await _may_write_shared(info, target)
    return row, target


def _contact_payload(row: Contact | None = None, error: Exception | None = None,
                     language: str = "en") -> ContactPayload:
    if error is not None:
        return ContactPayload(contact=None, errors=errors_of(error, language))  # type: ignore[arg-type]
    return ContactPayload(contact=ContactNode.from_row(row), errors=[])  # type: ignore[arg-type]


@strawberry.type
class DirectoryQuery:
    @strawberry.field(extensions=allow(*MANAGERS),
                      description="The next free extension of a kind, from its range (null "
                      "when the range is full).")
    async def next_free_extension(self, info: strawberry.Info, account_id: strawberry.ID,
                                  kind: ExtensionKindEnum) -> str | None:  # type: ignore[valid-type]
        try:
            target = await account(info, account_id, ["accountId"])
        except PayloadError:
            return None
        return await extension_rules.next_free(target.id, ExtensionKind(kind.value))

    @strawberry.field(extensions=allow(*READERS), description="The account's IP phones.")
    async def devices(self, info: strawberry.Info,
                      account_id: strawberry.ID) -> list[DeviceNode]:
        try:
            target = await account(info, account_id, ["accountId"])
        except PayloadError:
            return []
        return [DeviceNode.from_row(d) for d in
                await Device.filter(account_id=target.id).order_by("name", "id")]

    @strawberry.field(extensions=allow(*ANYONE),
                      description="Contacts: your own (or a user's, for staff), or the "
                      "account's shared ones; search by name or number.")
    async def contacts(
        self, info: strawberry.Info, account_id: strawberry.ID, shared: bool = False,
        user_id: strawberry.ID | None = None, search: str | None = None,
        first: int | None = None, after: str | None = None,
    ) -> Connection[ContactNode]:
        offset, limit = page_window(first, after, info.context.settings.max_page_size)
        try:
            target = await account(info, account_id, ["accountId"])
            query = Contact.filter(account_id=target.id)
            if shared:
                query = query.filter(owner_id__isnull=True)
            else:
                query = query.filter(owner_id=await _owner(info, target, user_id))
        except PayloadError:
            return build_connection([], offset, limit, 0)
        query = contact_rules.search(query, search)
        total = await query.count()
        rows = await query.order_by("name", "id").offset(offset).limit(limit + 1)
        return build_connection(rows, offset, limit, total, ContactNode.from_row)


@strawberry.type
class DirectoryMutation:
    @strawberry.mutation(extensions=allow(*MANAGERS),
                         description="Give a user its extension: the one asked for if free "
                         "and in the users' range, else the next free one.")
    async def assign_user_extension(self, info: strawberry.Info,
                                    input: AssignUserExtensionInput) -> ExtensionPayload:
        try:
            target = await account(info, input.account_id)
            await services.ensure_may_manage(info.context.principal, target)
            user_id = object_id(input.user_id, "User", ["input", "userId"], e.WRONG_USER)
            user = await extension_rules.assign_user_extension(target, user_id,
                                                               input.extension)
        except (PayloadError, InputProblems) as error:
            return ExtensionPayload(extension=None, errors=errors_of(error,
                                                                     info.context.language))
        return ExtensionPayload(extension=user.extension, errors=[])

    @strawberry.mutation(extensions=allow(*MANAGERS),
                         description="Hold an extension for a group or a service.")
    async def reserve_extension(self, info: strawberry.Info,
                                input: ReserveExtensionInput) -> ExtensionPayload:
        try:
            target = await account(info, input.account_id)
            await services.ensure_may_manage(info.context.principal, target)
            row = await extension_rules.reserve_extension(
                target, ExtensionKind(input.kind.value), input.extension, input.label)
        except (PayloadError, InputProblems) as error:
            return ExtensionPayload(extension=None, errors=errors_of(error,
                                                                     info.context.language))
        return ExtensionPayload(extension=row.extension, errors=[])

    @strawberry.mutation(extensions=allow(*MANAGERS),
                         description="Free a group's or a service's extension.")
    async def release_extension(self, info: strawberry.Info,
                                input: ReleaseExtensionInput) -> ExtensionPayload:
        try:
            target = await account(info, input.account_id)
            await services.ensure_may_manage(info.context.principal, target)
            if not await extension_rules.release_extension(target, input.extension):
                raise problem(Code.NOT_FOUND, e.NO_SUCH_ITEM, ["input", "extension"])
        except (PayloadError, InputProblems) as error:
            return ExtensionPayload(extension=None, errors=errors_of(error,
                                                                     info.context.language))
        return ExtensionPayload(extension=input.extension.strip(), errors=[])

    @strawberry.mutation(extensions=allow(*MANAGERS),
                         description="Add an IP phone (name, MAC address) to an account.")
    async def add_device(self, info: strawberry.Info, input: AddDeviceInput) -> DevicePayload:
        try:
            target = await account(info, input.account_id)
            await services.ensure_may_manage(info.context.principal, target)
            row = await device_rules.add_device(target, input.name, input.mac_address)
        except (PayloadError, InputProblems) as error:
            return DevicePayload(device=None, errors=errors_of(error, info.context.language))
        return DevicePayload(device=DeviceNode.from_row(row), errors=[])

    @strawberry.mutation(extensions=allow(*MANAGERS), description="Remove an IP phone.")
    async def remove_device(self, info: strawberry.Info,
                            input: RemoveDeviceInput) -> DevicePayload:
        try:
            target = await account(info, input.account_id)
            await services.ensure_may_manage(info.context.principal, target)
            device_id = object_id(input.id, "Device", ["input", "id"])
            row = await Device.filter(id=device_id, account_id=target.id).first()
            if row is None or not await device_rules.remove_device([target.id], device_id):
                raise problem(Code.NOT_FOUND, e.NO_SUCH_ITEM, ["input", "id"])
        except (PayloadError, InputProblems) as error:
            return DevicePayload(device=None, errors=errors_of(error, info.context.language))
        return DevicePayload(device=DeviceNode.from_row(row), errors=[])

    @strawberry.mutation(extensions=allow(*ANYONE),
                         description="Add a personal contact, or a shared one to the voice "
                         "directory, within the account's limits.")
    async def add_contact(self, info: strawberry.Info, input: AddContactInput) -> ContactPayload:
        language = info.context.language
        try:
            target = await account(info, input.account_id)
            if input.shared:
                if info.context.principal.role == Role.EMPLOYEE:
                    raise problem(Code.NOT_ALLOWED, e.NOT_ALLOWED)
                await _may_write_shared(info, target)
                owner = None
            else:
                owner = await _owner(info, target, input.user_id)
            row = await contact_rules.add_contact(target, owner, {
                "name": input.name, "phone_number": input.phone_number, "email": input.email})
        except (PayloadError, InputProblems) as error:
            return _contact_payload(error=error, language=language)
        return _contact_payload(row)

    @strawberry.mutation(extensions=allow(*ANYONE), description="Change a contact.")
    async def update_contact(self, info: strawberry.Info,
                             input: UpdateContactInput) -> ContactPayload:
        language = info.context.language
        try:
            row, _ = await _contact(info, input.id)
            row = await contact_rules.update_contact(row, {
                "name": input.name, "phone_number": input.phone_number, "email": input.email})
        except (PayloadError, InputProblems) as error:
            return _contact_payload(error=error, language=language)
        return _contact_payload(row)

    @strawberry.mutation(extensions=allow(*ANYONE), description="Remove a contact.")
    async def remove_contact(self, info: strawberry.Info,
                             input: RemoveContactInput) -> ContactPayload:
        language = info.context.language
        try:
            row, _ = await _contact(info, input.id)
            await Contact.filter(id=row.id).delete()
        except (PayloadError, InputProblems) as error:
            return _contact_payload(error=error, language=language)
        return _contact_payload(row)

