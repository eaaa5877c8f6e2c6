"""GraphQL of live conversations: the ``ChatConversation`` and ``ChatMessage`` nodes, history
and queue queries, the mutations of both sides, and two subscriptions over
graphql-transport-ws (the core authenticates the socket and checks its Origin):

- ``chatConversationEvents(conversationId, afterMessage)``: the conversation's new messages,
  typing notices and read receipts; with ``afterMessage`` (the last message id a client got)
  the missed messages come first, so a dropped connection resumes without a gap;
- ``chatQueueChanged``: the reseller's queue, for its staff on duty.

A subscription listens on channels keyed by the conversation or the caller's own reseller,
checked when it starts: it never hears another tenant's events.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncGenerator, AsyncIterator
from enum import Enum
from typing import Annotated, Any, ClassVar

import strawberry
from strawberry import relay
from strawberry.exceptions import StrawberryGraphQLError
from tortoise.expressions import Subquery
from tortoise.queryset import QuerySet

from gateway.api import (
    ACCOUNT_NOT_FOUND,
    PUBSUB_GAP,
    RESELLER_STAFF,
    SIGNED_IN,
    SUBSCRIBERS,
    AccountNode,
    Connection,
    DateTime,
    Error,
    Principal,
    Problem,
    PubSubError,
    RowNode,
    Subscription,
    account_loader,
    allow,
    build_connection,
    current_pubsub,
    describe_enum_values,
    error_type,
    field,
    given,
    global_id,
    mutation,
    node_pk,
    page_window,
)

from . import conversations as services
from . import events
from .conversation_errors import (
    CONVERSATION_NOT_FOUND,
    LIVE_UNAVAILABLE,
    MESSAGE_NOT_FOUND,
    TOO_MANY_SUBSCRIPTIONS,
    ChatConversationErrorCode,
)
from .conversation_models import ConversationStatus, Message, MessageKind, Side

PARTICIPANTS = (*SUBSCRIBERS, *RESELLER_STAFF)
# Messages a resumed subscription reads per query while it catches up.
REPLAY_MAX = 500
_SLOTS = "chat.subscriptions"

strawberry.enum(ConversationStatus, name="ChatConversationStatus",
                description="Where a conversation stands: WAITING in the queue, ACTIVE once "
                "taken, CLOSED.")
describe_enum_values(ConversationStatus, {
    "WAITING": "In the reseller's queue: nobody took it yet (also when opened outside hours).",
    "ACTIVE": "A staff member on duty took it and answers.",
    "CLOSED": "Ended by either side; it can be read, and its transcript emailed.",
})
strawberry.enum(MessageKind, name="ChatMessageKind",
                description="TEXT written by a person, or a note: TAKEN, TRANSFERRED, CLOSED.")
describe_enum_values(MessageKind, {
    "TEXT": "A message a person wrote.",
    "TAKEN": "A note: a staff member took the conversation.",
    "TRANSFERRED": "A note: the conversation was handed to a colleague.",
    "CLOSED": "A note: the conversation ended.",
})
strawberry.enum(Side, name="ChatSide", description="The subscriber's side or the support staff.")
describe_enum_values(Side, {
    "SUBSCRIBER": "The subscriber's side: the account's user who opened the conversation.",
    "STAFF": "The reseller's support staff.",
})


@strawberry.enum(name="ChatEventKind", description="What a conversation event carries.")
class ChatEventKind(Enum):
    MESSAGE = "MESSAGE"
    TYPING = "TYPING"
    READ = "READ"


describe_enum_values(ChatEventKind, {
    "MESSAGE": "A new message or note, in `message` (with the conversation's `status` after "
               "it).",
    "TYPING": "Someone is typing, in `typing` (not stored; may be lost).",
    "READ": "Someone read the conversation up to a message, in `read`.",
})


@strawberry.enum(name="ChatQueueEventKind", description="How the queue changed.")
class ChatQueueEventKind(Enum):
    WAITING = "WAITING"
    TAKEN = "TAKEN"
    TRANSFERRED = "TRANSFERRED"
    CLOSED = "CLOSED"
    INTERRUPTED = "INTERRUPTED"


describe_enum_values(ChatQueueEventKind, {
    "WAITING": "A conversation was opened and waits in the queue.",
    "TAKEN": "A staff member took a waiting conversation: it left the queue.",
    "TRANSFERRED": "A conversation was handed to another staff member.",
    "CLOSED": "A conversation ended.",
    "INTERRUPTED": "Live events were interrupted for a moment (the gateway lost its event bus) "
                   "and changes may have been missed: fetch `chatQueue` again. No "
                   "conversation.",
})


@error_type("ChatConversation", ChatConversationErrorCode)
class ChatConversationError(Error):
    """A refusal of live chat: what was wrong, where, and why."""


describe_enum_values(ChatConversationErrorCode, {
    "NOT_FOUND": "No such conversation, message, account or colleague among those you may see "
                 "(another tenant's is not found either).",
    "REQUIRED": "An empty message, or no service language given.",
    "TOO_LONG": "A message longer than 2,000 characters.",
    "INVALID_LANGUAGE": "The chat is offered in English (en) or French (fr) only.",
    "CHAT_UNAVAILABLE": "Your reseller does not offer chat (not permitted or not enabled); "
                        "nothing was kept.",
    "NOT_A_SUBSCRIBER": "Only a subscriber's user opens a conversation (not reseller staff, "
                        "nor during direct access).",
    "TOO_MANY_MESSAGES": "More than 20 messages a minute from one user; `retryAfter` says how "
                         "many seconds to wait.",
    "TOO_MANY_OPEN_CONVERSATIONS": "The account already has 3 open (waiting or taken) "
                                   "conversations: close one first.",
    "TOO_MANY_SUBSCRIPTIONS": "More than 10 chat subscriptions on one WebSocket connection.",
    "NOT_ON_DUTY": "You (or the colleague to transfer to) are not on duty for the chat in the "
                   "conversation's language: setChatOnDuty first.",
    "NOT_PARTICIPANT": "Only the subscriber's side or the staff member who took the "
                       "conversation may do this (colleagues and system admins only read).",
    "ALREADY_TAKEN": "Someone else took the conversation first; the message names them.",
    "CLOSED": "The conversation is closed.",
    "NOT_CLOSED": "Close the conversation before emailing its transcript.",
    "NO_RECIPIENT": "The subscriber who opened the conversation has no email address.",
    "UNAVAILABLE": "Live updates cannot start for now (the pub/sub is unreachable); read the "
                   "conversation again instead.",
}, description="Why a live chat operation was refused.")

# Arguments naming a conversation.
ConversationIdArg = Annotated[strawberry.ID, strawberry.argument(
    description="The ChatConversation (its global ID), one you may see.")]
AfterMessageArg = Annotated[strawberry.ID | None, strawberry.argument(
    description="The last ChatMessage ID you have: only the messages after it (how a client "
    "catches up after losing its connection).")]


# --- nodes -----------------------------------------------------------------------------------

def _user_id(pk: int | None) -> strawberry.ID | None:
    return None if pk is None else global_id("User", pk)


@strawberry.type(name="ChatConversation",
                 description="A subscriber user's conversation with its reseller's support.")
class ChatConversationNode(RowNode):
    COLUMNS: ClassVar[tuple[str, ...]] = services.CONVERSATION_COLUMNS

    id: relay.NodeID[int]
    language: str = strawberry.field(description="The service language: en or fr.")
    status: ConversationStatus = strawberry.field(
        description="WAITING in the queue, ACTIVE once taken, or CLOSED.")
    outside_hours: bool = strawberry.field(
        description="Opened while the service was closed: the support address was emailed.")
    opened_by_name: str = strawberry.field(
        description="The name of the user who opened it (kept if the user is deleted).")
    assigned_to_name: str = strawberry.field(description="Who took it (empty while waiting).")
    created_at: DateTime = strawberry.field(description="When it was opened.")
    taken_at: DateTime | None = strawberry.field(
        description="When a staff member took it; null while waiting.")
    closed_at: DateTime | None = strawberry.field(
        description="When it was closed; null while open.")
    last_message_at: DateTime | None = strawberry.field(
        description="When its latest message or note was written; null before any.")
    reseller_id: strawberry.Private[int]
    account_id: strawberry.Private[int]
    opened_by_id: strawberry.Private[int | None]
    assigned_to_id: strawberry.Private[int | None]

    @classmethod
    def visible(cls, principal: Principal | None) -> QuerySet[Any]:
        return services.conversations_visible(principal)

    @strawberry.field(description="The subscriber's account.")
    async def account(self, info: strawberry.Info) -> AccountNode | None:
        return await account_loader(info).load(self.account_id)

    @strawberry.field(description="The user who opened it (a User id).")
    def opened_by(self) -> strawberry.ID | None:
        return _user_id(self.opened_by_id)

    @strawberry.field(description="The staff member who has it (a User id).")
    def assigned_to(self) -> strawberry.ID | None:
        return _user_id(self.assigned_to_id)


def _messages_visible(principal: Principal | None) -> QuerySet[Any]:
    return Message.filter(conversation_id__in=Subquery(
        services.conversations_visible(principal).values("id")))


@strawberry.type(name="ChatMessage", description="A message of a conversation, or a note of "
                 "what happened to it (taken, transferred, closed).")
class ChatMessageNode(RowNode):
    COLUMNS: ClassVar[tuple[str, ...]] = services.MESSAGE_COLUMNS

    id: relay.NodeID[int]
    kind: MessageKind = strawberry.field(
        description="TEXT written by a person, or a note (TAKEN, TRANSFERRED, CLOSED).")
    side: Side = strawberry.field(description="Which side wrote it (or acted, for a note).")
    sender_name: str = strawberry.field(
        description="The writer's name (kept if the user is deleted).")
    created_at: DateTime = strawberry.field(description="When it was written.")
    conversation_id: strawberry.Private[int]
    sender_id: strawberry.Private[int | None]
    body: strawberry.Private[str]

    @classmethod
    def visible(cls, principal: Principal | None) -> QuerySet[Any]:
        return _messages_visible(principal)

    @strawberry.field(description="What it says, in your language for a note.")
    def text(self, info: strawberry.Info) -> str:
        return services.message_text({"kind": self.kind, "body": self.body,
                                      "sender_name": self.sender_name}, info.context.language)

    @strawberry.field(description="Its conversation (a ChatConversation id).")
    def conversation(self) -> strawberry.ID:
        return global_id("ChatConversation", self.conversation_id)

    @strawberry.field(description="Who wrote it (a User id).")
    def sender(self) -> strawberry.ID | None:
        return _user_id(self.sender_id)


@strawberry.type(description="Someone is typing in a conversation.")
class ChatTyping:
    conversation: strawberry.ID = strawberry.field(
        description="The conversation (a ChatConversation id).")
    user: strawberry.ID = strawberry.field(description="Who is typing (a User id).")
    name: str = strawberry.field(description="Who is typing, by name.")
    side: Side = strawberry.field(description="Which side is typing.")
    at: DateTime = strawberry.field(description="When the notice was sent.")


@strawberry.type(description="How far a person has read a conversation.")
class ChatReadReceipt:
    conversation: strawberry.ID = strawberry.field(
        description="The conversation (a ChatConversation id).")
    user: strawberry.ID = strawberry.field(description="Who read it (a User id).")
    last_read_message: strawberry.ID = strawberry.field(
        description="The last message read (a ChatMessage id); it never moves backwards.")
    read_at: DateTime = strawberry.field(description="When it was read.")

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> ChatReadReceipt:
        read_at = row["read_at"]
        if isinstance(read_at, str):
            read_at = dt.datetime.fromisoformat(read_at)
        return cls(conversation=global_id("ChatConversation", row["conversation_id"]),
                   user=global_id("User", row["user_id"]),
                   last_read_message=global_id("ChatMessage", row["last_read_message_id"]),
                   read_at=read_at)


@strawberry.type(description="A staff member on duty for the chat.")
class ChatAgent:
    user: strawberry.ID = strawberry.field(description="The staff member (a User id).")
    name: str = strawberry.field(description="The staff member's name.")
    languages: list[str] = strawberry.field(
        description="The services the staff member answers: en and/or fr.")
    since: DateTime = strawberry.field(description="When the staff member went on duty.")


@strawberry.type(description="One live event of a conversation.")
class ChatEvent:
    kind: ChatEventKind = strawberry.field(
        description="What the event carries: MESSAGE, TYPING or READ.")
    conversation: strawberry.ID = strawberry.field(
        description="The conversation (a ChatConversation id).")
    message: ChatMessageNode | None = strawberry.field(
        default=None, description="The new message or note, for MESSAGE; null otherwise.")
    status: ConversationStatus | None = strawberry.field(
        default=None, description="The conversation's status after this message; null "
        "for messages replayed after afterMessage, and for other kinds.")
    typing: ChatTyping | None = strawberry.field(
        default=None, description="Who is typing, for TYPING; null otherwise.")
    read: ChatReadReceipt | None = strawberry.field(
        default=None, description="The read receipt, for READ; null otherwise.")


@strawberry.type(description="A change of the reseller's queue.")
class ChatQueueEvent:
    kind: ChatQueueEventKind = strawberry.field(description="How the queue changed.")
    conversation: ChatConversationNode | None = strawberry.field(
        description="The conversation concerned, as it is now.")


# --- helpers ---------------------------------------------------------------------------------

def _conversation_pk(raw: Any, field_path: list[str | int]) -> int:
    return node_pk(raw, "ChatConversation", field_path, CONVERSATION_NOT_FOUND)


def _message_pk(raw: Any, field_path: list[str | int]) -> int:
    return node_pk(raw, "ChatMessage", field_path, MESSAGE_NOT_FOUND)


async def _conversation(principal: Principal | None, pk: int) -> ChatConversationNode | None:
    [node] = await ChatConversationNode.load(principal, [pk])
    return node


# --- queries ---------------------------------------------------------------------------------

@strawberry.type
class ChatLiveQuery:
    @field(*SIGNED_IN, description="Conversations you may see, newest first: those of one "
           "account, in one status, with a message containing `search` (history by account).")
    async def chat_conversations(
        self, info: strawberry.Info,
        account_id: Annotated[strawberry.ID | None, strawberry.argument(
            description="Only this account's conversations (an Account global ID you may "
            "see).")] = None,
        status: Annotated[ConversationStatus | None, strawberry.argument(
            description="Only the conversations in this status.")] = None,
        search: Annotated[str | None, strawberry.argument(
            description="Only conversations with a message containing this text (any case; "
            "the first 200 characters count).")] = None,
        first: int | None = None, after: str | None = None,
    ) -> Connection[ChatConversationNode]:
        offset, limit = page_window(first, after, info.context.settings.max_page_size)
        account = (node_pk(account_id, "Account", ["accountId"], ACCOUNT_NOT_FOUND)
                   if given(account_id) else None)
        rows, total = await services.conversations_page(
            info.context.principal, account_id=account,
            status=status.value if status else None, search=search, offset=offset,
            limit=limit)
        return build_connection(rows, offset, limit, total, ChatConversationNode.from_row)

    @field(*RESELLER_STAFF, description="The waiting conversations in the languages you serve, "
           "oldest first (staff on duty).")
    async def chat_queue(self, info: strawberry.Info, first: int | None = None,
                         after: str | None = None) -> Connection[ChatConversationNode]:
        offset, limit = page_window(first, after, info.context.settings.max_page_size)
        rows, total = await services.queue_page(info.context.principal, offset=offset,
                                                limit=limit)
        return build_connection(rows, offset, limit, total, ChatConversationNode.from_row)

    @field(*SIGNED_IN, description="A conversation's messages, oldest first; with "
           "`afterMessage` only those after it: how a client that lost its connection catches "
           "up (then resubscribes with the last id it has).")
    async def chat_messages(
        self, info: strawberry.Info, conversation_id: ConversationIdArg,
        after_message: AfterMessageArg = None, first: int | None = None,
        after: str | None = None,
    ) -> Connection[ChatMessageNode]:
        offset, limit = page_window(first, after, info.context.settings.max_page_size)
        rows, total = await services.messages_page(
            info.context.principal, _conversation_pk(conversation_id, ["conversationId"]),
            after_id=(_message_pk(after_message, ["afterMessage"])
                      if given(after_message) else None),
            offset=offset, limit=limit)
        return build_connection(rows, offset, limit, total, ChatMessageNode.from_row)

    @field(*SIGNED_IN, description="Who has read a conversation how far (at most 50 people).")
    async def chat_read_receipts(self, info: strawberry.Info,
                                 conversation_id: ConversationIdArg) -> list[ChatReadReceipt]:
        rows = await services.read_receipts(
            info.context.principal, _conversation_pk(conversation_id, ["conversationId"]))
        return [ChatReadReceipt.from_row(row) for row in rows]

    @field(*RESELLER_STAFF, description="Your colleagues on duty for the chat (at most 100), "
           "to transfer a conversation to.")
    async def chat_agents_on_duty(self, info: strawberry.Info) -> list[ChatAgent]:
        rows = await services.agents_on_duty(info.context.principal)
        return [ChatAgent(user=global_id("User", r["user_id"]), name=r["name"],
                          languages=list(r["languages"]), since=r["since"]) for r in rows]


# --- mutations -------------------------------------------------------------------------------

_ERRORS = ("Why nothing was done, each with its field and a message in your language; empty "
           "on success.")


@strawberry.input(description="A subscriber's first message to its reseller's support.")
class OpenChatConversationInput:
    text: str = strawberry.field(
        description="The first message (not blank, at most 2,000 characters).")
    language: str | None = strawberry.field(
        default=None, description="en or fr: the service to reach (yours by default).")


@strawberry.type(description="What openChatConversation answers: the new conversation, and "
                 "whether the service was open, or why not.")
class OpenChatConversationPayload:
    conversation: ChatConversationNode | None = strawberry.field(
        default=None, description="The new conversation, waiting in the queue; null when "
        "refused.")
    message: ChatMessageNode | None = strawberry.field(
        default=None, description="The first message as kept; null when refused.")
    outside_hours: bool | None = strawberry.field(
        default=None, description="The service was closed: the message was kept and the "
        "support team emailed.")
    reopens_at: DateTime | None = strawberry.field(
        default=None, description="When the service reopens, when outside hours.")
    notice: str | None = strawberry.field(default=None,
                                          description="What to tell the user, in its language.")
    errors: list[ChatConversationError] = strawberry.field(default_factory=list,
                                                           description=_ERRORS)


CONVERSATION_ID = "The conversation (a ChatConversation global ID)."


@strawberry.input(description="A message to write in a conversation.")
class SendChatMessageInput:
    conversation_id: strawberry.ID = strawberry.field(description=CONVERSATION_ID)
    text: str = strawberry.field(
        description="The message (not blank, at most 2,000 characters).")


@strawberry.type(description="What sendChatMessage answers: the message, or why not.")
class SendChatMessagePayload:
    message: ChatMessageNode | None = strawberry.field(
        default=None, description="The message as kept; null when refused.")
    retry_after: int | None = strawberry.field(
        default=None, description="Seconds to wait when too many messages were sent.")
    errors: list[ChatConversationError] = strawberry.field(default_factory=list,
                                                           description=_ERRORS)


@strawberry.input(description="The conversation to act on.")
class ChatConversationInput:
    conversation_id: strawberry.ID = strawberry.field(description=CONVERSATION_ID)


@strawberry.type(description="What sendChatTyping answers.")
class SendChatTypingPayload:
    sent: bool | None = strawberry.field(
        default=None, description="True when the notice went out; null when refused.")
    errors: list[ChatConversationError] = strawberry.field(default_factory=list,
                                                           description=_ERRORS)


@strawberry.input(description="How far you have read a conversation.")
class MarkChatReadInput:
    conversation_id: strawberry.ID = strawberry.field(description=CONVERSATION_ID)
    message_id: strawberry.ID = strawberry.field(
        description="The last message read (a ChatMessage of that conversation).")


@strawberry.type(description="What markChatRead answers: the read receipt, or why not.")
class MarkChatReadPayload:
    receipt: ChatReadReceipt | None = strawberry.field(
        default=None, description="Your read receipt as kept (it never moves backwards); null "
        "when refused.")
    errors: list[ChatConversationError] = strawberry.field(default_factory=list,
                                                           description=_ERRORS)


@strawberry.input(description="Go on or off duty for the chat.")
class SetChatOnDutyInput:
    on_duty: bool = strawberry.field(description="True to go on duty, false to go off duty.")
    languages: list[str] | None = strawberry.field(
        default=None, description="en and/or fr (both by default).")


@strawberry.type(description="What setChatOnDuty answers: you on duty, or why not.")
class SetChatOnDutyPayload:
    agent: ChatAgent | None = strawberry.field(
        default=None, description="You on duty, with the languages you serve; null when off "
        "duty or refused.")
    errors: list[ChatConversationError] = strawberry.field(default_factory=list,
                                                           description=_ERRORS)


@strawberry.input(description="The conversation to hand over, and to whom.")
class TransferChatConversationInput:
    conversation_id: strawberry.ID = strawberry.field(description=CONVERSATION_ID)
    to_user_id: strawberry.ID = strawberry.field(
        description="A colleague on duty in the conversation's language (a User global ID).")


@strawberry.type(description="What takeChatConversation, transferChatConversation or "
                 "closeChatConversation answers: the conversation after the change, or why not.")
class ChatConversationPayload:
    conversation: ChatConversationNode | None = strawberry.field(
        default=None, description="The conversation after the change; null when refused.")
    errors: list[ChatConversationError] = strawberry.field(default_factory=list,
                                                           description=_ERRORS)


@strawberry.type(description="What emailChatTranscript answers: the email was queued, or why "
                 "not.")
class EmailChatTranscriptPayload:
    queued: bool | None = strawberry.field(
        default=None, description="True when the transcript email was queued (a job sends "
        "it); null when refused.")
    errors: list[ChatConversationError] = strawberry.field(default_factory=list,
                                                           description=_ERRORS)


# The mutations' input arguments.
OpenChatConversationArg = Annotated[OpenChatConversationInput, strawberry.argument(
    description="The first message, and the service language.")]
SendChatMessageArg = Annotated[SendChatMessageInput, strawberry.argument(
    description="The conversation and the message.")]
ChatConversationArg = Annotated[ChatConversationInput, strawberry.argument(
    description="The conversation.")]
MarkChatReadArg = Annotated[MarkChatReadInput, strawberry.argument(
    description="The conversation and the last message read.")]
SetChatOnDutyArg = Annotated[SetChatOnDutyInput, strawberry.argument(
    description="On or off duty, and the languages served.")]
TransferChatConversationArg = Annotated[TransferChatConversationInput, strawberry.argument(
    description="The conversation and the colleague.")]


def _input_conversation(raw: strawberry.ID) -> int:
    return _conversation_pk(raw, ["input", "conversationId"])


@strawberry.type
class ChatLiveMutation:
    @mutation(*SUBSCRIBERS, errors=ChatConversationError,
              description="Write to your reseller's support: the conversation waits in the "
              "queue while the chat is open in that language; outside hours the message is "
              "kept, the support team emailed, and the answer says when the chat reopens.")
    async def open_chat_conversation(
        self, info: strawberry.Info, input: OpenChatConversationArg
    ) -> OpenChatConversationPayload:
        principal = info.context.principal
        opened = await services.open_conversation(principal, input.text, input.language)
        return OpenChatConversationPayload(
            conversation=await _conversation(principal, opened.conversation_id),
            message=ChatMessageNode.from_row(opened.message),
            outside_hours=opened.outside_hours, reopens_at=opened.reopens_at,
            notice=(opened.notice.render(info.context.language, **opened.notice_values)
                    if opened.notice else None))

    @mutation(*PARTICIPANTS, errors=ChatConversationError,
              description="Write in a conversation: the subscriber's side, or the staff "
              "member who took it.")
    async def send_chat_message(self, info: strawberry.Info,
                                input: SendChatMessageArg) -> SendChatMessagePayload:
        row = await services.post_message(info.context.principal,
                                          _input_conversation(input.conversation_id), input.text)
        return SendChatMessagePayload(message=ChatMessageNode.from_row(row))

    @mutation(*PARTICIPANTS, errors=ChatConversationError,
              description="Tell the other side you are typing (not stored).")
    async def send_chat_typing(self, info: strawberry.Info,
                               input: ChatConversationArg) -> SendChatTypingPayload:
        await services.notify_typing(info.context.principal,
                                     _input_conversation(input.conversation_id))
        return SendChatTypingPayload(sent=True)

    @mutation(*PARTICIPANTS, errors=ChatConversationError,
              description="You have read a conversation up to a message (a read receipt).")
    async def mark_chat_read(self, info: strawberry.Info,
                             input: MarkChatReadArg) -> MarkChatReadPayload:
        row = await services.mark_read(info.context.principal,
                                       _input_conversation(input.conversation_id),
                                       _message_pk(input.message_id, ["input", "messageId"]))
        return MarkChatReadPayload(receipt=ChatReadReceipt.from_row(row))

    @mutation(*RESELLER_STAFF, errors=ChatConversationError,
              description="Go on (or off) duty for the chat, in English and/or French.")
    async def set_chat_on_duty(self, info: strawberry.Info,
                               input: SetChatOnDutyArg) -> SetChatOnDutyPayload:
        principal = info.context.principal
        duty = await services.set_on_duty(principal, input.on_duty, input.languages)
        if duty is None:
            return SetChatOnDutyPayload(agent=None)
        rows = [r for r in await services.agents_on_duty(principal)
                if r["user_id"] == duty.user_id]
        return SetChatOnDutyPayload(agent=ChatAgent(
            user=global_id("User", duty.user_id), name=rows[0]["name"] if rows else "",
            languages=list(duty.languages), since=duty.since))

    @mutation(*RESELLER_STAFF, errors=ChatConversationError,
              description="Take a waiting conversation (staff on duty in its language).")
    async def take_chat_conversation(self, info: strawberry.Info,
                                     input: ChatConversationArg) -> ChatConversationPayload:
        principal = info.context.principal
        pk = await services.take(principal, _input_conversation(input.conversation_id))
        return ChatConversationPayload(conversation=await _conversation(principal, pk))

    @mutation(*RESELLER_STAFF, errors=ChatConversationError,
              description="Hand a conversation to a colleague on duty in its language.")
    async def transfer_chat_conversation(
        self, info: strawberry.Info, input: TransferChatConversationArg
    ) -> ChatConversationPayload:
        principal = info.context.principal
        pk = await services.transfer(
            principal, _input_conversation(input.conversation_id),
            node_pk(input.to_user_id, "User", ["input", "toUserId"]))
        return ChatConversationPayload(conversation=await _conversation(principal, pk))

    @mutation(*PARTICIPANTS, errors=ChatConversationError,
              description="End a conversation (its subscriber, the staff member who has it, "
              "or the reseller's admin).")
    async def close_chat_conversation(self, info: strawberry.Info,
                                      input: ChatConversationArg) -> ChatConversationPayload:
        principal = info.context.principal
        pk = await services.close(principal, _input_conversation(input.conversation_id))
        return ChatConversationPayload(conversation=await _conversation(principal, pk))

    @mutation(*PARTICIPANTS, errors=ChatConversationError,
              description="Email a closed conversation's transcript to the subscriber who "
              "opened it.")
    async def email_chat_transcript(self, info: strawberry.Info,
                                    input: ChatConversationArg) -> EmailChatTranscriptPayload:
        await services.email_transcript(info.context.principal,
                                        _input_conversation(input.conversation_id))
        return EmailChatTranscriptPayload(queued=True)


# --- subscriptions ---------------------------------------------------------------------------

def _refusal(problem: Problem, language: str) -> StrawberryGraphQLError:
    return StrawberryGraphQLError(problem.message(language),
                                  extensions={"code": problem.code_name})


def _unavailable(language: str) -> StrawberryGraphQLError:
    return _refusal(Problem(ChatConversationErrorCode.UNAVAILABLE, LIVE_UNAVAILABLE), language)


class _Slots:
    """The chat subscriptions one WebSocket holds (``subscriptions_per_connection``)."""

    def __init__(self, info: strawberry.Info) -> None:
        scope = info.context.request.scope
        self.counter: list[int] = scope.setdefault(_SLOTS, [0])
        self.limit = services.LIMITS.subscriptions_per_connection

    def problem(self) -> Problem:
        return Problem(ChatConversationErrorCode.TOO_MANY_SUBSCRIPTIONS, TOO_MANY_SUBSCRIPTIONS,
                       None, max=self.limit)

    def check(self, language: str) -> None:
        if self.counter[0] >= self.limit:
            raise _refusal(self.problem(), language)


async def _listen(channel: str, language: str) -> Subscription:
    bus = current_pubsub()
    if bus is None:
        raise _unavailable(language)
    try:
        return await bus.subscribe(channel)
    except PubSubError:
        raise _unavailable(language) from None


def _event(message: dict[str, Any]) -> ChatEvent | None:
    kind = message.get("type")
    if kind == events.MESSAGE:
        row = events.decode_message(message["message"])
        return ChatEvent(kind=ChatEventKind.MESSAGE,
                         conversation=global_id("ChatConversation", row["conversation_id"]),
                         message=ChatMessageNode.from_row(row),
                         status=ConversationStatus(message["status"]) if message.get(
                             "status") else None)
    if kind == events.TYPING:
        typing = message["typing"]
        return ChatEvent(kind=ChatEventKind.TYPING,
                         conversation=global_id("ChatConversation", typing["conversation_id"]),
                         typing=ChatTyping(
                             conversation=global_id("ChatConversation",
                                                    typing["conversation_id"]),
                             user=global_id("User", typing["user_id"]), name=typing["name"],
                             side=Side(typing["side"]),
                             at=dt.datetime.fromisoformat(typing["at"])))
    if kind == events.READ:
        read = message["read"]
        return ChatEvent(kind=ChatEventKind.READ,
                         conversation=global_id("ChatConversation", read["conversation_id"]),
                         read=ChatReadReceipt.from_row(read))
    return None


async def _missed(conversation_id: int, after_id: int) -> AsyncGenerator[dict[str, Any], None]:
    """Every message after ``after_id``, read ``REPLAY_MAX`` at a time."""
    while True:
        rows = await services.messages_after(conversation_id, after_id, REPLAY_MAX)
        for row in rows:
            after_id = max(after_id, row["id"])
            yield row
        if len(rows) < REPLAY_MAX:
            return


async def _conversation_events(slots: _Slots, conversation_id: int, after_id: int | None,
                               language: str) -> AsyncGenerator[ChatEvent, None]:
    """Replayed messages after ``after_id``, then live events. Subscribes before reading, so a
    message committed meanwhile arrives live (and is skipped if already replayed). A subscriber
    too slow for its queue (the pub/sub drops its oldest events) gets the messages it missed
    from the database before the next live one: only typing notices and receipts are lost."""
    if slots.counter[0] >= slots.limit:
        raise _refusal(slots.problem(), language)
    slots.counter[0] += 1
    try:
        subscription = await _listen(events.conversation_channel(conversation_id), language)
        async with subscription:
            # Without a cursor, live events only: a catch-up (after a drop or a gap) starts
            # from the last message written before subscribing, not from the first.
            last = (after_id if after_id is not None
                    else await services.latest_message_id(conversation_id))
            drops = 0
            replay = after_id is not None
            while True:
                if replay:
                    replay = False
                    async for row in _missed(conversation_id, last):
                        last = max(last, row["id"])
                        yield ChatEvent(
                            kind=ChatEventKind.MESSAGE,
                            conversation=global_id("ChatConversation", conversation_id),
                            message=ChatMessageNode.from_row(row))
                try:
                    message = await anext(subscription)
                except StopAsyncIteration:  # the pub/sub closed (shutdown)
                    return
                if subscription.dropped != drops:
                    drops, replay = subscription.dropped, True
                event = _event(message)
                if event is None:
                    continue
                if event.message is not None:
                    if int(event.message.id) <= last:
                        continue  # replayed already
                    if replay:
                        continue  # read again from the database, in order
                    last = int(event.message.id)
                yield event
    finally:
        slots.counter[0] -= 1


async def _queue_events(slots: _Slots, principal: Principal, reseller_id: int,
                        languages: list[str], language: str
                        ) -> AsyncGenerator[ChatQueueEvent, None]:
    if slots.counter[0] >= slots.limit:
        raise _refusal(slots.problem(), language)
    slots.counter[0] += 1
    try:
        subscription = await _listen(events.queue_channel(reseller_id), language)
        async with subscription:
            async for message in subscription:
                if message is PUBSUB_GAP:
                    yield ChatQueueEvent(kind=ChatQueueEventKind.INTERRUPTED, conversation=None)
                    continue
                try:
                    kind = ChatQueueEventKind(message.get("type"))
                except ValueError:
                    continue
                node = await _conversation(principal, int(message["conversation_id"]))
                if node is None or node.language not in languages:
                    continue
                yield ChatQueueEvent(kind=kind, conversation=node)
    finally:
        slots.counter[0] -= 1


@strawberry.type
class ChatLiveSubscription:
    @strawberry.subscription(
        extensions=allow(*PARTICIPANTS),
        description="A conversation's new messages (and notes), typing notices and read "
        "receipts, live. With `afterMessage` (the last message id you have) the messages "
        "missed since come first. Its subscriber's users and the reseller's staff.")
    async def chat_conversation_events(
        self, info: strawberry.Info, conversation_id: ConversationIdArg,
        after_message: Annotated[strawberry.ID | None, strawberry.argument(
            description="The last ChatMessage ID you have: the messages after it are replayed "
            "first, then the live events, so a dropped connection resumes without a gap.")] = None,
    ) -> AsyncIterator[ChatEvent]:
        language = info.context.language
        principal = info.context.principal
        slots = _Slots(info)
        try:
            conversation = await services.conversation_for(
                principal, _conversation_pk(conversation_id, ["conversationId"]),
                ["conversationId"])
            after_id = (_message_pk(after_message, ["afterMessage"])
                        if given(after_message) else None)
        except Problem as problem:
            raise _refusal(problem, language) from None
        slots.check(language)
        # Returned rather than yielded from here, so that a refusal above is the operation's
        # error message instead of a first "next" carrying errors.
        return _conversation_events(slots, conversation.id, after_id, language)

    @strawberry.subscription(
        extensions=allow(*RESELLER_STAFF),
        description="Your reseller's queue changing (a conversation waiting, taken, "
        "transferred, closed) in the languages you serve; staff on duty. Read chatQueue "
        "after subscribing for the current state.")
    async def chat_queue_changed(self, info: strawberry.Info) -> AsyncIterator[ChatQueueEvent]:
        language = info.context.language
        principal = info.context.principal
        slots = _Slots(info)
        try:
            duty = await services.require_duty(principal)
        except Problem as problem:
            raise _refusal(problem, language) from None
        slots.check(language)
        return _queue_events(slots, principal, duty.reseller_id, list(duty.languages),
                             language)
