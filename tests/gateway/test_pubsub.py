"""The fan-out behind subscriptions: in-process always, Redis too with TEST_BROKER_URL=redis://…"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from gateway import pubsub
from gateway.pubsub import InProcessPubSub, PubSub, PubSubError, RedisPubSub, make_pubsub
from gateway.settings import Settings

REDIS_URL = os.environ.get("TEST_BROKER_URL", "")
BACKENDS = ["memory", *(["redis"] if REDIS_URL.startswith("redis://") else [])]
# A guard against a hung test, not a measure.
TIMEOUT = 10.0


def _make(backend: str, *, prefix: str | None = None, max_pending: int = 100) -> PubSub:
    if backend == "memory":
        return InProcessPubSub(max_pending=max_pending)
    return RedisPubSub(REDIS_URL, prefix=prefix or f"test-{uuid.uuid4().hex[:8]}:",
                       max_pending=max_pending)


@pytest.fixture(params=BACKENDS)
async def bus(request: pytest.FixtureRequest) -> AsyncIterator[PubSub]:
    made = _make(request.param)
    await made.start()
    yield made
    await made.close()


async def _receive(subscription: pubsub.Subscription) -> dict[str, Any]:
    return await asyncio.wait_for(anext(subscription), TIMEOUT)


async def _wait_for(predicate: Callable[[], Awaitable[bool]]) -> None:
    deadline = asyncio.get_running_loop().time() + TIMEOUT
    while not await predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


async def test_every_subscriber_of_a_channel_gets_each_message_in_order(bus: PubSub) -> None:
    first = await bus.subscribe("job:1")
    second = await bus.subscribe("job:1")
    other = await bus.subscribe("job:2")
    # Subscribed once subscribe() returns: nothing published afterwards is missed.
    for n in range(3):
        await bus.publish("job:1", {"n": n, "when": "now"})
    await bus.publish("job:2", {"n": 99})
    for subscription in (first, second):
        assert [(await _receive(subscription))["n"] for _ in range(3)] == [0, 1, 2]
    assert await _receive(other) == {"n": 99}
    assert bus.subscriber_count("job:1") == 2
    for subscription in (first, second, other):
        await subscription.aclose()
    assert bus.subscriber_count("job:1") == bus.subscriber_count("job:2") == 0


async def test_messages_are_json_on_every_backend(bus: PubSub) -> None:
    async with await bus.subscribe("shape") as subscription:
        await bus.publish("shape", {"id": 1, "tags": ("a", "b"), "nested": {"ok": True}})
        assert await _receive(subscription) == {"id": 1, "tags": ["a", "b"],
                                                "nested": {"ok": True}}
    with pytest.raises(TypeError):
        await bus.publish("shape", {"when": object()})


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_slow_subscriber_loses_its_oldest_messages_not_the_publisher(
    backend: str,
) -> None:
    bus = _make(backend, max_pending=3)
    try:
        slow = await bus.subscribe("busy")
        # Ten messages to a subscriber reading none: every publish returns at once.
        for n in range(10):
            await asyncio.wait_for(bus.publish("busy", {"n": n}), TIMEOUT)

        async def all_arrived() -> bool:
            return slow.dropped == 7

        await _wait_for(all_arrived)
        assert [(await _receive(slow))["n"] for _ in range(3)] == [7, 8, 9]
        await slow.aclose()
    finally:
        await bus.close()


async def test_closing_ends_a_waiting_reader_and_unsubscribes(bus: PubSub) -> None:
    subscription = await bus.subscribe("closing")
    received: list[dict[str, Any]] = []

    async def read() -> None:
        async for message in subscription:
            received.append(message)

    reader = asyncio.create_task(read())
    await bus.publish("closing", {"n": 1})

    async def got_one() -> bool:
        return len(received) == 1

    await _wait_for(got_one)
    await subscription.aclose()
    await asyncio.wait_for(reader, TIMEOUT)
    assert received == [{"n": 1}]
    assert bus.subscriber_count("closing") == 0
    await bus.publish("closing", {"n": 2})  # nobody listens: fine
    if isinstance(bus, RedisPubSub):
        # The process's Redis connection leaves the channel once its last subscriber does.
        client = bus._redis()

        async def left() -> bool:
            counts = await client.pubsub_numsub(bus.prefix + "closing")
            return dict(counts).get((bus.prefix + "closing").encode()) == 0

        await _wait_for(left)


async def test_in_process_publish_from_another_thread_reaches_the_subscriber() -> None:
    """Dramatiq's worker threads and other event loops may publish."""
    bus = InProcessPubSub()
    async with await bus.subscribe("threads") as subscription:

        async def publish() -> None:
            await bus.publish("threads", {"from": "thread"})

        await asyncio.to_thread(asyncio.run, publish())
        assert await _receive(subscription) == {"from": "thread"}


