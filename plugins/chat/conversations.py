"""Live conversations without GraphQL: a subscriber's user opens one with its reseller's support
(in the queue while the service is open in that language; outside hours the message is kept,
the support address is emailed and the user told when the service reopens), staff on duty take,
answer, transfer and close them, read receipts, the transcript emailed, history by account.

Every read goes through :func:`conversations_visible` (another tenant's conversation is not
found); every change is committed before its event is published (``events``), so a subscriber
that reads after subscribing misses nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from gateway.api import (
    LANGUAGES,
    RESELLER_STAFF,
    SUBSCRIBERS,
    Account,
    OutboxJob,
    Principal,
    Problem,
    Reseller,
    Role,
    Text,
    User,
    account_for,
    enqueue,
    send_email,
    users_visible,
)

from . import events
from .api import Decider, is_open
from .conversation_errors import (
    ALREADY_TAKEN,
    BAD_LANGUAGE,
    CHAT_NOT_OFFERED,
    CLOSED_NOTE,
    COLLEAGUE_NOT_FOUND,
    COLLEAGUE_NOT_ON_DUTY,
    CONVERSATION_NOT_FOUND,
    EMPTY_MESSAGE,
    IS_CLOSED,
    IS_NOT_CLOSED,
    MESSAGE_NOT_FOUND,
    MESSAGE_TOO_LONG,
    NO_RECIPIENT,
    NOT_ON_DUTY,
    NOT_PARTICIPANT,
    RATE_LIMITED,
    SUBSCRIBERS_ONLY,
    TAKEN_NOTE,
    TOO_MANY_LANGUAGES,
    TOO_MANY_OPEN,
    TRANSFERRED_NOTE,
)
from .conversation_errors import ChatConversationErrorCode as Code
from .conversation_models import (
    MAX_BODY,
    AgentDuty,
    Conversation,
    ConversationStatus,
    Message,
    MessageKind,
    ReadReceipt,
    Side,
)

log = logging.getLogger("plugins.chat.conversations")

TRANSCRIPT_JOB = "chat.transcript"
OPEN_STATUSES = (ConversationStatus.WAITING, ConversationStatus.ACTIVE)
CONVERSATION_COLUMNS = ("id", "reseller_id", "account_id", "opened_by_id", "opened_by_name",
                        "language", "status", "outside_hours", "assigned_to_id",
                        "assigned_to_name", "created_at", "taken_at", "closed_at",
                        "last_message_at")
MESSAGE_COLUMNS = events.MESSAGE_COLUMNS
RESELLER_WIDE = {Role.RESELLER_ADMIN, Role.RESELLER_DELEGATE, Role.INTEGRATOR}


@dataclass(frozen=True)
class LiveLimits:
    """The limits of live conversations (see the plugin's README)."""

    max_message_length: int = 2000  # characters of one message (the column holds MAX_BODY)
    messages_per_minute: int = 20  # per user, every conversation together
    open_conversations_per_account: int = 3  # waiting or taken at once
    subscriptions_per_connection: int = 10  # chat subscriptions on one WebSocket
    transcript_max_messages: int = 1000  # messages in an emailed transcript
    typing_per_minute: int = 60  # typing notices a user may send a minute (more are dropped)

    def __post_init__(self) -> None:
        if not 1 <= self.max_message_length <= MAX_BODY:
            raise ValueError(f"max_message_length must be between 1 and {MAX_BODY}")


LIMITS = LiveLimits()


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def display_name(user: User) -> str:
    return f"{user.first_name} {user.last_name}".strip() or user.login


# --- who sees what ---------------------------------------------------------------------------

def conversations_visible(principal: Principal | None) -> QuerySet[Conversation]:
    """System admins: all. Reseller staff and tokens: their reseller's. A company admin (and
    reseller staff inside an account): the account's. Employees and professionals: their own."""
    if principal is None:
        return Conversation.filter(id=-1)
    if principal.role == Role.SYSTEM_ADMIN:
        return Conversation.all()
    if principal.role in RESELLER_WIDE and not principal.direct_access:
        return Conversation.filter(reseller_id=principal.reseller_id or -1)
    if principal.role == Role.COMPANY_ADMIN or principal.direct_access:
        return Conversation.filter(account_id=principal.account_id or -1)
    return Conversation.filter(opened_by_id=principal.user_id or -1,
                               account_id=principal.account_id or -1)


async def conversation_for(principal: Principal | None, conversation_id: int,
                           field: Sequence[str | int] = ("input", "conversationId"),
                           *, for_update: bool = False) -> Conversation:
    query = conversations_visible(principal).filter(id=conversation_id)
    if for_update:
        query = query.select_for_update()
    conversation = await query.first()
    if conversation is None:
        raise Problem(Code.NOT_FOUND, CONVERSATION_NOT_FOUND, list(field))
    return conversation


def _is_subscriber(principal: Principal) -> bool:
    return principal.role in SUBSCRIBERS and not principal.direct_access


def _is_staff_of(principal: Principal, reseller_id: int) -> bool:
    return (principal.role in RESELLER_STAFF and not principal.direct_access
            and principal.reseller_id == reseller_id)


def side_of(principal: Principal, conversation: Conversation) -> Side:
    """Who the caller is in this (visible) conversation: the subscriber's side, or the staff
    member who took it; anyone else (a colleague, a system admin) only reads."""
    if _is_subscriber(principal):
        return Side.SUBSCRIBER
    if (_is_staff_of(principal, conversation.reseller_id)
            and conversation.assigned_to_id == principal.user_id):
        return Side.STAFF
    raise Problem(Code.NOT_PARTICIPANT, NOT_PARTICIPANT, ["input", "conversationId"])


async def _caller(principal: Principal) -> User:
    user = await User.get_or_none(id=principal.user_id or -1)
    if user is None:  # a session outliving its user: nobody to speak for
        raise Problem(Code.NOT_PARTICIPANT, NOT_PARTICIPANT, None)
    return user


# --- checks ----------------------------------------------------------------------------------

def clean_text(text: str, limits: LiveLimits, field: Sequence[str | int]) -> str:
    text = text.strip()
    if not text:
        raise Problem(Code.REQUIRED, EMPTY_MESSAGE, list(field))
    if len(text) > limits.max_message_length:
        raise Problem(Code.TOO_LONG, MESSAGE_TOO_LONG, list(field),
                      max=limits.max_message_length, length=len(text))
    return text


async def check_rate(user_id: int, limits: LiveLimits, now: dt.datetime) -> None:
    """At most ``messages_per_minute`` messages by one user in any 60 seconds (counted in the
    database: the same in every process)."""
    since = now - dt.timedelta(minutes=1)
    rows = await Message.filter(
        sender_id=user_id, kind=MessageKind.TEXT, created_at__gt=since).order_by(
        "-created_at").limit(limits.messages_per_minute).values("created_at")
    recent: list[dt.datetime] = [row["created_at"] for row in rows]
    if len(recent) >= limits.messages_per_minute:
        oldest = min(recent)
        wait = max(1, int((oldest + dt.timedelta(minutes=1) - now).total_seconds()) + 1)
        problem = Problem(Code.TOO_MANY_MESSAGES, RATE_LIMITED, ["input", "text"],
                          max=limits.messages_per_minute, retry_after=wait)
        problem.details["retry_after"] = wait
        raise problem


# --- service hours ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Hours:
    """What the service hours say for one reseller and language at one instant."""

    offered: bool  # permitted by the system admin and enabled by the reseller
    open: bool
    reopens_at: dt.datetime | None
    time_zone: str


async def service_hours(reseller_id: int, at: dt.datetime, language: str) -> Hours:
    """The service hours' answer (``plugins.chat.api.is_open``)."""
    availability = await is_open(reseller_id, at, language)
    return Hours(offered=availability.decider != Decider.CHAT_OFF, open=availability.open,
                 reopens_at=availability.reopens_at, time_zone=availability.time_zone)


def local_time(moment: dt.datetime, zone: str) -> str:
    try:
        return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M %Z")
    except (KeyError, ValueError):
        return moment.strftime("%Y-%m-%d %H:%M UTC")


REOPENS = Text(en="The chat is closed now: your message was sent to the support team, who "
                  "will answer you. The chat reopens on {when}.",
               fr="Le clavardage est fermé pour l'instant : votre message a été transmis à "
                  "l'équipe de soutien, qui vous répondra. Le clavardage rouvre le {when}.")
CLOSED_FOR_NOW = Text(en="The chat is closed now: your message was sent to the support team, "
                         "who will answer you.",
                      fr="Le clavardage est fermé pour l'instant : votre message a été transmis "
                         "à l'équipe de soutien, qui vous répondra.")


# --- opening ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Opened:
    conversation_id: int
    message: dict[str, Any]
    outside_hours: bool
    reopens_at: dt.datetime | None
    notice: Text | None
    notice_values: dict[str, Any]


def _check_language(language: str | None, principal: Principal) -> str:
    chosen = (language or principal.language or "fr").strip().lower()
    if chosen not in LANGUAGES:
        raise Problem(Code.INVALID_LANGUAGE, BAD_LANGUAGE, ["input", "language"])
    return chosen


async def support_address(reseller: Reseller) -> str | None:
    """The reseller's support email (its branding), else its primary admin's."""
    branding = reseller.branding if isinstance(reseller.branding, dict) else {}
    address = branding.get("support_email")
    if isinstance(address, str) and address:
        return address
    if reseller.primary_admin_id is not None:
        admin = await User.get_or_none(id=reseller.primary_admin_id)
        if admin is not None and admin.email:
            return admin.email
    return None


async def open_conversation(principal: Principal | None, text: str, language: str | None = None,
                            *, limits: LiveLimits = LIMITS,
                            now: dt.datetime | None = None) -> Opened:
    """A subscriber's user writes to its reseller's support in ``language`` (its own by
    default). Open: the conversation waits in the queue. Closed (outside hours): the message is
    kept, the support address emailed, and the answer says when the service reopens."""
    if principal is None or not _is_subscriber(principal) or principal.account_id is None:
        raise Problem(Code.NOT_A_SUBSCRIBER, SUBSCRIBERS_ONLY, None)
    text = clean_text(text, limits, ["input", "text"])
    chosen = _check_language(language, principal)
    now = now or now_utc()
    account = await account_for(principal, principal.account_id, ["input"])
    user = await _caller(principal)
    hours = await service_hours(account.reseller_id, now, chosen)
    if not hours.offered:
        raise Problem(Code.CHAT_UNAVAILABLE, CHAT_NOT_OFFERED, None)
    open_now = await Conversation.filter(account_id=account.id,
                                         status__in=OPEN_STATUSES).count()
    if open_now >= limits.open_conversations_per_account:
        raise Problem(Code.TOO_MANY_OPEN_CONVERSATIONS, TOO_MANY_OPEN, None,
                      max=limits.open_conversations_per_account)
    await check_rate(user.id, limits, now)
    name = display_name(user)
    async with in_transaction():
        conversation = await Conversation.create(
            reseller_id=account.reseller_id,
            account_id=account.id, opened_by_id=user.id, opened_by_name=name, language=chosen,
            outside_hours=not hours.open, last_message_at=now)
        message = await Message.create(conversation_id=conversation.id, sender_id=user.id,
                                       side=Side.SUBSCRIBER, sender_name=name, body=text)
        if not hours.open:
            await _email_support(conversation, account, user, text, hours)
    row = await Message.filter(id=message.id).values(*MESSAGE_COLUMNS)
    await events.queue_changed(conversation.reseller_id, "WAITING", conversation.id)
    notice: Text | None = None
    values: dict[str, Any] = {}
    if not hours.open:
        if hours.reopens_at is not None:
            notice, values = REOPENS, {"when": local_time(hours.reopens_at, hours.time_zone)}
        else:
            notice = CLOSED_FOR_NOW
    return Opened(conversation.id, row[0], not hours.open, hours.reopens_at, notice, values)


async def _email_support(conversation: Conversation, account: Account, user: User, text: str,
                         hours: Hours) -> None:
    reseller = await Reseller.get(id=conversation.reseller_id)
    address = await support_address(reseller)
    if address is None:
        log.warning("chat: reseller %s has no support address; conversation %s waits unseen "
                    "by email", reseller.id, conversation.id)
        return
    when = local_time(hours.reopens_at, hours.time_zone) if hours.reopens_at else "-"
    await send_email(
        to=address, template="chat_offline_message",
        language=reseller.default_language if reseller.default_language in LANGUAGES else "fr",
        values={"reseller": reseller.name, "account": account.name, "account_id": account.id,
                "user": display_name(user), "email": user.email, "message": text,
                "language": conversation.language, "reopens": when,
                "conversation": conversation.id},
        reply_to=user.email or None,
        dedupe_key=f"chat.offline:{conversation.id}")


# --- messages --------------------------------------------------------------------------------

async def post_message(principal: Principal | None, conversation_id: int, text: str, *,
                       limits: LiveLimits = LIMITS, now: dt.datetime | None = None
                       ) -> dict[str, Any]:
    """A participant writes: the subscriber's side, or the staff member who took it."""
    if principal is None:
        raise Problem(Code.NOT_FOUND, CONVERSATION_NOT_FOUND, ["input", "conversationId"])
    text = clean_text(text, limits, ["input", "text"])
    now = now or now_utc()
    async with in_transaction():
        # Locked: one conversation's messages are numbered in the order they commit.
        conversation = await conversation_for(principal, conversation_id, for_update=True)
        side = side_of(principal, conversation)
        if conversation.status == ConversationStatus.CLOSED:
            raise Problem(Code.CLOSED, IS_CLOSED, ["input", "conversationId"])
        user = await _caller(principal)
        await check_rate(user.id, limits, now)
        message = await Message.create(conversation_id=conversation.id, sender_id=user.id,
                                       side=side, sender_name=display_name(user), body=text)
        await Conversation.filter(id=conversation.id).update(last_message_at=now)
    row = (await Message.filter(id=message.id).values(*MESSAGE_COLUMNS))[0]
    await events.message_posted(row, conversation.status.value)
    return row


async def messages_page(principal: Principal | None, conversation_id: int, *,
                        after_id: int | None = None, offset: int = 0, limit: int = 50
                        ) -> tuple[list[dict[str, Any]], int]:
    """A conversation's messages oldest first, those after message ``after_id`` (the cursor a
    client kept) only when given: ``limit + 1`` rows and the count."""
    conversation = await conversation_for(principal, conversation_id, ["conversationId"])
    messages = Message.filter(conversation_id=conversation.id)
    if after_id is not None:
        messages = messages.filter(id__gt=after_id)
    total = await messages.count()
    rows = await messages.order_by("id").offset(offset).limit(limit + 1).values(
        *MESSAGE_COLUMNS)
    return rows, total


async def messages_after(conversation_id: int, after_id: int, limit: int
                         ) -> list[dict[str, Any]]:
    """Catch-up for a subscription (already checked): the messages after ``after_id``."""
    return await Message.filter(conversation_id=conversation_id, id__gt=after_id).order_by(
        "id").limit(limit).values(*MESSAGE_COLUMNS)


async def latest_message_id(conversation_id: int) -> int:
    """Where a subscription without ``afterMessage`` starts: after the last message written."""
    latest = await Message.filter(conversation_id=conversation_id).order_by("-id").first(
    ).values("id")
    return int(latest["id"]) if latest else 0


# Typing notices each user sent in the last minute, in this process (a cap, not a count).
_typing_seen: dict[int, list[float]] = {}


async def notify_typing(principal: Principal | None, conversation_id: int, *,
                        limits: LiveLimits = LIMITS) -> None:
    """Tell the conversation's other side the caller is typing (nothing is stored)."""
    if principal is None:
        raise Problem(Code.NOT_FOUND, CONVERSATION_NOT_FOUND, ["input", "conversationId"])
    conversation = await conversation_for(principal, conversation_id)
    side = side_of(principal, conversation)
    if conversation.status == ConversationStatus.CLOSED:
        raise Problem(Code.CLOSED, IS_CLOSED, ["input", "conversationId"])
    user_id = principal.user_id or 0
    clock = now_utc().timestamp()
    if len(_typing_seen) > 10_000:  # forget who typed more than a minute ago
        for stale in [k for k, seen in _typing_seen.items() if not seen or seen[-1] < clock - 60]:
            del _typing_seen[stale]
    recent = [t for t in _typing_seen.get(user_id, []) if t > clock - 60]
    if len(recent) >= limits.typing_per_minute:
        return  # a chatty client: the notice adds nothing the last ones did not say
    _typing_seen[user_id] = [*recent, clock]
    name = (conversation.opened_by_name if side == Side.SUBSCRIBER
            and conversation.opened_by_id == principal.user_id
            else display_name(await _caller(principal)))
    await events.typing(conversation.id, user_id, name, side.value)


async def mark_read(principal: Principal | None, conversation_id: int, message_id: int
                    ) -> dict[str, Any]:
    """The caller has read the conversation up to ``message_id`` (never backwards)."""
    if principal is None or principal.user_id is None:
        raise Problem(Code.NOT_FOUND, CONVERSATION_NOT_FOUND, ["input", "conversationId"])
    conversation = await conversation_for(principal, conversation_id)
    if not await Message.filter(id=message_id, conversation_id=conversation.id).exists():
        raise Problem(Code.NOT_FOUND, MESSAGE_NOT_FOUND, ["input", "messageId"])
    at = now_utc()
    async with in_transaction():
        receipt = await ReadReceipt.filter(conversation_id=conversation.id,
                                           user_id=principal.user_id).select_for_update().first()
        if receipt is None:
            receipt = await ReadReceipt.create(conversation_id=conversation.id,
                                               user_id=principal.user_id,
                                               last_read_message_id=message_id, read_at=at)
        elif receipt.last_read_message_id < message_id:
            receipt.last_read_message_id = message_id
            receipt.read_at = at
            await receipt.save(update_fields=["last_read_message_id", "read_at"])
    await events.read(conversation.id, principal.user_id, receipt.last_read_message_id,
                      receipt.read_at)
    return {"conversation_id": conversation.id, "user_id": principal.user_id,
            "last_read_message_id": receipt.last_read_message_id, "read_at": receipt.read_at}


async def read_receipts(principal: Principal | None, conversation_id: int, limit: int = 50
                        ) -> list[dict[str, Any]]:
    conversation = await conversation_for(principal, conversation_id, ["conversationId"])
    return await ReadReceipt.filter(conversation_id=conversation.id).order_by("id").limit(
        limit).values("conversation_id", "user_id", "last_read_message_id", "read_at")


# --- staff on duty ---------------------------------------------------------------------------

def _staff(principal: Principal | None) -> Principal:
    if principal is None or principal.role not in RESELLER_STAFF or principal.direct_access \
            or principal.reseller_id is None or principal.user_id is None:
        raise Problem(Code.NOT_ON_DUTY, NOT_ON_DUTY, None)
    return principal


async def set_on_duty(principal: Principal | None, on_duty: bool,
                      languages: Sequence[str] | None = None) -> AgentDuty | None:
    """Go on duty for the chat in ``languages`` (both by default), or off duty."""
    staff = _staff(principal)
    if not on_duty:
        await AgentDuty.filter(user_id=staff.user_id).delete()
        return None
    if languages is not None and len(languages) > len(LANGUAGES):
        raise Problem(Code.INVALID_LANGUAGE, TOO_MANY_LANGUAGES, ["input", "languages"],
                      max=len(LANGUAGES))
    chosen = list(dict.fromkeys(
        (code or "").strip().lower() for code in (languages or LANGUAGES)))
    if len(chosen) > len(LANGUAGES):
        raise Problem(Code.INVALID_LANGUAGE, TOO_MANY_LANGUAGES, ["input", "languages"],
                      max=len(LANGUAGES))
    for index, code in enumerate(chosen):
        if code not in LANGUAGES:
            raise Problem(Code.INVALID_LANGUAGE, BAD_LANGUAGE, ["input", "languages", index])
    if not chosen:
        raise Problem(Code.REQUIRED, BAD_LANGUAGE, ["input", "languages"])
    async with in_transaction():
        duty = await AgentDuty.filter(user_id=staff.user_id).select_for_update().first()
        if duty is None:
            duty = await AgentDuty.create(reseller_id=staff.reseller_id, user_id=staff.user_id,
                                          languages=chosen, since=now_utc())
        else:
            duty.languages = chosen
            await duty.save(update_fields=["languages"])
    return duty


async def duty_of(principal: Principal | None) -> AgentDuty | None:
    if principal is None or principal.user_id is None:
        return None
    return await AgentDuty.filter(user_id=principal.user_id,
                                  reseller_id=principal.reseller_id or -1).first()


async def require_duty(principal: Principal | None, language: str | None = None) -> AgentDuty:
    staff = _staff(principal)
    duty = await duty_of(staff)
    if duty is None or (language is not None and language not in duty.languages):
        raise Problem(Code.NOT_ON_DUTY, NOT_ON_DUTY, None)
    return duty


async def agents_on_duty(principal: Principal | None, limit: int = 100) -> list[dict[str, Any]]:
    staff = _staff(principal)
    duties = await AgentDuty.filter(reseller_id=staff.reseller_id).order_by("since").limit(
        limit).values("user_id", "languages", "since")
    users = {u["id"]: u for u in await User.filter(
        id__in=[d["user_id"] for d in duties]).values("id", "first_name", "last_name", "login")}
    return [{**d, "name": (f"{users[d['user_id']]['first_name']} "
                           f"{users[d['user_id']]['last_name']}").strip()
             or users[d["user_id"]]["login"]} for d in duties if d["user_id"] in users]


async def queue_page(principal: Principal | None, *, offset: int = 0, limit: int = 50
                     ) -> tuple[list[dict[str, Any]], int]:
    """The reseller's waiting conversations in the languages the caller serves, oldest first."""
    duty = await require_duty(principal)
    waiting = Conversation.filter(reseller_id=duty.reseller_id,
                                  status=ConversationStatus.WAITING,
                                  language__in=list(duty.languages))
    total = await waiting.count()
    rows = await waiting.order_by("id").offset(offset).limit(limit + 1).values(
        *CONVERSATION_COLUMNS)
    return rows, total


async def _note(conversation: Conversation, kind: MessageKind, user: User, body: str = ""
                ) -> Message:
    return await Message.create(conversation_id=conversation.id, kind=kind, sender_id=user.id,
                                side=Side.STAFF, sender_name=display_name(user), body=body)


async def _published(note: Message, conversation_id: int, status: ConversationStatus,
                     reseller_id: int, kind: str) -> None:
    row = (await Message.filter(id=note.id).values(*MESSAGE_COLUMNS))[0]
    await events.message_posted(row, status.value)
    await events.queue_changed(reseller_id, kind, conversation_id)


async def take(principal: Principal | None, conversation_id: int) -> int:
    """A staff member on duty in the conversation's language takes it from the queue; of two
    taking it at once, one gets it and the other is told who did."""
    staff = _staff(principal)
    conversation = await conversation_for(staff, conversation_id)
    await require_duty(staff, conversation.language)
    if conversation.status == ConversationStatus.CLOSED:
        raise Problem(Code.CLOSED, IS_CLOSED, ["input", "conversationId"])
    user = await _caller(staff)
    at = now_utc()
    async with in_transaction():
        taken = await Conversation.filter(
            id=conversation.id, status=ConversationStatus.WAITING).update(
            status=ConversationStatus.ACTIVE, assigned_to_id=user.id,
            assigned_to_name=display_name(user), taken_at=at)
        if not taken:
            current = await Conversation.get(id=conversation.id)
            if current.status == ConversationStatus.CLOSED:
                raise Problem(Code.CLOSED, IS_CLOSED, ["input", "conversationId"])
            raise Problem(Code.ALREADY_TAKEN, ALREADY_TAKEN, ["input", "conversationId"],
                          name=current.assigned_to_name)
        note = await _note(conversation, MessageKind.TAKEN, user)
    await _published(note, conversation.id, ConversationStatus.ACTIVE, conversation.reseller_id,
                     "TAKEN")
    return conversation.id


async def transfer(principal: Principal | None, conversation_id: int, to_user_id: int) -> int:
    """The staff member who took it (or the reseller's admin) hands it to a colleague on duty
    in its language."""
    staff = _staff(principal)
    user = await _caller(staff)
    async with in_transaction():
        conversation = await conversation_for(staff, conversation_id, for_update=True)
        if conversation.status == ConversationStatus.CLOSED:
            raise Problem(Code.CLOSED, IS_CLOSED, ["input", "conversationId"])
        if conversation.assigned_to_id != user.id and staff.role != Role.RESELLER_ADMIN:
            raise Problem(Code.NOT_PARTICIPANT, NOT_PARTICIPANT, ["input", "conversationId"])
        target = await users_visible(staff).filter(id=to_user_id).first()
        if target is None:
            raise Problem(Code.NOT_FOUND, COLLEAGUE_NOT_FOUND, ["input", "toUserId"])
        duty = await AgentDuty.filter(user_id=target.id,
                                      reseller_id=conversation.reseller_id).first()
        if duty is None or conversation.language not in duty.languages:
            raise Problem(Code.NOT_ON_DUTY, COLLEAGUE_NOT_ON_DUTY, ["input", "toUserId"],
                          name=display_name(target))
        await Conversation.filter(id=conversation.id).update(
            status=ConversationStatus.ACTIVE, assigned_to_id=target.id,
            assigned_to_name=display_name(target), taken_at=conversation.taken_at or now_utc())
        note = await _note(conversation, MessageKind.TRANSFERRED, user, display_name(target))
    await _published(note, conversation.id, ConversationStatus.ACTIVE, conversation.reseller_id,
                     "TRANSFERRED")
    return conversation.id


async def close(principal: Principal | None, conversation_id: int) -> int:
    """The subscriber's side, the staff member who took it or the reseller's admin ends it."""
    if principal is None:
        raise Problem(Code.NOT_FOUND, CONVERSATION_NOT_FOUND, ["input", "conversationId"])
    user = await _caller(principal)
    async with in_transaction():
        conversation = await conversation_for(principal, conversation_id, for_update=True)
        if conversation.status == ConversationStatus.CLOSED:
            raise Problem(Code.CLOSED, IS_CLOSED, ["input", "conversationId"])
        admin = (principal.role == Role.RESELLER_ADMIN and not principal.direct_access
                 and principal.reseller_id == conversation.reseller_id)
        if not admin:
            side_of(principal, conversation)
        await Conversation.filter(id=conversation.id).update(status=ConversationStatus.CLOSED,
                                                             closed_at=now_utc())
        note = await Message.create(
            conversation_id=conversation.id, kind=MessageKind.CLOSED, sender_id=user.id,
            side=Side.SUBSCRIBER if _is_subscriber(principal) else Side.STAFF,
            sender_name=display_name(user))
    await _published(note, conversation.id, ConversationStatus.CLOSED, conversation.reseller_id,
                     "CLOSED")
    return conversation.id


# --- history ---------------------------------------------------------------------------------

async def conversations_page(principal: Principal | None, *, account_id: int | None = None,
                             status: str | None = None, search: str | None = None,
                             offset: int = 0, limit: int = 20
                             ) -> tuple[list[dict[str, Any]], int]:
    """The conversations the caller may see, newest first: of one account, in one status,
    and those with a message containing ``search``."""
    conversations = conversations_visible(principal)
    if account_id is not None:
        account = await account_for(principal, account_id, ["accountId"])
        conversations = conversations.filter(account_id=account.id)
    if status is not None:
        conversations = conversations.filter(status=status)
    if search:
        words = search.strip()[:200]
        conversations = conversations.filter(
            Q(id__in=Subquery(Message.filter(body__icontains=words).values("conversation_id"))))
    total = await conversations.count()
    rows = await conversations.order_by("-id").offset(offset).limit(limit + 1).values(
        *CONVERSATION_COLUMNS)
    return rows, total


# --- transcript ------------------------------------------------------------------------------

NOTES = {MessageKind.TAKEN: TAKEN_NOTE, MessageKind.TRANSFERRED: TRANSFERRED_NOTE,
         MessageKind.CLOSED: CLOSED_NOTE}


def message_text(row: dict[str, Any], language: str) -> str:
    """What a message says to a reader: its text, or the note of what happened."""
    kind = MessageKind(row["kind"])
    if kind == MessageKind.TEXT:
        return str(row["body"])
    return NOTES[kind].render(language, name=row["sender_name"], to=row["body"])


async def email_transcript(principal: Principal | None, conversation_id: int) -> OutboxJob:
    """Queue the transcript of a closed conversation to the subscriber who opened it."""
    if principal is None:
        raise Problem(Code.NOT_FOUND, CONVERSATION_NOT_FOUND, ["input", "conversationId"])
    conversation = await conversation_for(principal, conversation_id)
    if not (_is_subscriber(principal) or _is_staff_of(principal, conversation.reseller_id)):
        raise Problem(Code.NOT_PARTICIPANT, NOT_PARTICIPANT, ["input", "conversationId"])
    if conversation.status != ConversationStatus.CLOSED:
        raise Problem(Code.NOT_CLOSED, IS_NOT_CLOSED, ["input", "conversationId"])
    opener = await User.get_or_none(id=conversation.opened_by_id or -1)
    if opener is None or not opener.email:
        raise Problem(Code.NO_RECIPIENT, NO_RECIPIENT, ["input", "conversationId"])
    job = await enqueue(TRANSCRIPT_JOB, {"conversation_id": conversation.id})
    assert job is not None
    return job


async def transcript_job(payload: dict[str, Any]) -> None:
    """The ``chat.transcript`` job: the conversation's messages emailed to its opener, in the
    opener's language (idempotent: keyed by the outbox row)."""
    conversation = await Conversation.get_or_none(id=payload["conversation_id"])
    if conversation is None:
        return
    opener = await User.get_or_none(id=conversation.opened_by_id or -1)
    if opener is None or not opener.email:
        return
    language = opener.language if opener.language in LANGUAGES else conversation.language
    account = await Account.get(id=conversation.account_id)
    reseller = await Reseller.get(id=conversation.reseller_id)
    rows = await Message.filter(conversation_id=conversation.id).order_by("id").limit(
        LIMITS.transcript_max_messages).values(*MESSAGE_COLUMNS)
    zone = await _zone_of(conversation.reseller_id)
    lines = [f"[{local_time(row['created_at'], zone)}] {row['sender_name']}: "
             f"{message_text(row, language)}" for row in rows]
    await send_email(
        to=opener.email, template="chat_transcript", language=language,
        values={"reseller": reseller.name, "account": account.name,
                "user": display_name(opener), "conversation": conversation.id,
                "opened": local_time(conversation.created_at, zone),
                "transcript": "\n".join(lines)},
        dedupe_key=f"chat.transcript:{payload['outbox_id']}")


async def _zone_of(reseller_id: int) -> str:
    from .models import ChatSettings

    settings = await ChatSettings.filter(reseller_id=reseller_id).values_list("time_zone",
                                                                              flat=True)
    return str(settings[0]) if settings else "America/Toronto"
