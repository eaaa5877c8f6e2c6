"""Live conversations' tables (Tortoise app ``chat``): conversations, their messages, read
receipts and the reseller staff on duty. Docstrings become table comments: no quote, no
semicolon. A change here needs a hand-written migration in ``migrations/``."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from gateway.api import Account, Reseller, User

MAX_BODY = 4000  # the column's size; the enforced message limit may only be lower


class ConversationStatus(StrEnum):
    WAITING = "WAITING"  # in the reseller's queue, nobody took it yet
    ACTIVE = "ACTIVE"  # a staff member on duty took it
    CLOSED = "CLOSED"


class MessageKind(StrEnum):
    TEXT = "TEXT"  # written by a person
    TAKEN = "TAKEN"  # a staff member took the conversation
    TRANSFERRED = "TRANSFERRED"  # handed to a colleague
    CLOSED = "CLOSED"  # the conversation ended


class Side(StrEnum):
    SUBSCRIBER = "SUBSCRIBER"
    STAFF = "STAFF"


class Conversation(Model):
    """A subscriber user conversation with its reseller support."""

    id = fields.IntField(primary_key=True)
    reseller: fields.ForeignKeyRelation[Reseller] = fields.ForeignKeyField(
        "core.Reseller", related_name=False, on_delete=fields.CASCADE)
    reseller_id: int
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "core.Account", related_name=False, on_delete=fields.CASCADE)
    account_id: int
    opened_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "core.User", related_name=False, null=True, on_delete=fields.SET_NULL)
    opened_by_id: int | None
    opened_by_name = fields.CharField(max_length=201, default="")
    language = fields.CharField(max_length=2)
    status = fields.CharEnumField(ConversationStatus, max_length=16,
                                  default=ConversationStatus.WAITING)
    # Opened while the service was closed: the support address was emailed.
    outside_hours = fields.BooleanField(default=False)
    assigned_to: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "core.User", related_name=False, null=True, on_delete=fields.SET_NULL)
    assigned_to_id: int | None
    assigned_to_name = fields.CharField(max_length=201, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    taken_at = fields.DatetimeField(null=True)
    closed_at = fields.DatetimeField(null=True)
    last_message_at = fields.DatetimeField(null=True)

    class Meta:
        table = "chat_conversation"
        indexes = [
            Index(fields=("reseller_id", "status", "id")),
            Index(fields=("account_id", "status")),
            Index(fields=("opened_by_id", "id")),
            Index(fields=("assigned_to_id", "status")),
        ]


class Message(Model):
    """One message of a conversation or a note of what happened to it."""

    id = fields.BigIntField(primary_key=True)
    conversation: fields.ForeignKeyRelation[Conversation] = fields.ForeignKeyField(
        "chat.Conversation", related_name=False, on_delete=fields.CASCADE)
    conversation_id: int
    kind = fields.CharEnumField(MessageKind, max_length=16, default=MessageKind.TEXT)
    sender: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "core.User", related_name=False, null=True, on_delete=fields.SET_NULL)
    sender_id: int | None
    side = fields.CharEnumField(Side, max_length=16)
    # Kept when the user is deleted: the transcript still says who wrote.
    sender_name = fields.CharField(max_length=201, default="")
    body = fields.TextField(default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "chat_message"
        indexes = [Index(fields=("conversation_id", "id")),
                   Index(fields=("sender_id", "created_at"))]


class ReadReceipt(Model):
    """How far a person has read a conversation."""

    id = fields.IntField(primary_key=True)
    conversation: fields.ForeignKeyRelation[Conversation] = fields.ForeignKeyField(
        "chat.Conversation", related_name=False, on_delete=fields.CASCADE)
    conversation_id: int
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "core.User", related_name=False, on_delete=fields.CASCADE)
    user_id: int
    last_read_message_id = fields.BigIntField()
    read_at = fields.DatetimeField()

    class Meta:
        table = "chat_read_receipt"
        unique_together = (("conversation", "user"),)


class AgentDuty(Model):
    """A reseller staff member on duty for the chat, in the languages served."""

    id = fields.IntField(primary_key=True)
    reseller: fields.ForeignKeyRelation[Reseller] = fields.ForeignKeyField(
        "core.Reseller", related_name=False, on_delete=fields.CASCADE)
    reseller_id: int
    user: fields.OneToOneRelation[User] = fields.OneToOneField(
        "core.User", related_name=False, on_delete=fields.CASCADE)
    user_id: int
    languages: fields.JSONField[list[str]] = fields.JSONField(default=list)
    since = fields.DatetimeField()

    class Meta:
        table = "chat_agent_duty"
        indexes = [Index(fields=("reseller_id",))]
