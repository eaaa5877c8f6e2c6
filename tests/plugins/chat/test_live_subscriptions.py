"""Chat subscriptions over graphql-transport-ws: the real app served by uvicorn on loopback,
real WebSocket clients signed in with real sessions, events carried by the configured pub/sub
(in-process; Redis with TEST_BROKER_URL=redis://…). A subscriber and a staff member converse,
the queue changes live, another reseller hears nothing, refusals are coded, the subscriptions
of one connection are capped, and a client that dropped resumes with ``afterMessage``."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from plugins.chat.conversations import LIMITS
from tests.conftest import Gateway
from tests.gateway.test_subscriptions import Client, Server
from tests.plugins.chat.live_support import (
    DUTY,
    EVENTS,
    OPEN,
    QUEUE_EVENTS,
    READ,
    SEND,
    TAKE,
    TYPING,
    Chat,
    caller,
    make_chat,
)

QUIET = 0.3  # how long "nothing arrives" is watched, after a ping proved the socket answers


@pytest.fixture(scope="module")
async def server(chat_gateway: Gateway) -> AsyncIterator[Server]:
    async with Server(chat_gateway).running() as running:
        yield running


@pytest.fixture
async def alpha(chat_gateway: Gateway) -> Chat:
    return await make_chat("Alpha Live")


@pytest.fixture
async def beta(chat_gateway: Gateway) -> Chat:
    return await make_chat("Beta Live")


@contextlib.asynccontextmanager
async def connected(server: Server, chat: Chat, who: str) -> AsyncIterator[Client]:
    async with server.client(headers=chat.headers[who]) as client:
        yield client


async def next_data(client: Client, op_id: str, field: str = "chatConversationEvents"
                    ) -> dict[str, Any]:
    message = await client.receive()
    assert message.get("id") == op_id and message["type"] == "next", message
    assert "errors" not in message["payload"], message
    value = message["payload"]["data"][field]
    assert isinstance(value, dict)
    return value


async def refused(client: Client, op_id: str) -> list[str]:
    message = await client.receive()
    assert message.get("id") == op_id and message["type"] == "error", message
    return [e["extensions"]["code"] for e in message["payload"]]


async def silent(client: Client) -> None:
    """Nothing is waiting for this client: a ping is answered by the pong first, and nothing
    follows for a while."""
    await client.send({"type": "ping"})
    assert (await client.receive())["type"] == "pong"
    try:
        extra = await asyncio.wait_for(client.ws.recv(), QUIET)
    except TimeoutError:
        return
    raise AssertionError(f"unexpected message: {json.loads(extra)}")


async def test_a_subscriber_and_the_staff_converse_live(
    chat_gateway: Gateway, server: Server, alpha: Chat, beta: Chat
) -> None:
    staff_http = caller(chat_gateway, alpha, "staff")
    employee_http = caller(chat_gateway, alpha, "employee")
    await staff_http.ok(DUTY, input={"onDuty": True})
    await caller(chat_gateway, beta, "staff").ok(DUTY, input={"onDuty": True})

    async with connected(server, alpha, "staff") as staff, \
            connected(server, beta, "staff") as beta_staff, \
            connected(server, alpha, "employee") as employee:
        await staff.subscribe("queue", QUEUE_EVENTS, {})
        await beta_staff.subscribe("queue", QUEUE_EVENTS, {})
        await silent(staff)  # subscribed (the server answered a later ping first)
        await silent(beta_staff)

        opened = await employee_http.ok(OPEN, input={"text": "Au secours", "language": "fr"})
        cid = opened["conversation"]["id"]
        waiting = await next_data(staff, "queue", "chatQueueChanged")
        assert waiting["kind"] == "WAITING" and waiting["conversation"]["id"] == cid

        await employee.subscribe("c", EVENTS, {"c": cid})
        await silent(employee)
        await staff_http.ok(TAKE, input={"conversationId": cid})
        taken = await next_data(staff, "queue", "chatQueueChanged")
        assert (taken["kind"], taken["conversation"]["assignedToName"]) == (
            "TAKEN", f"{alpha.tenant.admin.first_name} {alpha.tenant.admin.last_name}")
        note = await next_data(employee, "c")
        assert (note["kind"], note["status"], note["message"]["kind"]) == (
            "MESSAGE", "ACTIVE", "TAKEN")
        assert "s'est joint à la conversation" in note["message"]["text"]  # the employee: fr

        await staff.subscribe("c", EVENTS, {"c": cid})
        await silent(staff)
        sent = await staff_http.ok(SEND, input={"conversationId": cid, "text": "Bonjour!"})
        live = await next_data(employee, "c")
        assert live["message"]["id"] == sent["message"]["id"]
        assert (live["message"]["text"], live["message"]["side"]) == ("Bonjour!", "STAFF")
        assert (await next_data(staff, "c"))["message"]["id"] == sent["message"]["id"]

        await employee_http.ok(TYPING, input={"conversationId": cid})
        typing = await next_data(staff, "c")
        assert typing["kind"] == "TYPING" and typing["typing"]["side"] == "SUBSCRIBER"
        assert (await next_data(employee, "c"))["kind"] == "TYPING"  # its own, too
        await employee_http.ok(READ, input={"conversationId": cid,
                                            "messageId": sent["message"]["id"]})
        read = await next_data(staff, "c")
        assert read["kind"] == "READ"
        assert read["read"]["lastReadMessage"] == sent["message"]["id"]
        assert (await next_data(employee, "c"))["kind"] == "READ"

        # Reseller Beta's staff heard none of it; its own queue still works.
        await silent(beta_staff)
        theirs = await caller(chat_gateway, beta, "professional").ok(
            OPEN, input={"text": "Beta here", "language": "en"})
        beta_event = await next_data(beta_staff, "queue", "chatQueueChanged")
        assert beta_event["conversation"]["id"] == theirs["conversation"]["id"]
        await silent(staff)


async def test_refusals_are_coded_and_subscriptions_capped(
    chat_gateway: Gateway, server: Server, alpha: Chat, beta: Chat
) -> None:
    opened = await caller(chat_gateway, alpha, "employee").ok(OPEN, input={"text": "Privé"})
    cid = opened["conversation"]["id"]
    async with connected(server, beta, "employee") as stranger:
        await stranger.subscribe("c", EVENTS, {"c": cid})
        assert await refused(stranger, "c") == ["NOT_FOUND"]
    async with connected(server, beta, "staff") as stranger:
        await stranger.subscribe("c", EVENTS, {"c": cid})
        assert await refused(stranger, "c") == ["NOT_FOUND"]
        await stranger.subscribe("q", QUEUE_EVENTS, {})  # not on duty
        assert await refused(stranger, "q") == ["NOT_ON_DUTY"]
    async with server.client() as anonymous:
        await anonymous.subscribe("c", EVENTS, {"c": cid})
        assert await refused(anonymous, "c") == ["UNAUTHENTICATED"]

    async with connected(server, alpha, "employee") as employee:
        for n in range(LIMITS.subscriptions_per_connection):
            await employee.subscribe(f"s{n}", EVENTS, {"c": cid})
        await silent(employee)
        await employee.subscribe("over", EVENTS, {"c": cid})
        assert await refused(employee, "over") == ["TOO_MANY_SUBSCRIPTIONS"]
        await employee.send({"id": "s0", "type": "complete"})
        await silent(employee)
        await employee.subscribe("again", EVENTS, {"c": cid})
        await silent(employee)  # accepted: no error
        sent = await caller(chat_gateway, alpha, "employee").ok(
            SEND, input={"conversationId": cid, "text": "à tous"})
        ids = set()
        for _ in range(LIMITS.subscriptions_per_connection):
            message = await employee.receive()
            assert message["payload"]["data"]["chatConversationEvents"]["message"]["id"] == \
                sent["message"]["id"]
            ids.add(message["id"])
        assert "s0" not in ids and "again" in ids


async def test_a_dropped_connection_resumes_after_its_last_message(
    chat_gateway: Gateway, server: Server, alpha: Chat
) -> None:
    employee_http = caller(chat_gateway, alpha, "employee")
    opened = await employee_http.ok(OPEN, input={"text": "un"})
    cid = opened["conversation"]["id"]
    async with connected(server, alpha, "employee") as employee:
        await employee.subscribe("c", EVENTS, {"c": cid})
        await silent(employee)
        first = await employee_http.ok(SEND, input={"conversationId": cid, "text": "deux"})
        assert (await next_data(employee, "c"))["message"]["text"] == "deux"
    # Dropped; meanwhile two messages are written.
    for text in ("trois", "quatre"):
        await employee_http.ok(SEND, input={"conversationId": cid, "text": text})
    async with connected(server, alpha, "employee") as employee:
        await employee.subscribe("c", EVENTS, {"c": cid, "after": first["message"]["id"]})
        replayed = [(await next_data(employee, "c"))["message"]["text"] for _ in range(2)]
        assert replayed == ["trois", "quatre"]
        await employee_http.ok(SEND, input={"conversationId": cid, "text": "cinq"})
        assert (await next_data(employee, "c"))["message"]["text"] == "cinq"
        await silent(employee)  # nothing twice


async def test_events_lost_by_the_pub_sub_are_caught_up_without_the_client(
    chat_gateway: Gateway, server: Server, alpha: Chat
) -> None:
    """The pub/sub loses its connection for a moment (Redis restarting: what is published
    meanwhile is gone). Once it is back, the open conversation subscription replays the messages
    written meanwhile from the database, in order, once, and the queue's subscribers are told
    to fetch the queue again: the clients do nothing."""
    from gateway import pubsub
    from plugins.chat import events
    from tests.support.pubsub_gap import events_lost

    staff_http = caller(chat_gateway, alpha, "staff")
    employee_http = caller(chat_gateway, alpha, "employee")
    await staff_http.ok(DUTY, input={"onDuty": True})
    opened = await employee_http.ok(OPEN, input={"text": "avant"})
    cid = opened["conversation"]["id"]
    bus = pubsub.current()
    assert bus is not None
    async with connected(server, alpha, "employee") as employee, \
            connected(server, alpha, "staff") as staff:
        await employee.subscribe("c", EVENTS, {"c": cid})
        await staff.subscribe("queue", QUEUE_EVENTS, {})
        await silent(employee)
        await silent(staff)
        async with events_lost(bus, events.conversation_channel(_pk(cid)),
                               events.queue_channel(alpha.reseller.id)):
            missed = [(await employee_http.ok(SEND, input={"conversationId": cid,
                                                          "text": text}))["message"]["id"]
                      for text in ("pendant 1", "pendant 2")]
            await staff_http.ok(TAKE, input={"conversationId": cid})  # the queue changed
        caught_up = []
        while len(caught_up) < 3:  # the two messages and the TAKEN note, as written
            event = await next_data(employee, "c")
            assert event["kind"] == "MESSAGE", event
            caught_up.append(event["message"])
        assert [m["id"] for m in caught_up[:2]] == missed
        assert caught_up[2]["kind"] == "TAKEN"
        interrupted = await next_data(staff, "queue", "chatQueueChanged")
        assert interrupted == {"kind": "INTERRUPTED", "conversation": None}
        # Live again, and nothing twice.
        after = await employee_http.ok(SEND, input={"conversationId": cid, "text": "après"})
        assert (await next_data(employee, "c"))["message"]["id"] == after["message"]["id"]
        await silent(employee)


def _pk(global_id: str) -> int:
    from strawberry.relay import from_base64

    return int(from_base64(global_id)[1])


async def test_a_subscriber_too_slow_for_its_queue_misses_no_message(
    chat_gateway: Gateway, alpha: Chat
) -> None:
    """The pub/sub drops a slow subscriber's oldest events (its queue is bounded); the
    subscription notices and reads the missed messages from the database, in order."""
    from types import SimpleNamespace

    from strawberry.relay import from_base64

    from gateway import pubsub
    from plugins.chat import conversation_schema, conversations, events

    opened = await caller(chat_gateway, alpha, "employee").ok(OPEN, input={"text": "0"})
    cid = int(from_base64(opened["conversation"]["id"])[1])
    running = pubsub.current()
    tiny = pubsub.InProcessPubSub(max_pending=2)
    pubsub.set_current(tiny)
    slots = SimpleNamespace(counter=[0], limit=10, problem=None)
    stream = conversation_schema._conversation_events(slots, cid, None, "en")  # type: ignore[arg-type]
    try:
        first = asyncio.create_task(anext(stream))
        while not tiny.subscriber_count(events.conversation_channel(cid)):
            await asyncio.sleep(0.01)
        principal = SimpleNamespace(role="EMPLOYEE", user_id=alpha.tenant.employee.id,
                                    account_id=alpha.tenant.company.id, reseller_id=None,
                                    direct_access=False, language="fr")
        sent = [(await conversations.post_message(principal, cid, f"m{n}"))["id"]  # type: ignore[arg-type]
                for n in range(8)]
        received = [int((await first).message.id)]  # type: ignore[union-attr]
        while len(received) < len(sent):
            event = await asyncio.wait_for(anext(stream), 15)
            if event.message is not None:
                received.append(int(event.message.id))
        assert received == sent
    finally:
        await stream.aclose()
        pubsub.set_current(running)
        await tiny.close()
    assert slots.counter == [0]
