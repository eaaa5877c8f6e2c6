"""Tables of the transcription plugin (Tortoise app ``transcription``). Docstrings here become
table comments: no quote, no semicolon."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from gateway.api import Account, User

if TYPE_CHECKING:
    from plugins.account_settings.api import MailboxMessage


class TranscriptStatus(StrEnum):
    PENDING = "PENDING"  # a job is transcribing it (or will try again)
    DONE = "DONE"  # text stored
    FORWARDED = "FORWARDED"  # a send-only provider (MyScribbit) answers the user itself
    UNTRANSCRIBED = "UNTRANSCRIBED"  # refused for good (language, format): the reason says why
    FAILED = "FAILED"  # every attempt failed (outage): the reason says the last error


class VoicemailTranscript(Model):
    """The transcript of one voicemail of the mailbox, by the provider last asked."""

    id = fields.IntField(primary_key=True)
    # The account settings plugin's mailbox message: the transcript goes with it.
    message: fields.OneToOneRelation[MailboxMessage] = fields.OneToOneField(
        "account_settings.MailboxMessage", related_name=False, on_delete=fields.CASCADE)
    message_id: int
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "core.Account", related_name=False, on_delete=fields.CASCADE)
    account_id: int
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "core.User", related_name=False, on_delete=fields.CASCADE)
    user_id: int
    status = fields.CharEnumField(TranscriptStatus, max_length=16)
    provider = fields.CharField(max_length=64)
    language = fields.CharField(max_length=8)
    text = fields.TextField(default="")
    confidence = fields.FloatField(null=True)  # 0 to 1, when the engine gives one
    reason_code = fields.CharField(max_length=64, default="")
    reason_en = fields.TextField(default="")
    reason_fr = fields.TextField(default="")
    attempts = fields.IntField(default=0)
    # Whether the user's email copy of the voicemail was sent (once, with the first outcome).
    copy_sent = fields.BooleanField(default=False)
    # Names the latest request: a job of an earlier one (asked again since) does nothing.
    request_key = fields.CharField(max_length=32)
    requested_at = fields.DatetimeField()
    completed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "transcription_voicemail"
        indexes = [Index(fields=("account_id", "user_id", "requested_at"))]


class ApprovedProvider(Model):
    """A transcription provider the system admin offers to users (a row named NONE records
    that a decision was made, even approving none)."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=64, unique=True)
    approved_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "core.User", related_name=False, null=True, on_delete=fields.SET_NULL)
    approved_by_id: int | None
    approved_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "transcription_approved_provider"
