"""What the live-chat tests share: the real app with every plugin of plugins.toml (one per test
module), a real SMTP server on loopback, resellers whose chat is open (or closed) in both
languages, and GraphQL documents."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from strawberry.relay import to_base64

from gateway.identity.models import Reseller, User, UserRole
from plugins.chat.models import ChatSettings, ScheduleKind, SpecialEvent, WeeklySchedule
from tests.conftest import Gateway, make_settings, start_gateway
from tests.gateway.test_email import SmtpServer, free_port
from tests.support.identity_factory import Tenant, bearer_for, make_tenant, make_user

JOB_OPTIONS = {"relay_interval": 0.05, "scheduler_tick": 0.2, "in_process_workers": True}
TIMEOUT = 15.0  # a guard against a hung test, not a measure

OPEN = """mutation($input: OpenChatConversationInput!) { openChatConversation(input: $input) {
  conversation { id status language outsideHours openedByName account { id } }
  message { id text side kind } outsideHours reopensAt notice
  errors { code field message } } }"""
SEND = """mutation($input: SendChatMessageInput!) { sendChatMessage(input: $input) {
  message { id text side senderName conversation } retryAfter errors { code field message } } }"""
TYPING = """mutation($input: ChatConversationInput!) { sendChatTyping(input: $input) {
  sent errors { code field message } } }"""
READ = """mutation($input: MarkChatReadInput!) { markChatRead(input: $input) {
  receipt { user lastReadMessage readAt } errors { code field message } } }"""
DUTY = """mutation($input: SetChatOnDutyInput!) { setChatOnDuty(input: $input) {
  agent { user name languages } errors { code field message } } }"""
TAKE = """mutation($input: ChatConversationInput!) { takeChatConversation(input: $input) {
  conversation { id status assignedTo assignedToName } errors { code field message } } }"""
TRANSFER = """mutation($input: TransferChatConversationInput!) {
  transferChatConversation(input: $input) {
  conversation { id status assignedTo assignedToName } errors { code field message } } }"""
CLOSE = """mutation($input: ChatConversationInput!) { closeChatConversation(input: $input) {
  conversation { id status closedAt } errors { code field message } } }"""
TRANSCRIPT = """mutation($input: ChatConversationInput!) { emailChatTranscript(input: $input) {
  queued errors { code field message } } }"""
QUEUE = """query($first: Int) { chatQueue(first: $first) { totalCount
  nodes { id language status openedByName } } }"""
CONVERSATIONS = """query($accountId: ID, $status: ChatConversationStatus, $search: String,
  $first: Int) { chatConversations(accountId: $accountId, status: $status, search: $search,
  first: $first) { totalCount nodes { id status language openedByName assignedToName
  account { name } } } }"""
MESSAGES = """query($c: ID!, $after: ID, $first: Int) { chatMessages(conversationId: $c,
  afterMessage: $after, first: $first) { totalCount
  nodes { id kind side senderName text createdAt } } }"""
RECEIPTS = """query($c: ID!) { chatReadReceipts(conversationId: $c) {
  user lastReadMessage } }"""
AGENTS = """{ chatAgentsOnDuty { user name languages } }"""

EVENTS = """subscription($c: ID!, $after: ID) { chatConversationEvents(conversationId: $c,
  afterMessage: $after) { kind conversation status
  message { id text side senderName kind }
  typing { name side } read { user lastReadMessage } } }"""
QUEUE_EVENTS = """subscription { chatQueueChanged { kind
  conversation { id status language assignedToName } } }"""


def gid(kind: str, pk: int) -> str:
    return to_base64(kind, pk)


async def chat_hours(reseller: Reseller, *, open_: bool = True,
                     languages: tuple[str, ...] = ("en", "fr")) -> None:
    """Chat permitted and enabled, open (or closed) all day every day in ``languages``."""
    await ChatSettings.update_or_create(
        defaults={"permitted": True, "enabled": True, "time_zone": "America/Toronto"},
        reseller_id=reseller.id)
    await WeeklySchedule.filter(reseller_id=reseller.id).delete()
    for language in languages:
        await WeeklySchedule.create(reseller_id=reseller.id, language=language,
                                    kind=ScheduleKind.CUSTOM, name="Always", days=127,
                                    all_day=True, open=open_)


async def closed_until(reseller: Reseller, language: str, until: dt.datetime) -> None:
    """A closing special event from an hour ago to ``until`` (the service reopens then)."""
    now = dt.datetime.now(dt.UTC)
    await SpecialEvent.create(reseller_id=reseller.id, language=language, name="Fermeture",
                              starts_at=now - dt.timedelta(hours=1), ends_at=until, open=False)


@dataclass
class Chat:
    """A tenant whose chat is open, with a delegate colleague, and their sessions' headers."""

    tenant: Tenant
    colleague: User
    headers: dict[str, dict[str, str]]

    @property
    def reseller(self) -> Reseller:
        return self.tenant.reseller


