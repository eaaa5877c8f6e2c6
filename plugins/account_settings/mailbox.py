"""Voicemails and faxes kept on disk for each user, within the account's limits (seed: "Limites du
compte d'utilisateur": 25 of each by default; beyond the limit the system removes the oldest
automatically to make room for the new ones).

The telephony platform hands each message over (``POST /mailbox/messages``, see
``mailbox_routes``); ``store`` writes the file, records it and removes the oldest beyond the
limit in one transaction that holds the account's settings row, so two messages arriving at
once cannot leave more than the limit. Lowering a limit trims the mailboxes the same way.
Files of removed rows are deleted once the transaction has committed: a crash in between leaves
an orphan file, never a row without its file.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from gateway.api import (
    MAX_ATTACHMENTS_BYTES,
    STAFF,
    Account,
    PluginHost,
    Principal,
    Problem,
    Text,
    User,
    accounts_visible,
    matches_media_type,
    send_email,
)
from plugins.account_settings import errors as e
from plugins.account_settings.config import config_of
from plugins.account_settings.errors import AccountSettingsErrorCode as Code
from plugins.account_settings.models import AccountOptions, MailboxKind, MailboxMessage
from plugins.account_settings.options import get_options, locked_options
from plugins.clients import api as clients

log = logging.getLogger("gateway.account_settings.mailbox")

# What each kind of message may be, and the file suffix it is kept under.
MEDIA_TYPES: dict[MailboxKind, dict[str, str]] = {
    MailboxKind.VOICEMAIL: {"audio/wav": ".wav", "audio/x-wav": ".wav", "audio/wave": ".wav",
                            "audio/mpeg": ".mp3", "audio/ogg": ".ogg"},
    MailboxKind.FAX: {"application/pdf": ".pdf", "image/tiff": ".tif"},
}
LIMIT_COLUMN = {MailboxKind.VOICEMAIL: "voicemails_on_disk", MailboxKind.FAX: "faxes_on_disk"}


@dataclass(frozen=True)
class Stored:
    message: MailboxMessage
    removed: int  # how many older messages made room for it


def limit_of(options: AccountOptions, kind: MailboxKind) -> int:
    return int(getattr(options, LIMIT_COLUMN[kind]))


def root(host: PluginHost) -> Path:
    return config_of(host).mailbox_path(host).resolve()


def file_of(host: PluginHost, message: MailboxMessage | dict[str, Any]) -> Path:
    key = message["storage_key"] if isinstance(message, dict) else message.storage_key
    return root(host) / key[:2] / key


async def store(host: PluginHost, *, account_id: int, user_id: int, kind: MailboxKind,
                content: bytes, content_type: str, received_at: dt.datetime | None = None,
                caller_number: str = "", caller_name: str = "",
                duration_seconds: int | None = None, pages: int | None = None) -> Stored:
    """Keep one message for a user of the account; the oldest beyond the limit go."""
    suffix = MEDIA_TYPES[kind].get(content_type)
    if suffix is None:
        raise Problem(Code.INVALID, e.MAILBOX_MEDIA, ["contentType"],
                      accepted=", ".join(sorted(MEDIA_TYPES[kind])))
    if not content:
        raise Problem(Code.REQUIRED, e.REQUIRED, ["body"])
    if not matches_media_type(content, content_type):  # a "voicemail" that is a web page...
        raise Problem(Code.INVALID, e.MAILBOX_CONTENT, ["body"], type=content_type)
    if not await User.filter(id=user_id, account_id=account_id).exists():
        raise Problem(Code.NOT_FOUND, e.WRONG_USER, ["user"])
    key = uuid.uuid4().hex + suffix
    path = file_of(host, {"storage_key": key})
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    partial.write_bytes(content)
    os.replace(partial, path)  # never a half-written file under its real name
    try:
        async with in_transaction():
            options = await locked_options(account_id)
            message = await MailboxMessage.create(
                account_id=account_id, user_id=user_id, kind=kind,
                received_at=received_at or dt.datetime.now(dt.UTC),
                caller_number=caller_number[:32], caller_name=caller_name[:100],
                duration_seconds=duration_seconds, pages=pages, content_type=content_type,
                size=len(content), storage_key=key)
            removed = await _trim(user_id, kind, limit_of(options, kind))
            taken_over = kind == MailboxKind.VOICEMAIL and any(await host.call_async(
                "gateway_voicemail_received", message_id=message.id, account_id=account_id,
                user_id=user_id))  # e.g. transcription: the copy then carries the transcript
            if not taken_over:
                await _email_copy(host, message, content, limit_of(options, kind))
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    _unlink(host, removed)
    return Stored(message=message, removed=len(removed))


_HEADLINE = {MailboxKind.VOICEMAIL: Text(en="New voicemail", fr="Nouveau message vocal"),
             MailboxKind.FAX: Text(en="New fax", fr="Nouvelle télécopie")}
_ATTACHED = Text(en="The file is attached to this email.",
                 fr="Le fichier est joint à ce courriel.")
_TOO_BIG = Text(en="The file is too large to be attached: open it in your portal.",
                fr="Le fichier est trop volumineux pour être joint : ouvrez-le dans votre "
                "portail.")
_UNKNOWN_CALLER = Text(en="an unknown caller", fr="un appelant inconnu")


async def send_voicemail_copy(host: PluginHost, message_id: int, transcript: str) -> bool:
    """The user's email copy of a voicemail whose copy a plugin took over (see the hook
    ``gateway_voicemail_received``), with ``transcript`` (a paragraph in the user's language:
    the text, or why there is none). False when the message is no longer kept."""
    message = await MailboxMessage.filter(id=message_id).first()
    if message is None:
        return False
    options = await get_options(message.account_id)
    try:
        content = file_of(host, message).read_bytes()
    except OSError:
        return False
    await _email_copy(host, message, content, limit_of(options, MailboxKind(message.kind)),
                      transcript=transcript)
    return True


async def _email_copy(host: PluginHost, message: MailboxMessage, content: bytes,
                      limit: int, transcript: str = "") -> None:
    """Seed: the user always gets a copy by email; not in test mode (no outgoing email)."""
    user = await User.get(id=message.user_id)
    account = await Account.get(id=message.account_id)
    if not user.email or await clients.is_test_mode(account.id):
        return
    reseller = await account.reseller
    language = user.language if user.language in ("fr", "en") else "fr"
    try:
        zone = ZoneInfo(account.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    fits = len(content) <= MAX_ATTACHMENTS_BYTES
    caller = " ".join(filter(None, (message.caller_name, message.caller_number)))
    await send_email(
        to=user.email, template="mailbox_copy", language=language, gateway=host,
        values={"name": user.full_name,
                "headline": _HEADLINE[MailboxKind(message.kind)].render(language),
                "caller": caller or _UNKNOWN_CALLER.render(language),
                "received": message.received_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
                "attached": (_ATTACHED if fits else _TOO_BIG).render(language),
                "limit": limit, "reseller": reseller.name, "transcript": transcript},
        attachments=[(file_of(host, message).name, message.content_type, content)] if fits
        else (),
        dedupe_key=f"mailbox-copy-{message.storage_key}")


async def _trim(user_id: int, kind: MailboxKind, keep: int) -> list[str]:
    """Delete the user's messages of ``kind`` past the ``keep`` newest; their storage keys."""
    rows = await MailboxMessage.filter(user_id=user_id, kind=kind).order_by(
        "-received_at", "-id").values_list("id", "storage_key")
    gone = rows[keep:]
    if gone:
        await MailboxMessage.filter(id__in=[row[0] for row in gone]).delete()
    return [row[1] for row in gone]


