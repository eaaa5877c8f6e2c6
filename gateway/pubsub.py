"""Fan-out of events to subscribers: in this process only, or across processes through Redis.

Subscriptions (GraphQL over WebSocket) listen on a channel; services and jobs publish to it.
``memory://`` reaches the subscribers of this process (the embedded mode, where one process runs
the web and the jobs); ``redis://…`` reaches every process connected to the same Redis (workers
publish, web processes hold the subscribers). Messages are JSON objects on both, so what works on
one works on the other.

Delivery is at most once, but a loss is never silent: a subscriber that falls behind loses its
oldest messages rather than slowing publishers down, and Redis pub/sub keeps nothing for a
process that is disconnected (Redis restarting, the connection dropped). Either way the
subscription counts it (``dropped``); after a lost connection, once Redis has confirmed the
channel again, each of its subscribers also receives ``GAP``, so one waiting for the next
message wakes up. Subscribers that must not miss a state read it from the database after
subscribing and again after a gap (a chat replays the messages after its last one, a job
subscription re-reads its row, a dashboard refetches).
"""

from __future__ import annotations

import abc
import asyncio
import json
import logging
import threading
import uuid
from collections.abc import Callable
from typing import Any

log = logging.getLogger("gateway.pubsub")

# Messages a subscriber may have waiting before the oldest are dropped.
DEFAULT_MAX_PENDING = 100
# How long a Redis SUBSCRIBE may take to be confirmed before the subscriber gets an error.
SUBSCRIBE_TIMEOUT = 10.0
# How long the work that publishes (a job's status change) may wait on the backend.
PUBLISH_TIMEOUT = 5.0

_CLOSED: Any = object()
# Delivered in place of the messages a subscriber may have missed while the backend's
# connection was lost; compare by identity (``message is GAP``). Never published.
GAP: dict[str, Any] = {"type": "gateway.pubsub.gap"}


class PubSubError(RuntimeError):
    """The fan-out cannot serve a subscriber (its backend is unreachable)."""


class Subscription:
    """One subscriber's messages on one channel, oldest first; close it when done.

    An async iterator (``async for message in subscription``) and an async context manager.
    """

    def __init__(
        self,
        channel: str,
        max_pending: int,
        on_close: Callable[[Subscription], Any],
    ) -> None:
        self.channel = channel
        self.dropped = 0
        self._queue: asyncio.Queue[Any] = asyncio.Queue(max_pending)
        self._loop = asyncio.get_running_loop()
        self._on_close = on_close
        self._closed = False

    def offer(self, message: Any) -> None:
        """Queue a message without ever waiting: when full, the oldest one makes room."""
        if self._loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is not self._loop:
            # Published from another thread or loop (a worker thread, a test client's loop).
            self._loop.call_soon_threadsafe(self._offer, message)
        else:
            self._offer(message)

    def _offer(self, message: Any) -> None:
        if self._closed and message is not _CLOSED:
            return
        if message is GAP:
            self.dropped += 1
        if self._queue.full():
            self._queue.get_nowait()
            if message is not _CLOSED:
                if not self.dropped:
                    log.warning("pubsub: a subscriber to %s is too slow; its oldest messages "
                                "are dropped", self.channel)
                self.dropped += 1
        self._queue.put_nowait(message)

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> dict[str, Any]:
        if self._closed and self._queue.empty():
            raise StopAsyncIteration
        message = await self._queue.get()
        if message is _CLOSED:
            raise StopAsyncIteration
        return message

    async def aclose(self) -> None:
        """Stop receiving; a reader waiting on the subscription ends its loop."""
        if self._closed:
            return
        self._closed = True
        self._offer(_CLOSED)
        result = self._on_close(self)
        if asyncio.iscoroutine(result):
            await result

    async def __aenter__(self) -> Subscription:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


