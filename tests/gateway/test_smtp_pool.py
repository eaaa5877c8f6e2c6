"""SMTP connections kept between messages (gateway.email.smtp_pool): a burst of emails shares
them, concurrent ones open more, and one the server closed meanwhile is replaced without
losing the message."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from gateway.email import smtp_pool
from gateway.email.mime import compose
from gateway.email.transport import deliver
from tests.gateway.test_email import _payload, free_port

SENDER = "no-reply@gateway.local"


@dataclass
class CountingServer:
    """Which client connection (its address and port) brought each message."""

    port: int
    peers: list[Any] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.peers.append(session.peer)
        return "250 Message accepted for delivery"


@pytest.fixture
def server() -> Iterator[CountingServer]:
    counting = CountingServer(port=free_port())
    controller = Controller(counting, hostname="127.0.0.1", port=counting.port)
    controller.start()
    counting.controller = controller  # type: ignore[attr-defined]
    try:
        yield counting
    finally:
        counting.controller.stop()  # type: ignore[attr-defined]


async def _send(server: CountingServer, n: int) -> None:
    await deliver(compose(_payload(), str(n)), sender=SENDER, recipients=["b@example.com"],
                  key=str(n), email_url=f"smtp://127.0.0.1:{server.port}")


async def test_a_burst_of_emails_shares_one_connection(server: CountingServer) -> None:
    try:
        for n in range(5):
            await _send(server, n)
        assert len(server.peers) == 5 and len(set(server.peers)) == 1
    finally:
        await smtp_pool.close_all()


async def test_concurrent_emails_open_more_then_reuse_them(server: CountingServer) -> None:
    try:
        await asyncio.gather(*(_send(server, n) for n in range(3)))
        assert len(set(server.peers)) == 3
        await asyncio.gather(*(_send(server, n) for n in range(3, 6)))
        assert len(server.peers) == 6 and len(set(server.peers)) == 3
    finally:
        await smtp_pool.close_all()


async def test_a_connection_the_server_closed_is_replaced(server: CountingServer) -> None:
    try:
        await _send(server, 1)
        # The server restarts: the kept connection is gone.
        server.controller.stop()  # type: ignore[attr-defined]
        server.controller = Controller(server, hostname="127.0.0.1",  # type: ignore[attr-defined]
                                       port=server.port)
        server.controller.start()  # type: ignore[attr-defined]
        await _send(server, 2)
        assert len(server.peers) == 2 and server.peers[0] != server.peers[1]
    finally:
        await smtp_pool.close_all()


async def test_close_all_says_quit_and_keeps_nothing(server: CountingServer) -> None:
    await _send(server, 1)
    await smtp_pool.close_all()
    await _send(server, 2)
    await smtp_pool.close_all()
    assert len(set(server.peers)) == 2


@dataclass
class CappedServer(CountingServer):
    """Takes two messages per connection, then answers 421 (as servers that cap them do)."""

    per_peer: dict[Any, int] = field(default_factory=dict)

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str,
                          mail_options: list[str]) -> str:
        if self.per_peer.get(session.peer, 0) >= 2:
            return "421 4.7.0 Too many messages on this connection"
        self.per_peer[session.peer] = self.per_peer.get(session.peer, 0) + 1
        envelope.mail_from = address
        return "250 OK"


async def test_a_421_on_a_kept_connection_sends_on_a_new_one() -> None:
    capped = CappedServer(port=free_port())
    controller = Controller(capped, hostname="127.0.0.1", port=capped.port)
    controller.start()
    try:
        for n in range(5):
            await _send(capped, n)  # type: ignore[arg-type]
        assert len(capped.peers) == 5 and len(set(capped.peers)) == 3
    finally:
        await smtp_pool.close_all()
        controller.stop()


async def test_a_connection_is_closed_after_its_share_of_messages(
        server: CountingServer, monkeypatch: Any) -> None:
    monkeypatch.setattr(smtp_pool, "MESSAGES_PER_CONNECTION", 3)
    try:
        for n in range(7):
            await _send(server, n)
        assert [len({p for p in server.peers[i:i + 3]}) for i in (0, 3, 6)] == [1, 1, 1]
        assert len(set(server.peers)) == 3
    finally:
        await smtp_pool.close_all()
