"""The Twilio VoIP tables (Tortoise app ``twilio_voip``): the connected Twilio account of a
subscriber account, its virtual numbers and their operators, operators' presence, CRM contacts
with their numbers, calls with their notes, and the webhooks already processed. Docstrings
become table comments: no quote, no semicolon."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from gateway.api import Account, User

MAX_NAME = 120
MAX_NOTE = 2000


class Direction(StrEnum):
    INBOUND = "INBOUND"
    OUTBOUND = "OUTBOUND"


class CallStatus(StrEnum):
    INITIATED = "INITIATED"  # an outgoing call allowed, not dialled yet
    RINGING = "RINGING"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    MISSED = "MISSED"  # incoming, nobody answered
    BUSY = "BUSY"
    NO_ANSWER = "NO_ANSWER"  # outgoing, the other side did not answer
    FAILED = "FAILED"
    CANCELED = "CANCELED"


class PhoneKind(StrEnum):
    MOBILE = "MOBILE"
    WORK = "WORK"
    HOME = "HOME"
    OTHER = "OTHER"


class TwilioAccount(Model):
    """The Twilio account a subscriber account connected: credentials encrypted, settings."""

    id = fields.IntField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "core.Account", related_name=False, on_delete=fields.CASCADE)
    account_id: int
    account_sid = fields.CharField(max_length=34)
    auth_token = fields.TextField()  # Fernet, never returned
    api_key_sid = fields.CharField(max_length=34, default="")
    api_key_secret = fields.TextField(default="")  # Fernet, never returned
    application_sid = fields.CharField(max_length=34, default="")
    friendly_name = fields.CharField(max_length=MAX_NAME, default="")
    trial = fields.BooleanField(default=False)
    active = fields.BooleanField(default=True)  # False: disconnected, webhooks refused
    # Settings common to every number.
    ring_seconds = fields.IntField(default=20)
    voicemail = fields.BooleanField(default=False)
    greeting = fields.CharField(max_length=500, default="")
    connected_at = fields.DatetimeField(auto_now_add=True)
    disconnected_at = fields.DatetimeField(null=True)

    class Meta:
        table = "twilio_voip_account"
        unique_together = (("account_id",),)
        indexes = [Index(fields=("account_sid",))]


class VoipNumber(Model):
    """A virtual number of the Twilio account used through the gateway."""

    id = fields.IntField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "core.Account", related_name=False, on_delete=fields.CASCADE)
    account_id: int
    sid = fields.CharField(max_length=34)
    phone_number = fields.CharField(max_length=20, unique=True)
    friendly_name = fields.CharField(max_length=MAX_NAME, default="")
    bought = fields.BooleanField(default=False)  # bought here (else linked)
    # A linked number's webhooks before the gateway pointed them at itself (voice_url,
    # voice_method, status_callback, status_callback_method): unlinking puts them back.
    # None: bought here, or linked before this was recorded (unlinking clears them).
    previous_webhooks: fields.JSONField[dict[str, str] | None] = fields.JSONField(null=True)
    outgoing_calls = fields.BooleanField(default=False)
    recording = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "twilio_voip_number"
        indexes = [Index(fields=("account_id", "id"))]


class NumberOperator(Model):
    """A user of the account who may use a number, with the own switches."""

    id = fields.IntField(primary_key=True)
    number: fields.ForeignKeyRelation[VoipNumber] = fields.ForeignKeyField(
        "twilio_voip.VoipNumber", related_name=False, on_delete=fields.CASCADE)
    number_id: int
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "core.User", related_name=False, on_delete=fields.CASCADE)
    user_id: int
    account_id = fields.IntField()
    outgoing_calls = fields.BooleanField(default=True)
    recording = fields.BooleanField(default=True)

    class Meta:
        table = "twilio_voip_operator"
        unique_together = (("number_id", "user_id"),)
        indexes = [Index(fields=("user_id",)), Index(fields=("account_id",))]


class Presence(Model):
    """An operator online in the browser since a time (the session of missed calls)."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "core.User", related_name=False, on_delete=fields.CASCADE)
    user_id: int
    account_id = fields.IntField()
    online = fields.BooleanField(default=False)
    since = fields.DatetimeField(null=True)

    class Meta:
        table = "twilio_voip_presence"
        unique_together = (("user_id",),)
        indexes = [Index(fields=("account_id", "online"))]