class PubSub(abc.ABC):
    """Publish JSON messages to channels; subscribe to a channel's messages."""

    url: str = ""

    @abc.abstractmethod
    async def publish(self, channel: str, message: dict[str, Any]) -> None:
        """Send ``message`` to every current subscriber of ``channel``, in every process
        this backend reaches. Does not wait for slow subscribers."""

    @abc.abstractmethod
    async def subscribe(self, channel: str) -> Subscription:
        """Start receiving ``channel``: what is published after this returns is delivered."""

    @abc.abstractmethod
    def subscriber_count(self, channel: str) -> int:
        """How many subscriptions to ``channel`` this process holds."""

    async def listened(self, channel: str) -> bool:
        """Whether a process this backend reaches holds a subscription to ``channel``: a
        publisher whose message costs something to make asks first. One that subscribes after
        this said no reads the state from the database once subscribed (as subscribers do)."""
        return self.subscriber_count(channel) > 0

    async def start(self) -> None:
        """Open what the backend needs (nothing, for the in-process one)."""

    async def close(self) -> None:
        """Release connections; open subscriptions end."""


def _round_trip(message: dict[str, Any]) -> dict[str, Any]:
    """A message as every subscriber sees it: what JSON keeps of it, on both backends."""
    decoded = json.loads(json.dumps(message))
    if not isinstance(decoded, dict):
        raise TypeError("a pub/sub message is a JSON object")
    return decoded


class _LocalFanOut:
    """This process's subscribers by channel; safe to publish to from any thread."""

    def __init__(self, max_pending: int) -> None:
        self.max_pending = max_pending
        self._channels: dict[str, set[Subscription]] = {}
        self._lock = threading.Lock()

    def add(self, channel: str, on_close: Callable[[Subscription], Any]) -> tuple[Subscription,
                                                                                   bool]:
        """A new subscription, and whether it is the channel's first in this process."""
        subscription = Subscription(channel, self.max_pending, on_close)
        with self._lock:
            subscribers = self._channels.setdefault(channel, set())
            first = not subscribers
            subscribers.add(subscription)
        return subscription, first

    def remove(self, subscription: Subscription) -> bool:
        """Forget a subscription; True when its channel has no subscriber left here."""
        with self._lock:
            subscribers = self._channels.get(subscription.channel)
            if subscribers is None:
                return False
            subscribers.discard(subscription)
            if subscribers:
                return False
            del self._channels[subscription.channel]
            return True

    def deliver(self, channel: str, message: dict[str, Any]) -> int:
        with self._lock:
            subscribers = list(self._channels.get(channel, ()))
        for subscription in subscribers:
            subscription.offer(message)
        return len(subscribers)

    def gap(self, channel: str) -> None:
        """Tell the channel's subscribers that messages may have been lost."""
        self.deliver(channel, GAP)

    def channels(self) -> list[str]:
        with self._lock:
            return list(self._channels)

    def subscriber_count(self, channel: str) -> int:
        with self._lock:
            return len(self._channels.get(channel, ()))

    async def close_all(self) -> None:
        with self._lock:
            subscriptions = [s for group in self._channels.values() for s in group]
        for subscription in subscriptions:
            await subscription.aclose()


class InProcessPubSub(PubSub):
    """Subscribers of this process only, each with a bounded queue."""

    def __init__(self, max_pending: int = DEFAULT_MAX_PENDING) -> None:
        self.url = "memory://"
        self._local = _LocalFanOut(max_pending)

    async def publish(self, channel: str, message: dict[str, Any]) -> None:
        self._local.deliver(channel, _round_trip(message))

    async def subscribe(self, channel: str) -> Subscription:
        subscription, _ = self._local.add(channel, self._local.remove)
        return subscription

    def subscriber_count(self, channel: str) -> int:
        return self._local.subscriber_count(channel)

    async def close(self) -> None:
        await self._local.close_all()