async def trim_account(host: PluginHost, account_id: int) -> int:
    """Apply the account's (new) limits to every mailbox of the account; how many went."""
    removed: list[str] = []
    async with in_transaction():
        options = await locked_options(account_id)
        owners = await MailboxMessage.filter(account_id=account_id).distinct().values_list(
            "user_id", "kind")
        for user_id, kind in owners:
            removed += await _trim(user_id, MailboxKind(kind), limit_of(options, MailboxKind(kind)))
    _unlink(host, removed)
    return len(removed)


def owner_of(principal: Principal, user_id: int | None) -> int | None:
    """Whose mailbox is read: staff may name a user (or none: the whole account); a
    subscriber only ever reads the own (naming another user is "not found")."""
    if principal.role in STAFF and not principal.direct_access:
        return user_id
    if user_id is not None and user_id != principal.user_id:
        raise Problem(Code.NOT_FOUND, e.WRONG_USER, ["userId"])
    return int(principal.user_id or 0)


def messages(principal: Principal, account: Account, kind: MailboxKind,
             user_id: int | None) -> QuerySet[MailboxMessage]:
    """The messages of ``kind`` the caller reads in the account, newest first."""
    query = MailboxMessage.filter(account_id=account.id, kind=kind)
    owner = owner_of(principal, user_id)
    if owner is not None:
        query = query.filter(user_id=owner)
    return query.order_by("-received_at", "-id")


async def delete_message(host: PluginHost, principal: Principal,
                         message_id: int) -> MailboxMessage:
    """Delete a message the caller reads (its own; staff: any of the accounts they see); any
    other is "not found". The deleted row is returned."""
    row = await MailboxMessage.filter(id=message_id).first()
    if row is None or not await accounts_visible(principal).filter(id=row.account_id).exists():
        raise Problem(Code.NOT_FOUND, e.NOT_FOUND, ["id"])
    owner = owner_of(principal, None)
    if owner is not None and owner != row.user_id:
        raise Problem(Code.NOT_FOUND, e.NOT_FOUND, ["id"])
    await delete(host, row)
    return row


async def delete(host: PluginHost, message: MailboxMessage) -> None:
    await MailboxMessage.filter(id=message.id).delete()
    _unlink(host, [message.storage_key])


async def forget_account(host: PluginHost, account_id: int) -> None:
    """The purge: every message of the account and its file."""
    rows = await MailboxMessage.filter(account_id=account_id).values_list("storage_key")
    await MailboxMessage.filter(account_id=account_id).delete()
    _unlink(host, [row[0] for row in rows])


def _unlink(host: PluginHost, keys: list[str]) -> None:
    for key in keys:
        try:
            file_of(host, {"storage_key": key}).unlink(missing_ok=True)
        except OSError as error:  # the row is gone; an orphan file is only disk space
            log.warning("mailbox file %s not removed: %s", key, error)
