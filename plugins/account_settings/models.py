"""Tables of the account settings plugin (Tortoise app ``account_settings``).

Test mode is not here: it lives in the clients plugin (clients.AccountSettings.test_mode) and
is read and written through plugins.clients.services only. Docstrings here become table
comments: no quote, no semicolon.
"""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from gateway.api import Account, Reseller, User


class NumberType(StrEnum):
    """How a number is dialled from the reseller's country (computed when it enters the pool)."""

    LOCAL = "LOCAL"
    TOLL_FREE = "TOLL_FREE"
    INTERNATIONAL = "INTERNATIONAL"


class ExtensionKind(StrEnum):
    USER = "USER"
    GROUP = "GROUP"
    SERVICE = "SERVICE"


class AccountOptions(Model):
    """The sections of the Options page of an account, with the seed defaults."""

    id = fields.IntField(primary_key=True)
    account: fields.OneToOneRelation[Account] = fields.OneToOneField(
        "core.Account", related_name=False, on_delete=fields.CASCADE)
    account_id: int
    # Custom interfaces (company): empty = the system default.
    portal_url = fields.CharField(max_length=500, default="")
    voice_assistant_url = fields.CharField(max_length=500, default="")
    voice_receptionist_url = fields.CharField(max_length=500, default="")
    voice_alerts_url = fields.CharField(max_length=500, default="")
    logout_url = fields.CharField(max_length=500, default="")
    # Extensions (company): they apply to new extensions only.
    extension_length = fields.IntField(default=3)
    user_extensions_first = fields.IntField(default=100)
    user_extensions_last = fields.IntField(default=299)
    group_extensions_first = fields.IntField(default=500)
    group_extensions_last = fields.IntField(default=599)
    service_extensions_first = fields.IntField(default=700)
    service_extensions_last = fields.IntField(default=799)
    shared_contacts_limit = fields.IntField(default=500)
    forbid_user_management = fields.BooleanField(default=False)
    # The security code, the password of the provisioning FTP site, Fernet-encrypted.
    security_code = fields.CharField(max_length=255, default="")
    # Professional limits.
    contacts_limit = fields.IntField(default=500)
    directory_contacts_limit = fields.IntField(default=500)
    downloaded_messages_limit = fields.IntField(default=50)
    voicemails_on_disk = fields.IntField(default=25)
    faxes_on_disk = fields.IntField(default=25)
    # The assistant call options (professional).
    assistant_stays_on_outgoing = fields.BooleanField(default=False)
    assistant_stays_on_incoming = fields.BooleanField(default=False)
    always_refresh_contacts = fields.BooleanField(default=False)
    # Null: the system default method.
    transcription_method = fields.CharField(max_length=64, null=True)
    transcription_email = fields.CharField(max_length=254, default="")
    admin_managed = fields.BooleanField(default=False)
    sip_username = fields.CharField(max_length=100, default="")
    sip_secret = fields.TextField(default="")  # Fernet-encrypted, never shown back
    caller_id_name = fields.CharField(max_length=50, default="")
    caller_id_number = fields.CharField(max_length=20, null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "account_settings_options"


class ExtensionReservation(Model):
    """An extension held by a group or a service of an account (user extensions are on the user)."""

    id = fields.IntField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "core.Account", related_name=False, on_delete=fields.CASCADE)
    account_id: int
    extension = fields.CharField(max_length=10)
    kind = fields.CharEnumField(ExtensionKind, max_length=16)
    label = fields.CharField(max_length=100, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "account_settings_extension"
        unique_together = (("account", "extension"),)


class PhoneNumber(Model):
    """A phone number (DID) of a reseller pool, free or assigned to one of its accounts.

    A number is in one pool on the whole platform: two resellers cannot both hand it out."""

    id = fields.IntField(primary_key=True)
    reseller: fields.ForeignKeyRelation[Reseller] = fields.ForeignKeyField(
        "core.Reseller", related_name=False, on_delete=fields.CASCADE)
    reseller_id: int
    number = fields.CharField(max_length=20, unique=True)  # E.164
    account: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "core.Account", related_name=False, null=True, on_delete=fields.SET_NULL)
    account_id: int | None
    # The account's user the number rings; null: the account as a whole.
    user: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "core.User", related_name=False, null=True, on_delete=fields.SET_NULL)
    user_id: int | None
    number_type = fields.CharEnumField(NumberType, max_length=16, default=NumberType.LOCAL)
    # The NANP area code or the national destination code; empty when the number has none.
    area_code = fields.CharField(max_length=8, default="")
    fax_reception = fields.BooleanField(default=False)
    sms = fields.BooleanField(default=False)
    emergency_911 = fields.BooleanField(default=False)
    assigned_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "account_settings_phone_number"
        indexes = [Index(fields=("account_id",)), Index(fields=("reseller_id", "number")),
                   Index(fields=("reseller_id", "number_type", "area_code", "account_id"))]


class Device(Model):
    """An IP phone of an account, known by its MAC address, unique within the reseller.

    The reseller is the account's, kept here so that the database holds the uniqueness: a MAC
    address registered by another reseller's account never blocks nor reveals anything."""

    id = fields.IntField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "core.Account", related_name=False, on_delete=fields.CASCADE)
    account_id: int
    reseller: fields.ForeignKeyRelation[Reseller] = fields.ForeignKeyField(
        "core.Reseller", related_name=False, on_delete=fields.CASCADE)
    reseller_id: int
    name = fields.CharField(max_length=100)
    mac_address = fields.CharField(max_length=12)  # 12 upper-case hex digits
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "account_settings_device"
        unique_together = (("reseller", "mac_address"),)
        indexes = [Index(fields=("account_id",))]


class Contact(Model):
    """A contact of a user (personal) or of the account (shared, in the voice directory)."""

    id = fields.IntField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "core.Account", related_name=False, on_delete=fields.CASCADE)
    account_id: int
    owner: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "core.User", related_name=False, null=True, on_delete=fields.CASCADE)  # null: shared
    owner_id: int | None
    name = fields.CharField(max_length=200)
    phone_number = fields.CharField(max_length=20, null=True)  # E.164
    email = fields.CharField(max_length=254, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "account_settings_contact"
        indexes = [Index(fields=("account_id", "owner_id")),
                   Index(fields=("account_id", "phone_number"))]


class MailboxKind(StrEnum):
    VOICEMAIL = "VOICEMAIL"
    FAX = "FAX"


class MailboxMessage(Model):
    """A voicemail or a fax kept on disk for a user, within the limits of the account options.

    The file lives under the mailbox folder of the var directory, named by storage_key. Beyond
    the limit the oldest are removed as new ones arrive (seed: Messages vocaux sur disque)."""

    id = fields.IntField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "core.Account", related_name=False, on_delete=fields.CASCADE)
    account_id: int
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "core.User", related_name=False, on_delete=fields.CASCADE)
    user_id: int
    kind = fields.CharEnumField(MailboxKind, max_length=16)
    received_at = fields.DatetimeField()
    caller_number = fields.CharField(max_length=32, default="")
    caller_name = fields.CharField(max_length=100, default="")
    duration_seconds = fields.IntField(null=True)  # voicemails
    pages = fields.IntField(null=True)  # faxes
    content_type = fields.CharField(max_length=100)
    size = fields.IntField()
    storage_key = fields.CharField(max_length=80, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "account_settings_mailbox_message"
        indexes = [Index(fields=("user_id", "kind", "received_at"))]