class RedisPubSub(PubSub):
    """Redis pub/sub: one connection per process listens for all of its subscribers.

    Channels are prefixed, so several gateways (or test runs) can share one Redis.
    """

    def __init__(
        self, url: str, *, prefix: str = "gateway:", max_pending: int = DEFAULT_MAX_PENDING
    ) -> None:
        self.url = url
        self.prefix = prefix
        self._local = _LocalFanOut(max_pending)
        self._client: Any = None
        self._pubsub: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._confirmed: dict[str, asyncio.Event] = {}
        self._lock: asyncio.Lock | None = None
        self._closing = False

    def _redis(self) -> Any:
        if self._client is None:
            import redis.asyncio as redis
            from redis.asyncio.retry import Retry
            from redis.backoff import ExponentialBackoff

            # Short timeouts and few retries: a publisher (a job finishing) must not hang on a
            # dead Redis. No health_check_interval: its PING would read the subscriber
            # connection while the reader task does; TCP keepalive notices a dead peer instead.
            self._client = redis.Redis.from_url(
                self.url, socket_connect_timeout=2, socket_timeout=5, socket_keepalive=True,
                retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), retries=2),
            )
        return self._client

    async def publish(self, channel: str, message: dict[str, Any]) -> None:
        data = json.dumps(message)
        await self._redis().publish(self.prefix + channel, data)

    async def subscribe(self, channel: str) -> Subscription:
        if self._lock is None:
            self._lock = asyncio.Lock()
        subscription, _ = self._local.add(channel, self._unsubscribe)
        subscribed = False
        try:
            async with self._lock:
                await self._ensure_reader()
                key = self.prefix + channel
                confirmed = self._confirmed.get(key)
                if confirmed is None:
                    confirmed = self._confirmed[key] = asyncio.Event()
                    await self._pubsub.subscribe(key)
            # Redis confirms a SUBSCRIBE once it is in effect; from then on nothing is missed.
            await asyncio.wait_for(confirmed.wait(), SUBSCRIBE_TIMEOUT)
            subscribed = True
        except Exception as exc:
            raise PubSubError(f"cannot subscribe to {channel!r} on {self._safe_url()}") from exc
        finally:
            if not subscribed:  # failed or cancelled: leave nothing registered
                await subscription.aclose()
        return subscription

    async def _unsubscribe(self, subscription: Subscription) -> None:
        if not self._local.remove(subscription) or self._pubsub is None or self._closing:
            return
        key = self.prefix + subscription.channel
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self._local.subscriber_count(subscription.channel):
                return  # someone subscribed again meanwhile
            self._confirmed.pop(key, None)
            try:
                await self._pubsub.unsubscribe(key)
            except Exception:
                log.warning("pubsub: could not unsubscribe from %s", key, exc_info=True)

    async def _ensure_reader(self) -> None:
        if self._pubsub is None:
            self._pubsub = self._redis().pubsub()
            await self._pubsub.connect()
        if self._reader is None or self._reader.done():
            self._reader = asyncio.create_task(self._read(), name="gateway-pubsub-reader")

    async def _read(self) -> None:
        """Hand Redis messages to this process's subscribers until closed."""
        failures = 0
        while True:
            try:
                message = await self._pubsub.get_message(timeout=1.0)
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception:
                failures += 1
                # redis-py reconnects and subscribes again on a later read (see _dispatch).
                log.warning("pubsub: reading from Redis failed (%s in a row)", failures,
                            exc_info=failures == 1)
                await asyncio.sleep(min(0.1 * 2**failures, 5.0))
                continue
            if message is None:
                continue
            try:
                self._dispatch(message)
            except Exception:
                log.exception("pubsub: could not hand a message to subscribers")

    def _dispatch(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        channel = message.get("channel")
        if isinstance(channel, bytes):
            channel = channel.decode()
        if not isinstance(channel, str):
            return
        if kind == "subscribe":
            event = self._confirmed.get(channel)
            if event is None:
                return
            if event.is_set():
                # Confirmed again: redis-py reconnected (a lost connection, Redis restarted)
                # and subscribed again. What was published meanwhile is lost (pub/sub keeps
                # nothing): the subscribers are told, and catch up from the database.
                log.info("pubsub: listening on %s again; its subscribers catch up", channel)
                self._local.gap(channel.removeprefix(self.prefix))
            event.set()
            return
        if kind != "message" or not channel.startswith(self.prefix):
            return
        try:
            payload = json.loads(message["data"])
        except (ValueError, TypeError):
            log.warning("pubsub: ignoring a message that is not JSON on %s", channel)
            return
        if isinstance(payload, dict):
            self._local.deliver(channel.removeprefix(self.prefix), payload)

    def subscriber_count(self, channel: str) -> int:
        return self._local.subscriber_count(channel)

    async def listened(self, channel: str) -> bool:
        # Every process's subscriptions in effect (confirmed), in one round trip.
        counts = await self._redis().pubsub_numsub(self.prefix + channel)
        return bool(counts and counts[0][1])

    def _safe_url(self) -> str:
        from urllib.parse import urlsplit

        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.hostname}:{parts.port or 6379}{parts.path}"

    async def close(self) -> None:
        self._closing = True  # the connection goes: no UNSUBSCRIBE per channel
        await self._local.close_all()
        if self._reader is not None:
            self._reader.cancel()
            try:
                await self._reader
            except (asyncio.CancelledError, Exception):
                pass
            self._reader = None
        if self._pubsub is not None:
            try:
                await self._pubsub.aclose()
            except Exception:
                log.debug("pubsub: closing the subscriber connection failed", exc_info=True)
            self._pubsub = None
        if self._client is not None:
            try:
                await self._client.aclose()
            except Exception:
                log.debug("pubsub: closing the Redis client failed", exc_info=True)
            self._client = None
        self._confirmed.clear()


