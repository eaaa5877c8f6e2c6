"""GraphQL of an account's extensions, IP phones (devices) and contacts."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry

from gateway.api import (
    SIGNED_IN,
    Connection,
    DateTime,
    PhoneNumber,
    Problem,
    build_connection,
    describe_enum_values,
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
    AccountIdArg,
    AccountSettingsError,
    target_account,
)

# Registered here, where it is first annotated; the affiliation plugin's types use it too.
strawberry.enum(ExtensionKind, name="ExtensionKind",
                description="USER, GROUP or SERVICE: which range.")
describe_enum_values(ExtensionKind, {
    "USER": "An employee's extension (Utilisateurs range, default 100-299).",
    "GROUP": "A group's extension: extension group or employee group (Groupes range, default "
    "500-599).",
    "SERVICE": "A service's extension: virtual assistant, voicemail, recorder, virtual "
    "receptionist, on-call agent (Services range, default 700-799).",
})


# --- Extensions -----------------------------------------------------------------------------

@strawberry.input(description="The extension to give one user of an account.")
class AssignUserExtensionInput:
    account_id: strawberry.ID = strawberry.field(description="The user's account.")
    user_id: strawberry.ID = strawberry.field(description="The user (a User id of that "
                                              "account).")
    extension: str | None = strawberry.field(default=None, description="Null: the next free "
                                             "one of the users' range.")


@strawberry.input(description="An extension to hold for a group or a service of an account.")
class ReserveExtensionInput:
    account_id: strawberry.ID = strawberry.field(description="The account, by its global "
                                                 "ID.")
    kind: ExtensionKind = strawberry.field(description="GROUP or SERVICE (a user's extension "
                                           "is given with assignUserExtension).")
    extension: str | None = strawberry.field(default=None, description="Null: the next free "
                                             "one of the kind's range.")
    label: str = strawberry.field(default="", description="What holds it, e.g. Sales group "
                                  "(at most 100 characters kept).")


@strawberry.input(description="A group's or a service's extension to free.")
class ReleaseExtensionInput:
    account_id: strawberry.ID = strawberry.field(description="The account, by its global "
                                                 "ID.")
    extension: str = strawberry.field(description="The reserved extension, e.g. 501.")


@strawberry.type(description="The result of an extension mutation.")
class ExtensionPayload:
    extension: str | None = strawberry.field(description="The extension given, held or freed; "
                                             "null when errors.")
    errors: list[AccountSettingsError] = strawberry.field(
        default_factory=list, description="Why nothing was done; empty on success.")


# --- Devices -------------------------------------------------------------------------------

@strawberry.type(name="Device", description="An IP phone of an account.")
class DeviceNode:
    row_id: strawberry.Private[int]
    name: str = strawberry.field(description="The phone's name, as the account calls it.")
    mac_address: str = strawberry.field(description="The MAC address, shown as "
                                        "00:04:F2:AB:CD:EF.")
    created_at: DateTime = strawberry.field(description="When it was added.")

    @strawberry.field(description="The device's global ID.")
    def id(self) -> strawberry.ID:
        return global_id("Device", self.row_id)

    @classmethod
    def from_row(cls, row: Device) -> DeviceNode:
        return cls(row_id=row.id, name=row.name, mac_address=device_rules.display_mac(
            row.mac_address), created_at=row.created_at)


@strawberry.input(description="An IP phone to add to an account (Appareils > Nouveau).")
class AddDeviceInput:
    account_id: strawberry.ID = strawberry.field(description="The account, by its global "
                                                 "ID.")
    name: str = strawberry.field(description="A name for the phone, required, at most 100 "
                                 "characters.")
    mac_address: str = strawberry.field(description="Its unicast MAC address: 12 hexadecimal "
                                        "digits, any separators (00:04:F2:AB:CD:EF, "
                                        "0004.f2ab.cdef); unique among the reseller's devices.")


@strawberry.input(description="An IP phone to remove from an account.")
class RemoveDeviceInput:
    account_id: strawberry.ID = strawberry.field(description="The account, by its global "
                                                 "ID.")
    id: strawberry.ID = strawberry.field(description="The Device's id.")


@strawberry.type(description="The result of a device mutation.")
class DevicePayload:
    device: DeviceNode | None = strawberry.field(description="The device added, or removed (as "
                                                 "it was); null when errors.")
    errors: list[AccountSettingsError] = strawberry.field(
        default_factory=list, description="Why nothing was done; empty on success.")


# --- Contacts ------------------------------------------------------------------------------

@strawberry.type(name="Contact", description="A personal or shared contact.")
class ContactNode:
    row_id: strawberry.Private[int]
    owner_id: strawberry.Private[int | None]
    name: str = strawberry.field(description="The contact's name.")
    phone_number: PhoneNumber | None = strawberry.field(description="E.164; null when the "
                                                        "contact has only an email.")
    email: str = strawberry.field(description="Lower-case; empty when the contact has only a "
                                  "phone number.")

    @strawberry.field(description="The contact's global ID.")
    def id(self) -> strawberry.ID:
        return global_id("Contact", self.row_id)

    @strawberry.field(description="In the account's voice directory, not one person's.")
    def shared(self) -> bool:
        return self.owner_id is None

    @classmethod
    def from_row(cls, row: Contact) -> ContactNode:
        return cls(row_id=row.id, owner_id=row.owner_id, name=row.name,
                   phone_number=row.phone_number, email=row.email)


@strawberry.input(description="A contact to add: a phone number or an email is required.")
class AddContactInput:
    account_id: strawberry.ID = strawberry.field(description="The account, by its global "
                                                 "ID.")
    shared: bool = strawberry.field(default=False, description="In the account's voice "
                                    "directory rather than one person's.")
    user_id: strawberry.ID | None = strawberry.field(default=None, description="Whose "
                                                     "personal contact (staff); default: "
                                                     "yours.")
    name: str = strawberry.field(description="The contact's name, at most 200 characters.")
    phone_number: str | None = strawberry.field(default=None, description="Any common format, "
                                                "kept in E.164.")
    email: str | None = strawberry.field(default=None, description="An email address (kept "
                                         "lower-case).")


@strawberry.input(description="A contact's new values: every field is replaced (a field left "
                  "out is cleared).")
class UpdateContactInput:
    id: strawberry.ID = strawberry.field(description="The Contact's id.")
    name: str = strawberry.field(description="The contact's name, at most 200 characters.")
    phone_number: str | None = strawberry.field(default=None, description="Any common format, "
                                                "kept in E.164; null: none.")
    email: str | None = strawberry.field(default=None, description="An email address; null: "
                                         "none.")


@strawberry.input(description="A contact to remove.")
class RemoveContactInput:
    id: strawberry.ID = strawberry.field(description="The Contact's id.")


@strawberry.type(description="The result of a contact mutation.")
class ContactPayload:
    contact: ContactNode | None = strawberry.field(description="The contact as saved, or "
                                                   "removed (as it was); null when errors.")
    errors: list[AccountSettingsError] = strawberry.field(
        default_factory=list, description="Why nothing was done; empty on success.")


def _user_id(raw: Any, where: list[str | int]) -> int | None:
    """The user a contact input names, if it names one."""
    return node_pk(raw, "User", where, e.WRONG_USER) if given(raw) else None


def _contact_data(input: AddContactInput | UpdateContactInput) -> dict[str, Any]:
    return {"name": input.name, "phone_number": input.phone_number, "email": input.email}


@strawberry.type
class DirectoryQuery:
    @field(*MANAGERS, description="The next free extension of a kind, from its range (null "
           "when the range is full); reseller staff and the account's company admin.")
    async def next_free_extension(
        self, info: strawberry.Info, account_id: AccountIdArg,
        kind: Annotated[ExtensionKind, strawberry.argument(
            description="Which range to look in.")],
    ) -> str | None:
        try:
            target = await target_account(info, account_id, ["accountId"])
        except Problem:
            return None
        return await extension_rules.next_free(target.id, kind)

    @field(*READERS, description="The account's IP phones (reseller staff, and the account's "
           "company admin or professional).")
    async def devices(self, info: strawberry.Info,
                      account_id: AccountIdArg) -> list[DeviceNode]:
        try:
            target = await target_account(info, account_id, ["accountId"])
        except Problem:
            return []
        return [DeviceNode.from_row(d) for d in await device_rules.of_account(target.id)]

    @field(*SIGNED_IN, description="Contacts, by name: your own (or a user's, for staff), or "
           "the account's shared ones (voice directory); search by name or number.")
    async def contacts(
        self, info: strawberry.Info, account_id: AccountIdArg,
        shared: Annotated[bool, strawberry.argument(
            description="true: the account's shared contacts (voice directory); false: "
            "personal ones.")] = False,
        user_id: Annotated[strawberry.ID | None, strawberry.argument(
            description="Whose personal contacts: staff must name a user of the account; "
            "others may only name themselves (default).")] = None,
        search: Annotated[str | None, strawberry.argument(
            description="Part of the name (any case), or digits of the phone number.")] = None,
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
    async def assign_user_extension(
        self, info: strawberry.Info,
        input: Annotated[AssignUserExtensionInput, strawberry.argument(
            description="The account, the user and the extension wanted, if any.")],
    ) -> ExtensionPayload:
        target = await target_account(info, input.account_id)
        user = await extension_rules.assign_user_extension(
            target, object_pk(input.user_id, "User"), input.extension,
            by=info.context.principal)
        return ExtensionPayload(extension=user.extension)

    @mutation(*MANAGERS, errors=AccountSettingsError,
              description="Hold an extension for a group or a service: the one asked for if "
              "free and in the kind's range, else the next free one (reseller staff and the "
              "account's company admin).")
    async def reserve_extension(
        self, info: strawberry.Info,
        input: Annotated[ReserveExtensionInput, strawberry.argument(
            description="The account, the kind and the extension wanted, if any.")],
    ) -> ExtensionPayload:
        target = await target_account(info, input.account_id)
        row = await extension_rules.reserve_extension(target, input.kind, input.extension,
                                                      input.label, by=info.context.principal)
        return ExtensionPayload(extension=row.extension)

    @mutation(*MANAGERS, errors=AccountSettingsError,
              description="Free a group's or a service's reserved extension (reseller staff and "
              "the account's company admin).")
    async def release_extension(
        self, info: strawberry.Info,
        input: Annotated[ReleaseExtensionInput, strawberry.argument(
            description="The account and the extension to free.")],
    ) -> ExtensionPayload:
        target = await target_account(info, input.account_id)
        return ExtensionPayload(extension=await extension_rules.release_extension(
            target, input.extension, by=info.context.principal))

    @mutation(*MANAGERS, errors=AccountSettingsError,
              description="Add an IP phone (name, MAC address) to an account (reseller staff, "
              "and the account's company admin unless user management is forbidden).")
    async def add_device(
        self, info: strawberry.Info,
        input: Annotated[AddDeviceInput, strawberry.argument(
            description="The account and the phone's name and MAC address.")],
    ) -> DevicePayload:
        target = await target_account(info, input.account_id)
        row = await device_rules.add_device(target, input.name, input.mac_address,
                                            by=info.context.principal)
        return DevicePayload(device=DeviceNode.from_row(row))

    @mutation(*MANAGERS, errors=AccountSettingsError,
              description="Remove an IP phone from an account (reseller staff, and the "
              "account's company admin unless user management is forbidden).")
    async def remove_device(
        self, info: strawberry.Info,
        input: Annotated[RemoveDeviceInput, strawberry.argument(
            description="The account and the device.")],
    ) -> DevicePayload:
        target = await target_account(info, input.account_id)
        row = await device_rules.remove_device(target, object_pk(input.id, "Device"),
                                               by=info.context.principal)
        return DevicePayload(device=DeviceNode.from_row(row))

    @mutation(*SIGNED_IN, errors=AccountSettingsError,
              description="Add a personal contact, or a shared one to the voice directory, "
              "within the account's limits.")
    async def add_contact(
        self, info: strawberry.Info,
        input: Annotated[AddContactInput, strawberry.argument(
            description="The account, whose contact it is and its details.")],
    ) -> ContactPayload:
        target = await target_account(info, input.account_id)
        row = await contact_rules.add_contact_for(
            info.context.principal, target, shared=input.shared, data=_contact_data(input),
            user_id=None if input.shared else _user_id(input.user_id, ["input", "userId"]))
        return ContactPayload(contact=ContactNode.from_row(row))

    @mutation(*SIGNED_IN, errors=AccountSettingsError,
              description="Replace a contact's name, number and email: your own, a shared one "
              "you may write, or (staff) any of the accounts they see.")
    async def update_contact(
        self, info: strawberry.Info,
        input: Annotated[UpdateContactInput, strawberry.argument(
            description="The contact and its new details.")],
    ) -> ContactPayload:
        row = await contact_rules.update_contact(
            info.context.principal, node_pk(input.id, "Contact", ["input", "id"]),
            _contact_data(input))
        return ContactPayload(contact=ContactNode.from_row(row))

    @mutation(*SIGNED_IN, errors=AccountSettingsError,
              description="Remove a contact: your own, a shared one you may write, or (staff) "
              "any of the accounts they see.")
    async def remove_contact(
        self, info: strawberry.Info,
        input: Annotated[RemoveContactInput, strawberry.argument(
            description="The contact to remove.")],
    ) -> ContactPayload:
        row = await contact_rules.remove_contact(
            info.context.principal, node_pk(input.id, "Contact", ["input", "id"]))
        return ContactPayload(contact=ContactNode.from_row(row))
