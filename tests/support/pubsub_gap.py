"""Make a pub/sub lose what is published for a moment, as Redis restarting would: subscribers
must catch up by themselves once it is back."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from gateway import pubsub
from gateway.pubsub import PubSub, RedisPubSub


async def kill_subscriber_connection(bus: RedisPubSub) -> None:
    """Close this process's Redis subscriber connection from the server side, and only it."""
    connection = bus._pubsub.connection
    host, port = connection._writer.get_extra_info("sockname")[:2]
    admin = RedisPubSub(bus.url)
    try:
        assert await admin._redis().client_kill(f"{host}:{port}")
    finally:
        await admin.close()


@asynccontextmanager
async def events_lost(bus: PubSub, *channels: str) -> AsyncIterator[None]:
    """Within the block nothing published reaches a subscriber (as with Redis down); on leaving
    it, the connection comes back: on Redis the subscriber connection is really killed and
    subscribed again by the reader, in process (which never loses one) the channels' subscribers
    are told directly, as the Redis reader would tell them."""
    running = pubsub.current()
    pubsub.set_current(None)  # what is published meanwhile is lost
    try:
        yield
    finally:
        pubsub.set_current(running)
    if isinstance(bus, RedisPubSub):
        await kill_subscriber_connection(bus)
    else:
        await asyncio.sleep(0)
        for channel in channels:
            bus._local.gap(channel)  # type: ignore[attr-defined]