def make_pubsub(url: str, *, env: str = "production") -> PubSub:
    """``memory://`` or ``redis://…`` (``rediss://…``)."""
    if url.startswith("memory://"):
        return InProcessPubSub()
    if url.startswith(("redis://", "rediss://", "unix://")):
        # Test runs share one Redis: each gateway of a test run gets channels of its own, like
        # the job runtime's broker namespace.
        prefix = f"gateway-test-{uuid.uuid4().hex[:8]}:" if env == "test" else "gateway:"
        return RedisPubSub(url, prefix=prefix)
    raise ValueError(f"PUBSUB_URL {url!r}: use memory:// or redis://…")


_running: PubSub | None = None


def current() -> PubSub | None:
    """The pub/sub this process publishes to, or None before the app or a worker started it."""
    return _running


def set_current(pubsub: PubSub | None) -> None:
    global _running
    _running = pubsub


async def start(settings: Any) -> PubSub:
    """Open the pub/sub the settings ask for and make it the process's current one."""
    pubsub = make_pubsub(settings.effective_pubsub_url, env=settings.env)
    if isinstance(pubsub, InProcessPubSub) and not settings.embedded_broker:
        log.warning(
            "PUBSUB_URL is in-process while jobs run in worker processes (BROKER_URL=%s): "
            "subscribers will not hear of changes made there; set PUBSUB_URL=redis://…",
            settings.broker_url.split("://")[0] + "://…",
        )
    await pubsub.start()
    set_current(pubsub)
    return pubsub


async def stop(pubsub: PubSub) -> None:
    """Close ``pubsub``; it stops being the current one if it was."""
    if _running is pubsub:
        set_current(None)
    await pubsub.close()


async def publish(channel: str, message: dict[str, Any]) -> bool:
    """Publish through the current pub/sub; never raises (the caller's work is done already).

    Returns whether the message was handed to the backend."""
    pubsub = _running
    if pubsub is None:
        return False
    try:
        await asyncio.wait_for(pubsub.publish(channel, message), PUBLISH_TIMEOUT)
    except Exception:
        log.warning("pubsub: could not publish to %s; subscribers miss this event", channel,
                    exc_info=True)
        return False
    return True
