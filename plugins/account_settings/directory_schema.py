"""GraphQL of an account's extensions, IP phones (devices) and contacts."""

from __future__ import annotations

from typing import Any

import strawberry

from gateway.api import (
    SIGNED_IN,
    Connection,
    DateTime,
    PhoneNumber,
    Problem,
    build_connection,
    field,
    given,
    global_id,
    mutation,
    node_pk,
    object_pk,
    page_window,
)
from plugins.account_settings import contacts as contact_rules
from plugins.account_settings import devices as device_rules
from plugins.account_settings import errors as e
from plugins.account_settings import extensions as extension_rules
from plugins.account_settings.models import Contact, Device, ExtensionKind
from plugins.account_settings.settings_schema import (
    MANAGERS,
    READERS,
    AccountSettingsError,
    target_account,
)

# Registered here, where it is first annotated; the affiliation plugin's types use it too.
strawberry.enum(ExtensionKind, name="ExtensionKind",
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
    kind: ExtensionKind
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
    errors: list[AccountSettingsError] = strawberry.field(
        default_factory=list)


# --- Devices -------------------------------------------------------------------------------

@strawberry.type(name="Device", description="An IP phone of an account.")
class DeviceNode:
    row_id: strawberry.Private[int]
    name: str
    mac_address: str = strawberry.field(description="00:04:F2:AB:CD:EF.")
    created_at: DateTime

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
    errors: list[AccountSettingsError] = strawberry.field(
        default_factory=list)


# --- Contacts ------------------------------------------------------------------------------

@strawberry.type(name="Contact", description="A personal or shared contact.")
class ContactNode:
    row_id: strawberry.Private[int]
    owner_id: strawberry.Private[int | None]
    name: str
    phone_number: PhoneNumber | None
    email: str

    @strawberry.field
    def id(self) -> strawberry.ID:
        return global_id("Contact", self.row_id)

    @strawberry.field(description="In the account's voice directory, not one person's.")
    def shared(self) -> bool:
        return self.owner_id is None

    @classmethod
    def from_row(cls, row: Contact) -> ContactNode:
        return cls(row_id=row.id, owner_id=row.owner_id, name=row.name,
                   phone_number=row.phone_number, email=row.email)


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
    errors: list[AccountSettingsError] = strawberry.field(
        default_factory=list)


def _user_id(raw: Any, where: list[str | int]) -> int | None:
    """The user a contact input names, if it names one."""
    return node_pk(raw, "User", where, e.WRONG_USER) if given(raw) else None


def _contact_data(input: AddContactInput | UpdateContactInput) -> dict[str, Any]:
    return {"name": input.name, "phone_number": input.phone_number, "email": input.email}


@strawberry.type
class DirectoryQuery:
    @field(*MANAGERS, description="The next free extension of a kind, from its range (null "
           "when the range is full).")
    async def next_free_extension(self, info: strawberry.Info, account_id: strawberry.ID,
                                  kind: ExtensionKind) -> str | None:
        try:
            target = await target_account(info, account_id, ["accountId"])
        except Problem:
            return None
        return await extension_rules.next_free(target.id, kind)

    @field(*READERS, description="The account's IP phones.")
    async def devices(self, info: strawberry.Info,
                      account_id: strawberry.ID) -> list[DeviceNode]:
        try:
            target = await target_account(info, account_id, ["accountId"])
        except Problem:
            return []
        return [DeviceNode.from_row(d) for d in await device_rules.of_account(target.id)]

    @field(*SIGNED_IN, description="Contacts: your own (or a user's, for staff), or the "
           "account's shared ones; search by name or number.")
    async def contacts(
        self, info: strawberry.Info, account_id: strawberry.ID, shared: bool = False,
        user_id: strawberry.ID | None = None, search: str | None = None,
        first: int | None = None, after: str | None = None,
    ) -> Connection[ContactNode]:
        offset, limit = page_window(first, after, info.context.settings.max_page_size)
        try:
            target = await target_account(info, account_id, ["accountId"])
            query = contact_rules.listing(
                info.context.principal, target, shared=shared, search_text=search,
                user_id=None if shared else _user_id(user_id, ["input", "userId"]))
        except Problem:
            return build_connection([], offset, limit, 0)
        total = await query.count()
        rows = await query.offset(offset).limit(limit + 1)
        return build_connection(rows, offset, limit, total, ContactNode.from_row)


@strawberry.type
class DirectoryMutation:
    @mutation(*MANAGERS, errors=AccountSettingsError,
              description="Give a user its extension: the one asked for if free and in the "
              "users' range, else the next free one.")
    async def assign_user_extension(self, info: strawberry.Info,
                                    input: AssignUserExtensionInput) -> ExtensionPayload:
        target = await target_account(info, input.account_id)
        user = await extension_rules.assign_user_extension(
            target, object_pk(input.user_id, "User"), input.extension,
            by=info.context.principal)
        return ExtensionPayload(extension=user.extension)

    @mutation(*MANAGERS, errors=AccountSettingsError,
              description="Hold an extension for a group or a service.")
    async def reserve_extension(self, info: strawberry.Info,
                                input: ReserveExtensionInput) -> ExtensionPayload:
        target = await target_account(info, input.account_id)
        row = await extension_rules.reserve_extension(target, input.kind, input.extension,
                                                      input.label, by=info.context.principal)
        return ExtensionPayload(extension=row.extension)

    @mutation(*MANAGERS, errors=AccountSettingsError,
              description="Free a group's or a service's extension.")
    async def release_extension(self, info: strawberry.Info,
                                input: ReleaseExtensionInput) -> ExtensionPayload:
        target = await target_account(info, input.account_id)
        return ExtensionPayload(extension=await extension_rules.release_extension(
            target, input.extension, by=info.context.principal))

    @mutation(*MANAGERS, errors=AccountSettingsError,
              description="Add an IP phone (name, MAC address) to an account.")
    async def add_device(self, info: strawberry.Info, input: AddDeviceInput) -> DevicePayload:
        target = await target_account(info, input.account_id)
        row = await device_rules.add_device(target, input.name, input.mac_address,
                                            by=info.context.principal)
        return DevicePayload(device=DeviceNode.from_row(row))

    @mutation(*MANAGERS, errors=AccountSettingsError, description="Remove an IP phone.")
    async def remove_device(self, info: strawberry.Info,
                            input: RemoveDeviceInput) -> DevicePayload:
        target = await target_account(info, input.account_id)
        row = await device_rules.remove_device(target, object_pk(input.id, "Device"),
                                               by=info.context.principal)
        return DevicePayload(device=DeviceNode.from_row(row))

    @mutation(*SIGNED_IN, errors=AccountSettingsError,
              description="Add a personal contact, or a shared one to the voice directory, "
              "within the account's limits.")
    async def add_contact(self, info: strawberry.Info, input: AddContactInput) -> ContactPayload:
        target = await target_account(info, input.account_id)
        row = await contact_rules.add_contact_for(
            info.context.principal, target, shared=input.shared, data=_contact_data(input),
            user_id=None if input.shared else _user_id(input.user_id, ["input", "userId"]))
        return ContactPayload(contact=ContactNode.from_row(row))

    @mutation(*SIGNED_IN, errors=AccountSettingsError, description="Change a contact.")
    async def update_contact(self, info: strawberry.Info,
                             input: UpdateContactInput) -> ContactPayload:
        row = await contact_rules.update_contact(
            info.context.principal, node_pk(input.id, "Contact", ["input", "id"]),
            _contact_data(input))
        return ContactPayload(contact=ContactNode.from_row(row))

    @mutation(*SIGNED_IN, errors=AccountSettingsError, description="Remove a contact.")
    async def remove_contact(self, info: strawberry.Info,
                             input: RemoveContactInput) -> ContactPayload:
        row = await contact_rules.remove_contact(
            info.context.principal, node_pk(input.id, "Contact", ["input", "id"]))
        return ContactPayload(contact=ContactNode.from_row(row))
