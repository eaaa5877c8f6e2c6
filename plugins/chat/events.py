"""Live chat events on the host's pub/sub (``gateway.api.publish_event``): in this process on
the embedded default, through Redis to every ``gateway serve`` process in scale-out.

Two kinds of channel, both keyed by the tenant's own ids so a subscriber only ever listens to
what it was allowed to when it subscribed:

- ``chat:conversation:<id>``: the conversation's new messages (and the notes of it being
  taken, transferred, closed), typing notices and read receipts;
- ``chat:queue:<reseller id>``: the reseller's queue changing (a conversation waiting, taken,
  transferred, closed), for its staff on duty.

Messages are JSON objects; publishing never raises (the change is committed already) and
happens after the commit, so a subscriber that reads the database after subscribing misses
nothing (see ``conversation_schema``). Delivery itself is at most once: a client that drops
catches up with ``chatMessages(after:)`` or by resubscribing with ``after``.
"""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Any

from gateway.api import current_pubsub, publish_event

from .conversation_models import MessageKind, Side

MESSAGE = "MESSAGE"
TYPING = "TYPING"
READ = "READ"

MESSAGE_COLUMNS = ("id", "conversation_id", "kind", "sender_id", "side", "sender_name", "body",
                   "created_at")


def conversation_channel(conversation_id: int) -> str:
    return f"chat:conversation:{conversation_id}"


def queue_channel(reseller_id: int) -> str:
    return f"chat:queue:{reseller_id}"


def _json(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def encode_row(row: dict[str, Any]) -> dict[str, Any]:
    return {name: _json(value) for name, value in row.items()}


def decode_message(data: dict[str, Any]) -> dict[str, Any]:
    """A message row as ``encode_row`` sent it (times back to datetimes)."""
    row = dict(data)
    row["created_at"] = dt.datetime.fromisoformat(row["created_at"])
    row["kind"] = MessageKind(row["kind"])
    row["side"] = Side(row["side"])
    return row


async def _publish(channel: str, message: dict[str, Any]) -> None:
    bus = current_pubsub()
    if bus is None:
        return
    if bus.url.startswith("memory://") and not bus.subscriber_count(channel):
        return  # nobody in this process, the only one an in-process pub/sub reaches
    await publish_event(channel, message)


async def message_posted(row: dict[str, Any], status: str | None = None) -> None:
    """A message (or a note) was committed; ``status`` is the conversation's after it."""
    await _publish(conversation_channel(row["conversation_id"]),
                   {"type": MESSAGE, "message": encode_row(row), "status": status})


async def typing(conversation_id: int, user_id: int, name: str, side: str) -> None:
    await _publish(conversation_channel(conversation_id), {
        "type": TYPING, "typing": {
            "conversation_id": conversation_id, "user_id": user_id, "name": name, "side": side,
            "at": dt.datetime.now(dt.UTC).isoformat()}})


async def read(conversation_id: int, user_id: int, message_id: int, at: dt.datetime) -> None:
    await _publish(conversation_channel(conversation_id), {
        "type": READ, "read": {"conversation_id": conversation_id, "user_id": user_id,
                               "last_read_message_id": message_id, "read_at": at.isoformat()}})


async def queue_changed(reseller_id: int, kind: str, conversation_id: int) -> None:
    """The reseller's queue changed: ``kind`` is WAITING, TAKEN, TRANSFERRED or CLOSED."""
    await _publish(queue_channel(reseller_id),
                   {"type": kind, "conversation_id": conversation_id})