@pytest.mark.parametrize("backend", BACKENDS)
async def test_what_other_processes_publish_arrives_through_redis_only(backend: str) -> None:
    """The web process subscribes, a worker process publishes: Redis carries it, the
    in-process pub/sub (one per process) cannot. Another gateway on the same Redis (another
    prefix) is never heard."""
    prefix = f"test-{uuid.uuid4().hex[:8]}:"
    web, worker = _make(backend, prefix=prefix), _make(backend, prefix=prefix)
    stranger = _make(backend)
    try:
        subscription = await web.subscribe("job:7")
        await stranger.publish("job:7", {"from": "stranger"})
        await worker.publish("job:7", {"from": "worker"})
        await web.publish("job:7", {"from": "web"})
        received: list[str] = []
        while not received or received[-1] != "web":
            received.append((await _receive(subscription))["from"])
        assert received == (["worker", "web"] if backend == "redis" else ["web"])
        await subscription.aclose()
    finally:
        for bus in (web, worker, stranger):
            await bus.close()


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_publisher_can_ask_whether_anyone_listens(backend: str) -> None:
    """A worker asks before making a costly message (a job's row read back): through Redis it
    hears of the web process's subscriber, not of another gateway's; in-process, of its own."""
    prefix = f"test-{uuid.uuid4().hex[:8]}:"
    web, worker = _make(backend, prefix=prefix), _make(backend, prefix=prefix)
    stranger = _make(backend)
    asker = worker if backend == "redis" else web  # in-process: one process is all it reaches
    try:
        assert not await asker.listened("job:8")
        subscription = await web.subscribe("job:8")
        other = await stranger.subscribe("job:9")
        assert await asker.listened("job:8") and not await asker.listened("job:9")
        await subscription.aclose()
        await other.aclose()

        async def nobody() -> bool:
            return not await asker.listened("job:8")

        await _wait_for(nobody)
    finally:
        for bus in (web, worker, stranger):
            await bus.close()


def _dead_redis_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"redis://127.0.0.1:{sock.getsockname()[1]}/0"


async def test_publishing_never_fails_the_caller(caplog: pytest.LogCaptureFixture) -> None:
    previous = pubsub.current()
    dead = RedisPubSub(_dead_redis_url())
    pubsub.set_current(dead)
    try:
        with caplog.at_level(logging.WARNING, logger="gateway.pubsub"):
            assert await pubsub.publish("job:1", {"status": "DONE"}) is False
        assert "could not publish to job:1" in caplog.text
        with pytest.raises(PubSubError):
            await dead.subscribe("job:1")
        assert dead.subscriber_count("job:1") == 0
    finally:
        pubsub.set_current(previous)
        await dead.close()
    # No pub/sub running (a script, a test without the app): publishing is a no-op.
    pubsub.set_current(None)
    try:
        assert await pubsub.publish("job:1", {"status": "DONE"}) is False
    finally:
        pubsub.set_current(previous)


async def test_start_and_stop_set_the_current_pubsub() -> None:
    previous = pubsub.current()
    settings = Settings(env="test", broker_url="memory://", secret_key="x")
    started = await pubsub.start(settings)
    try:
        assert pubsub.current() is started and isinstance(started, InProcessPubSub)
    finally:
        await pubsub.stop(started)
    assert pubsub.current() is None
    pubsub.set_current(previous)


def test_pubsub_url_follows_the_broker_unless_set() -> None:
    def settings(**env: str) -> Settings:
        return Settings.from_env({"SECRET_KEY": "x", "GATEWAY_VAR_DIR": "/nonexistent", **env})

    assert settings().effective_pubsub_url == "memory://"
    # Workers are other processes: their events must reach the web's subscribers.
    assert settings(BROKER_URL="redis://cache:6379/2").effective_pubsub_url == (
        "redis://cache:6379/2"
    )
    assert settings(BROKER_URL="amqp://mq").effective_pubsub_url == "memory://"
    assert settings(BROKER_URL="amqp://mq", PUBSUB_URL="redis://ps/0").effective_pubsub_url == (
        "redis://ps/0"
    )
    assert settings(BROKER_URL="redis://cache/1", PUBSUB_URL="memory://").effective_pubsub_url \
        == "memory://"


def test_make_pubsub_picks_the_backend() -> None:
    assert isinstance(make_pubsub("memory://"), InProcessPubSub)
    redis_bus = make_pubsub("redis://127.0.0.1:6379/0")
    assert isinstance(redis_bus, RedisPubSub) and redis_bus.prefix == "gateway:"
    # Test runs share one Redis: each gets channels of its own.
    test_bus = make_pubsub("redis://127.0.0.1:6379/0", env="test")
    assert isinstance(test_bus, RedisPubSub) and test_bus.prefix.startswith("gateway-test-")
    with pytest.raises(ValueError, match="PUBSUB_URL"):
        make_pubsub("kafka://broker")


if "redis" in BACKENDS:

    async def test_redis_subscribers_survive_a_lost_connection_and_are_told_of_the_gap(
    ) -> None:
        """Redis restarts or drops the connection: the process reconnects, subscribes its
        channels again, and its subscribers go on receiving. What was published meanwhile is
        lost (pub/sub keeps nothing), so each subscriber first gets ``GAP`` (and counts it in
        ``dropped``) to catch up from the database."""
        from tests.support.pubsub_gap import kill_subscriber_connection

        bus, publisher = _make("redis"), _make("redis")
        assert isinstance(bus, RedisPubSub)
        publisher.prefix = bus.prefix  # type: ignore[attr-defined]
        try:
            subscription = await bus.subscribe("job:9")
            await publisher.publish("job:9", {"n": 0})
            assert (await _receive(subscription))["n"] == 0

            await kill_subscriber_connection(bus)  # on the server side, and only it

            gap = await _receive(subscription)
            assert gap is pubsub.GAP and subscription.dropped == 1
            n = 0

            async def delivered_again() -> bool:
                nonlocal n
                n += 1
                await publisher.publish("job:9", {"n": n})
                try:
                    message = await asyncio.wait_for(anext(subscription), 0.2)
                except TimeoutError:
                    return False
                return bool(message["n"] >= 1)

            await _wait_for(delivered_again)
            assert subscription.dropped == 1  # one gap, told once
            await subscription.aclose()
        finally:
            for each in (bus, publisher):
                await each.close()