class VoipContact(Model):
    """A CRM contact: a name and numbers, created by hand or by a call from an unknown number."""

    id = fields.IntField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "core.Account", related_name=False, on_delete=fields.CASCADE)
    account_id: int
    name = fields.CharField(max_length=MAX_NAME)
    created_by_call = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "twilio_voip_contact"
        indexes = [Index(fields=("account_id", "name"))]


class ContactPhone(Model):
    """One number of a contact (mobile, work, home), unique in the account."""

    id = fields.IntField(primary_key=True)
    contact: fields.ForeignKeyRelation[VoipContact] = fields.ForeignKeyField(
        "twilio_voip.VoipContact", related_name=False, on_delete=fields.CASCADE)
    contact_id: int
    account_id = fields.IntField()
    kind = fields.CharEnumField(PhoneKind, max_length=10, default=PhoneKind.MOBILE)
    number = fields.CharField(max_length=20)

    class Meta:
        table = "twilio_voip_contact_phone"
        unique_together = (("account_id", "number"),)
        indexes = [Index(fields=("contact_id",))]


class VoipCall(Model):
    """A call through a virtual number: the call log and the contact history."""

    id = fields.IntField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "core.Account", related_name=False, on_delete=fields.CASCADE)
    account_id: int
    number: fields.ForeignKeyNullableRelation[VoipNumber] = fields.ForeignKeyField(
        "twilio_voip.VoipNumber", related_name=False, null=True, on_delete=fields.SET_NULL)
    number_id: int | None
    call_sid = fields.CharField(max_length=34, null=True, unique=True)
    direction = fields.CharEnumField(Direction, max_length=10)
    status = fields.CharEnumField(CallStatus, max_length=12)
    our_number = fields.CharField(max_length=20)
    other_number = fields.CharField(max_length=20)
    contact: fields.ForeignKeyNullableRelation[VoipContact] = fields.ForeignKeyField(
        "twilio_voip.VoipContact", related_name=False, null=True, on_delete=fields.SET_NULL)
    contact_id: int | None
    operator: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "core.User", related_name=False, null=True, on_delete=fields.SET_NULL)
    operator_id: int | None
    record = fields.BooleanField(default=False)
    started_at = fields.DatetimeField()
    answered_at = fields.DatetimeField(null=True)
    ended_at = fields.DatetimeField(null=True)
    duration = fields.IntField(null=True)  # seconds
    price = fields.DecimalField(max_digits=12, decimal_places=4, null=True)
    currency = fields.CharField(max_length=3, default="")
    priced_at = fields.DatetimeField(null=True)
    voicemail = fields.BooleanField(default=False)
    recording_sid = fields.CharField(max_length=34, null=True)
    recording_file = fields.CharField(max_length=300, default="")
    recording_duration = fields.IntField(null=True)
    outgoing_token = fields.CharField(max_length=64, null=True, unique=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "twilio_voip_call"
        indexes = [Index(fields=("account_id", "started_at")),
                   Index(fields=("contact_id", "started_at")),
                   Index(fields=("number_id",)), Index(fields=("operator_id",))]


class CallNote(Model):
    """A note written about a call."""

    id = fields.IntField(primary_key=True)
    call: fields.ForeignKeyRelation[VoipCall] = fields.ForeignKeyField(
        "twilio_voip.VoipCall", related_name=False, on_delete=fields.CASCADE)
    call_id: int
    account_id = fields.IntField()
    author: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "core.User", related_name=False, null=True, on_delete=fields.SET_NULL)
    author_id: int | None
    text = fields.CharField(max_length=MAX_NOTE)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "twilio_voip_call_note"
        indexes = [Index(fields=("call_id", "id"))]


class ProcessedWebhook(Model):
    """A webhook already processed (its key: kind, CallSid and state): a replay is refused."""

    id = fields.IntField(primary_key=True)
    key = fields.CharField(max_length=120, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "twilio_voip_webhook"
