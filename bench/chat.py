"""Chat: messages per second delivered live to many connected subscribers through the Redis
fan-out, and the delivery delay (p50 / p99), against a raw Redis publish/subscribe loop in the
same run.

Ours: one `gateway serve` process (production settings, ``PUBSUB_URL`` Redis) holds the
WebSocket connections, each subscribed (graphql-transport-ws, a real session) to one
conversation's ``chatConversationEvents``; this process publishes the messages as another
gateway process does after committing one (``plugins.chat.events.message_posted``, through
Redis). Each message goes: Redis → the serve process's one subscriber connection → its
in-process fan-out → the GraphQL subscription of each socket → a WebSocket frame → the client.

Baseline of the same run: as many raw Redis subscriber connections (redis-py asyncio) on one
channel, the same messages published to it: Redis itself fanning out, no gateway at all.

Both publish the messages back to back (a burst) and count every delivery; the delay is from
the publish to the client's receipt (same machine, same clock), queueing included. The clients
run in this process (asyncio), on the same two cores as the server.

    .venv/bin/python -m bench.chat [--quick] [--database postgres] [--redis-url URL]
        [--set subscribers=N] [--set messages=N]

Sizes: subscribers (1,000; quick 100), messages (50; quick 20).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import statistics
import time
import uuid
from typing import Any

from bench.support import (
    Options,
    Row,
    ServeProcess,
    main_for,
    note,
    settings_for,
)

BENCHMARK = "Chat"
TIMEOUT = 300.0
SUBSCRIPTION = """subscription($c: ID!) { chatConversationEvents(conversationId: $c) {
  message { text } } }"""


async def prepare(settings: Any) -> tuple[int, str]:
    """A fresh database with one reseller, one account, a staff member's session and one
    conversation; returns the conversation's id and the session's bearer token."""
    from bench.support import fresh_database
    from gateway import db
    from gateway.identity.codes import new_can
    from gateway.identity.models import Account, AccountKind, Reseller, User, UserRole
    from gateway.identity.secrets import hash_secret
    from gateway.identity.sessions import open_session
    from gateway.plugins import PluginHost
    from plugins.chat.conversation_models import Conversation, ConversationStatus

    host = PluginHost(settings)
    await fresh_database(host)
    await db.init_db(host)
    try:
        reseller = await Reseller.create(name="Bench Chat", can=new_can())
        account = await Account.create(reseller=reseller, kind=AccountKind.COMPANY,
                                       name="Bench Co", can=new_can())
        staff = await User.create(role=UserRole.RESELLER_ADMIN, reseller=reseller,
                                  login="chat-bench@bench.example",
                                  email="chat-bench@bench.example",
                                  password_hash=hash_secret("Bench-pass1"))
        conversation = await Conversation.create(
            reseller_id=reseller.id, account_id=account.id, language="en",
            status=ConversationStatus.ACTIVE, assigned_to_id=staff.id)
        _, token = await open_session(staff)
    finally:
        await db.close_db()
    return conversation.id, token


class Tally:
    """Deliveries of the measured messages (``m:<n>:<sent at>``) and their delays."""

    def __init__(self, subscribers: int, messages: int) -> None:
        self.expected = subscribers * messages
        self.delays: list[float] = []
        self.warm: set[int] = set()  # clients that received a warm-up message
        self.last_at = 0.0
        self.done = asyncio.Event()

    def receive(self, client: int, text: str) -> None:
        now = time.time()
        kind, _, rest = text.partition(":")
        if kind == "w":
            self.warm.add(client)
            return
        self.delays.append(now - float(rest.partition(":")[2]))
        self.last_at = now
        if len(self.delays) >= self.expected:
            self.done.set()


async def _ws_client(url: str, token: str, conversation: str, index: int, tally: Tally,
                     ready: asyncio.Queue[int]) -> None:
    from websockets.asyncio.client import connect

    async with connect(url, subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
                       additional_headers={"Authorization": f"Bearer {token}"},
                       open_timeout=60, ping_interval=None) as ws:
        await ws.send(json.dumps({"type": "connection_init"}))
        json.loads(await ws.recv())
        await ws.send(json.dumps({"id": "c", "type": "subscribe", "payload": {
            "query": SUBSCRIPTION, "variables": {"c": conversation}}}))
        ready.put_nowait(index)
        async for raw in ws:
            message = json.loads(raw)
            if message.get("type") == "next":
                tally.receive(index, message["payload"]["data"]["chatConversationEvents"][
                    "message"]["text"])
            elif message.get("type") in ("error", "complete"):
                raise RuntimeError(f"subscription refused: {message}")


def _row(conversation_id: int, n: int, text: str) -> dict[str, Any]:
    return {"id": n, "conversation_id": conversation_id, "kind": "TEXT", "sender_id": None,
            "side": "STAFF", "sender_name": "Bench", "body": text,
            "created_at": dt.datetime.now(dt.UTC)}


async def _warm_up(tally: Tally, subscribers: int, publish: Any) -> int:
    """Warm-up messages until every client got one (its subscription is live), one at a time:
    the next only once the last stopped reaching new clients. Returns how many were sent."""
    sent = 0
    deadline = time.monotonic() + TIMEOUT
    while len(tally.warm) < subscribers:
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {len(tally.warm)} of {subscribers} subscribers live")
        sent += 1
        await publish(sent, "w:")
        await _settle(tally, subscribers)
    return sent


async def _settle(tally: Tally, subscribers: int, quiet: float = 1.0) -> None:
    """Until every client is warm, or a second passed with no client becoming warm."""
    seen, still = len(tally.warm), time.monotonic()
    while len(tally.warm) < subscribers and time.monotonic() - still < quiet:
        await asyncio.sleep(0.05)
        if len(tally.warm) != seen:
            seen, still = len(tally.warm), time.monotonic()
    await asyncio.sleep(quiet if len(tally.warm) == subscribers else 0)  # late copies drain


async def _burst(tally: Tally, messages: int, first_id: int, publish: Any
                 ) -> tuple[float, int]:
    """Publish ``messages`` back to back; seconds from the first publish to the last receipt,
    and the deliveries counted (fewer than expected if some were dropped)."""
    started = time.time()
    for n in range(messages):
        await publish(first_id + n, f"m:{n}:{time.time()}")
    deadline = time.monotonic() + TIMEOUT
    count, still = -1, time.monotonic()
    while not tally.done.is_set() and time.monotonic() < deadline:
        if len(tally.delays) != count:
            count, still = len(tally.delays), time.monotonic()
        elif time.monotonic() - still > 5:
            break  # nothing more comes: some deliveries were dropped
        await asyncio.sleep(0.05)
    return max(tally.last_at - started, 1e-9), len(tally.delays)


async def through_gateway(options: Options, subscribers: int, messages: int
                          ) -> tuple[float, int, list[float]]:
    from strawberry.relay import to_base64

    from gateway import pubsub
    from plugins.chat import events

    folder = options.workdir / "chat"
    settings = settings_for(options.database_url("chat"), folder)
    conversation_id, token = await prepare(settings)
    conversation = to_base64("ChatConversation", conversation_id)
    bus = pubsub.RedisPubSub(options.redis_url, prefix="gateway:")  # what production uses
    pubsub.set_current(bus)

    async def publish(n: int, text: str) -> None:
        await events.message_posted(_row(conversation_id, n, text), "ACTIVE")

    tally = Tally(subscribers, messages)
    async with ServeProcess(settings, folder, PUBSUB_URL=options.redis_url,
                            LOG_LEVEL="WARNING") as server:
        url = f"ws://127.0.0.1:{server.port}/graphql"
        ready: asyncio.Queue[int] = asyncio.Queue()
        clients = []
        for index in range(subscribers):  # a few at a time: handshakes are CPU-bound
            clients.append(asyncio.create_task(
                _ws_client(url, token, conversation, index, tally, ready)))
            if index % 50 == 49:
                while ready.qsize() < index + 1:
                    await asyncio.sleep(0.01)
                    _raise_failed(clients)
        note(f"chat: {subscribers} WebSocket subscribers connected")
        try:
            warm = await _warm_up(tally, subscribers, publish)
            seconds, delivered = await _burst(tally, messages, warm + 1, publish)
        finally:
            for task in clients:
                task.cancel()
            await asyncio.gather(*clients, return_exceptions=True)
            pubsub.set_current(None)
            await bus.close()
    return seconds, delivered, tally.delays


def _raise_failed(tasks: list[asyncio.Task[None]]) -> None:
    for task in tasks:
        if task.done() and task.exception() is not None:
            raise RuntimeError(f"a WebSocket client failed: {task.exception()!r}")


async def raw_redis(options: Options, subscribers: int, messages: int
                    ) -> tuple[float, int, list[float]]:
    """The same fan-out by Redis alone: one raw subscriber connection per client."""
    import redis.asyncio as redis

    channel = f"bench-raw-chat:{uuid.uuid4().hex[:8]}"
    tally = Tally(subscribers, messages)
    connections = []

    async def listen(index: int, client: Any) -> None:
        async with client.pubsub() as ps:
            await ps.subscribe(channel)
            await ps.get_message(timeout=10)  # the subscribe confirmation
            connections.append(index)
            while True:
                message = await ps.get_message(ignore_subscribe_messages=True, timeout=10)
                if message is not None:
                    tally.receive(index, message["data"].decode())

    clients = [redis.Redis.from_url(options.redis_url) for _ in range(subscribers)]
    tasks = [asyncio.create_task(listen(i, c)) for i, c in enumerate(clients)]
    publisher = redis.Redis.from_url(options.redis_url)
    try:
        deadline = time.monotonic() + TIMEOUT
        while len(connections) < subscribers:
            if time.monotonic() > deadline:
                raise RuntimeError("raw Redis subscribers did not all subscribe")
            _raise_failed(tasks)
            await asyncio.sleep(0.05)

        async def publish(n: int, text: str) -> None:
            await publisher.publish(channel, text)

        await _warm_up(tally, subscribers, publish)
        seconds, delivered = await _burst(tally, messages, 0, publish)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for client in [*clients, publisher]:
            await client.aclose()
    return seconds, delivered, tally.delays


def _ms(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _run(options: Options) -> list[Row]:
    from bench.jobs import redis_answers

    subscribers = int(options.size("subscribers", 1000, 100))
    messages = int(options.size("messages", 50, 20))
    if not redis_answers(options.redis_url):
        return [Row(BENCHMARK, f"messages/s to {subscribers} subscribers through Redis",
                    "skipped", f"Redis at {options.redis_url} does not answer", None)]
    seconds, delivered, delays = await through_gateway(options, subscribers, messages)
    note(f"chat: gateway: {delivered} deliveries in {seconds:.2f} s")
    raw_seconds, raw_delivered, raw_delays = await raw_redis(options, subscribers, messages)
    note(f"chat: raw Redis: {raw_delivered} deliveries in {raw_seconds:.2f} s")
    ours, raw = delivered / seconds, raw_delivered / raw_seconds
    lost = subscribers * messages - delivered
    size = (f"{subscribers:,} subscribers × {messages} messages, {options.database}, "
            f"clients in the bench process")
    return [
        Row(BENCHMARK,
            f"messages delivered/s to {subscribers:,} WebSocket subscribers of one "
            "conversation, Redis fan-out (gateway serve, GraphQL subscription)",
            f"{ours:,.0f}/s ({delivered:,} in {seconds:.2f} s"
            + (f"; {lost:,} dropped" if lost else "") + ")",
            f"raw Redis pub/sub {raw:,.0f}/s", ours / raw if raw else None, size),
        Row(BENCHMARK, f"delivery delay to {subscribers:,} subscribers, p50 / p99 (burst)",
            f"p50 {_ms(delays, 0.5):,.1f} ms · p99 {_ms(delays, 0.99):,.1f} ms",
            f"raw Redis p50 {_ms(raw_delays, 0.5):,.1f} ms · p99 "
            f"{_ms(raw_delays, 0.99):,.1f} ms",
            (_ms(raw_delays, 0.99) / _ms(delays, 0.99)) if delays and raw_delays else None,
            f"{size}; mean {1000 * statistics.fmean(delays or [0]):,.1f} ms"),
    ]


def run(options: Options) -> list[Row]:
    return asyncio.run(_run(options))


if __name__ == "__main__":
    main_for("chat", run, __doc__.splitlines()[0])