async def make_chat(name: str, *, open_: bool = True) -> Chat:
    tenant = await make_tenant(name)
    # The employee reads French (its session's language), the others English.
    await User.filter(id=tenant.employee.id).update(language="fr")
    tenant.employee.language = "fr"
    await chat_hours(tenant.reseller, open_=open_)
    colleague = await make_user(UserRole.RESELLER_ADMIN, reseller=tenant.reseller)
    headers = {
        "staff": await bearer_for(tenant.admin),
        "colleague": await bearer_for(colleague),
        "company admin": await bearer_for(tenant.company_admin),
        "employee": await bearer_for(tenant.employee),
        "professional": await bearer_for(tenant.professional),
    }
    return Chat(tenant, colleague, headers)


class Caller:
    """GraphQL over HTTP as one person."""

    def __init__(self, gateway: Gateway, headers: dict[str, str]) -> None:
        self.gateway = gateway
        self.headers = headers

    async def __call__(self, query: str, **variables: Any) -> dict[str, Any]:
        return await self.gateway.graphql(query, variables, **self.headers)

    async def data(self, query: str, **variables: Any) -> dict[str, Any]:
        result = await self(query, **variables)
        assert "errors" not in result, result
        (value,) = result["data"].values()
        assert isinstance(value, dict), result
        return value

    async def ok(self, query: str, **variables: Any) -> dict[str, Any]:
        """A mutation's payload, asserting it reports no error."""
        payload = await self.data(query, **variables)
        assert payload["errors"] == [], payload
        return payload


def caller(gateway: Gateway, chat: Chat, who: str, language: str = "en") -> Caller:
    return Caller(gateway, {**chat.headers[who], "Accept-Language": language})


@pytest.fixture(scope="module")
def smtp() -> Any:
    server = SmtpServer(port=free_port())
    controller = Controller(server, hostname="127.0.0.1", port=server.port)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()


@pytest.fixture(scope="module")
async def chat_gateway(migrated: str, tmp_path_factory: pytest.TempPathFactory,
                       smtp: SmtpServer) -> AsyncIterator[Gateway]:
    """The real app (every plugin of plugins.toml), its jobs run in-process, email to SMTP."""
    settings = make_settings(migrated, tmp_path_factory.mktemp("chat"),
                             email_url=f"smtp://127.0.0.1:{smtp.port}")
    async for running in start_gateway(settings, job_options=JOB_OPTIONS):
        yield running


async def wait_for(predicate: Callable[[], Awaitable[bool]], timeout: float = TIMEOUT) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


async def mails_to(smtp: SmtpServer, address: str, count: int = 1) -> list[Any]:
    """The messages the SMTP server accepted for ``address`` (waiting for ``count``)."""

    async def arrived() -> bool:
        return len([m for m in smtp.messages if address in m.rcpt_tos]) >= count

    await wait_for(arrived)
    return [m.message for m in smtp.messages if address in m.rcpt_tos]


def body_text(message: Any) -> str:
    part = message.get_body(preferencelist=("plain",))
    return str(part.get_content())


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)
