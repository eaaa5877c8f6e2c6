"""Tables of the clients plugin (Tortoise app ``clients``).

The account itself, its users and its billing status live in the core app (``core.Account``,
``core.User``); these tables hold what the sign-up wizard, the billing-status changes, the
messages and the exports add. Docstrings here become table comments: no quote, no semicolon.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from gateway.api import Account, AccountKind, BillingStatus, Reseller, User


class SignupStatus(StrEnum):
    OPEN = "OPEN"  # being filled in by the reseller
    SENT = "SENT"  # a link went to the client, who may finish it
    COMPLETED = "COMPLETED"  # the account exists


class PaymentMethod(StrEnum):
    CREDIT_CARD = "CREDIT_CARD"
    MONTHLY_INVOICE = "MONTHLY_INVOICE"


class MessageKind(StrEnum):
    ACCESS_CODES = "ACCESS_CODES"
    CUSTOM = "CUSTOM"


class MessageStatus(StrEnum):
    SENT = "SENT"  # queued for delivery in the outbox
    SUPPRESSED = "SUPPRESSED"  # the account is in test mode: no email leaves


class ExportFormat(StrEnum):
    CSV = "CSV"
    PDF = "PDF"


class ExportStatus(StrEnum):
    PENDING = "PENDING"
    READY = "READY"
    FAILED = "FAILED"


class SignupDraft(Model):
    """A sign-up in progress, saved step by step by the reseller or by the client via a link."""

    id = fields.IntField(primary_key=True)
    reseller: fields.ForeignKeyRelation[Reseller] = fields.ForeignKeyField(
        "core.Reseller", related_name=False, on_delete=fields.CASCADE
    )
    reseller_id: int
    kind = fields.CharEnumField(AccountKind, max_length=16)
    status = fields.CharEnumField(SignupStatus, max_length=16, default=SignupStatus.OPEN)
    # One key per wizard step (customer, subscription, numbers, billing, administrator,
    # activation), each holding that step as last saved.
    data: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    # The current client link: rotated when the link is sent again, cleared on completion.
    link_nonce = fields.CharField(max_length=32, null=True)
    sent_to = fields.CharField(max_length=254, null=True)
    sent_at = fields.DatetimeField(null=True)
    account: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "core.Account", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    account_id: int | None
    created_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "core.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    created_by_id: int | None
    completed_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "clients_signup_draft"
        indexes = [Index(fields=("reseller_id", "status", "created_at")),
                   Index(fields=("account_id",))]


class AccountProfile(Model):
    """What the sign-up wizard knows of a subscriber beyond the core account row."""

    id = fields.IntField(primary_key=True)
    account: fields.OneToOneRelation[Account] = fields.OneToOneField(
        "core.Account", related_name=False, on_delete=fields.CASCADE
    )
    account_id: int
    address = fields.CharField(max_length=200, default="")
    city = fields.CharField(max_length=100, default="")
    state = fields.CharField(max_length=100, default="")
    postal_code = fields.CharField(max_length=20, default="")
    # Languages of the virtual receptionist.
    voice_languages: fields.JSONField[list[Any]] = fields.JSONField(default=list)
    # Restored by a reactivation: the status the account had when it was unsubscribed.
    status_before_unsubscribe = fields.CharEnumField(BillingStatus, max_length=20, null=True)
    # Set when the purge could only scrub the account: the append-only audit log still points
    # at its rows, so they stay, emptied of personal data, and leave every list.
    purged_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "clients_account_profile"


class AccountSettings(Model):
    """Account settings (Options). Issue 5 adds the other sections, test mode is read here."""

    id = fields.IntField(primary_key=True)
    account: fields.OneToOneRelation[Account] = fields.OneToOneField(
        "core.Account", related_name=False, on_delete=fields.CASCADE
    )
    account_id: int
    # Compte en mode test: blocks outgoing calls and emails, not billing.
    test_mode = fields.BooleanField(default=False)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "clients_account_settings"


class BillingProfile(Model):
    """How a subscriber pays. Never a card number, only the payment processor token."""

    id = fields.IntField(primary_key=True)
    account: fields.OneToOneRelation[Account] = fields.OneToOneField(
        "core.Account", related_name=False, on_delete=fields.CASCADE
    )
    account_id: int
    payment_method = fields.CharEnumField(PaymentMethod, max_length=20)
    card_token = fields.CharField(max_length=200, null=True)
    card_brand = fields.CharField(max_length=30, null=True)
    card_last4 = fields.CharField(max_length=4, null=True)
    card_expiry = fields.CharField(max_length=7, null=True)  # MM/YYYY
    invoice_contact = fields.CharField(max_length=200, default="")
    invoice_email = fields.CharField(max_length=254, default="")
    terms_accepted_at = fields.DatetimeField(null=True)
    terms_accepted_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "core.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    terms_accepted_by_id: int | None
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "clients_billing_profile"


class BillingStatusChange(Model):
    """One change of billing status, who made it and with what."""

    id = fields.IntField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "core.Account", related_name=False, on_delete=fields.CASCADE
    )
    account_id: int
    from_status = fields.CharEnumField(BillingStatus, max_length=20, null=True)
    to_status = fields.CharEnumField(BillingStatus, max_length=20)
    trial_days = fields.IntField(null=True)
    terms_accepted = fields.BooleanField(default=False)
    changed_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "core.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    changed_by_id: int | None
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "clients_billing_status_change"
        indexes = [Index(fields=("account_id", "created_at"))]


class AccountMessage(Model):
    """An email sent to a subscriber from the Clients page (Envoi Msg), or suppressed."""

    id = fields.IntField(primary_key=True)
    reseller: fields.ForeignKeyRelation[Reseller] = fields.ForeignKeyField(
        "core.Reseller", related_name=False, on_delete=fields.CASCADE
    )
    reseller_id: int
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "core.Account", related_name=False, on_delete=fields.CASCADE
    )
    account_id: int
    sender: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "core.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    sender_id: int | None
    kind = fields.CharEnumField(MessageKind, max_length=16)
    status = fields.CharEnumField(MessageStatus, max_length=16)
    to_address = fields.CharField(max_length=254)
    cc: fields.JSONField[list[Any]] = fields.JSONField(default=list)
    bcc: fields.JSONField[list[Any]] = fields.JSONField(default=list)
    subject = fields.CharField(max_length=200)
    body = fields.TextField(default="")  # the custom text only, never a link
    outbox_job_id = fields.BigIntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "clients_account_message"
        indexes = [Index(fields=("account_id", "created_at"))]


class AccountExport(Model):
    """A list export asked for from the Clients page, downloaded behind a signed URL."""

    id = fields.IntField(primary_key=True)
    # Null for a system admin export across resellers.
    reseller: fields.ForeignKeyNullableRelation[Reseller] = fields.ForeignKeyField(
        "core.Reseller", related_name=False, null=True, on_delete=fields.CASCADE
    )
    reseller_id: int | None
    requested_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "core.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    requested_by_id: int | None
    kind = fields.CharEnumField(AccountKind, max_length=16)
    format = fields.CharEnumField(ExportFormat, max_length=8)
    language = fields.CharField(max_length=2, default="fr")
    # The ids, filter and order, as asked.
    request: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    status = fields.CharEnumField(ExportStatus, max_length=16, default=ExportStatus.PENDING)
    row_count = fields.IntField(null=True)
    file_size = fields.IntField(null=True)
    outbox_job_id = fields.BigIntField(null=True)
    error = fields.TextField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    ready_at = fields.DatetimeField(null=True)

    class Meta:
        table = "clients_account_export"
        indexes = [Index(fields=("reseller_id", "created_at")), Index(fields=("created_at",))]


class AccountCount(Model):
    """How many accounts a reseller has of one kind and billing status (the lists totals).
    Kept exact by database triggers on core_account in the same transaction as every insert,
    delete and change of reseller, kind or status, whatever path writes."""

    id = fields.IntField(primary_key=True)
    reseller_id = fields.IntField()
    kind = fields.CharField(max_length=16)
    billing_status = fields.CharField(max_length=20)
    n = fields.IntField(default=0)

    class Meta:
        table = "clients_account_count"
        unique_together = (("reseller_id", "kind", "billing_status"),)
