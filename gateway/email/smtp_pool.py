"""SMTP connections kept open between messages, per SMTP server and event loop.

Opening a connection costs the TCP handshake, the greeting, EHLO, STARTTLS and AUTH when the
server asks for them, and QUIT at the end: several round trips for each email when every
message opened its own (as ``aiosmtplib.send`` does). A worker sending a burst of emails (access
codes, statements, reports) now reuses the connection of the previous message.

- A connection is taken by one message at a time; concurrent messages open more, and up to
  ``KEPT`` idle ones per server are kept.
- One idle for more than ``IDLE_SECONDS`` is closed rather than reused (servers drop idle
  clients; RFC 5321 asks them to wait five minutes, many wait one); one idle for more than
  ``CHECK_AFTER`` seconds is asked NOOP first, and replaced if it does not answer.
- A connection that failed during a message is closed, never reused; the message is not sent
  again here (the outbox retries it, as it did when each message had its own connection),
  unless the connection was a kept one that the server had closed, or closes with 421 (it did
  not take the message): then it goes once more on a new connection.
- A connection carries at most ``MESSAGES_PER_CONNECTION`` messages (servers that cap them
  answer 421 past their limit).
- ``close_all()`` (at the app's shutdown) says QUIT on the idle ones of the current loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import weakref
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import aiosmtplib

    from gateway.email.composed import Composed


class SmtpTarget(Hashable, Protocol):
    """The SMTP server of EMAIL_URL (``gateway.email.transport.SmtpTarget``, which imports this
    module)."""

    @property
    def host(self) -> str: ...
    @property
    def port(self) -> int: ...
    @property
    def username(self) -> str | None: ...
    @property
    def password(self) -> str | None: ...
    @property
    def use_tls(self) -> bool: ...
    @property
    def start_tls(self) -> bool | None: ...
    @property
    def timeout(self) -> float: ...


log = logging.getLogger("gateway.email")

KEPT = 4
# Servers that limit the messages of a connection answer 421 past it: a connection is closed
# after this many (the message that got 421 on a kept connection is sent on a new one).
MESSAGES_PER_CONNECTION = 100
IDLE_SECONDS = 45.0
CHECK_AFTER = 5.0


@dataclass
class _Idle:
    client: aiosmtplib.SMTP
    since: float


# Per event loop (a connection belongs to the loop that opened it), then per server.
_idle: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[SmtpTarget, list[_Idle]]] = (
    weakref.WeakKeyDictionary())


# Messages sent over each open connection.
_sent: weakref.WeakKeyDictionary[aiosmtplib.SMTP, int] = weakref.WeakKeyDictionary()


def _kept(target: SmtpTarget) -> list[_Idle]:
    return _idle.setdefault(asyncio.get_running_loop(), {}).setdefault(target, [])


async def send(target: SmtpTarget, message: Composed, sender: str,
               recipients: Sequence[str]) -> dict[str, Any]:
    """Send ``message`` over a kept connection to ``target`` (or a new one); the recipients
    the server refused, by address. A kept connection found closed by the server on the way
    is replaced once by a new one."""
    import aiosmtplib

    client, reused = await _take(target)
    try:
        return await _send_over(client, target, message, sender, recipients)
    except (aiosmtplib.SMTPServerDisconnected, ConnectionError,
            aiosmtplib.SMTPResponseException) as lost:
        # 421: the server closes the connection (too many messages on it, shutting down)
        # without having taken the message; another code is its answer to this message.
        closed = not isinstance(lost, aiosmtplib.SMTPResponseException) or lost.code == 421
        if not (reused and closed):
            raise
        log.info("SMTP connection to %s closed by the server (%s): sending on a new one",
                 target, lost)
    return await _send_over(await _open(target), target, message, sender, recipients)


async def _send_over(client: aiosmtplib.SMTP, target: SmtpTarget, message: Composed,
                     sender: str, recipients: Sequence[str]) -> dict[str, Any]:
    try:
        # Composed to bytes already: nothing to flatten (``send_message`` would do it again).
        errors, _ = await client.sendmail(sender, list(recipients), message.data,
                                          mail_options=["SMTPUTF8"] if message.smtputf8 else [])
    except BaseException:
        await _close(client, polite=False)
        raise
    await _give_back(target, client)
    return errors


async def _take(target: SmtpTarget) -> tuple[aiosmtplib.SMTP, bool]:
    """A kept connection still open (and True), or a new one (and False)."""
    import aiosmtplib

    kept = _kept(target)
    while kept:
        idle = kept.pop()
        waited = time.monotonic() - idle.since
        if not idle.client.is_connected or waited > IDLE_SECONDS:
            await _close(idle.client, polite=idle.client.is_connected)
            continue
        if waited > CHECK_AFTER:
            try:
                await idle.client.noop()
            except (aiosmtplib.SMTPException, OSError):
                await _close(idle.client, polite=False)
                continue
        return idle.client, True
    return await _open(target), False


async def _open(target: SmtpTarget) -> aiosmtplib.SMTP:
    import aiosmtplib

    client = aiosmtplib.SMTP(hostname=target.host, port=target.port, username=target.username,
                             password=target.password, use_tls=target.use_tls,
                             start_tls=target.start_tls, timeout=target.timeout)
    await client.connect()
    return client


async def _give_back(target: SmtpTarget, client: aiosmtplib.SMTP) -> None:
    kept = _kept(target)
    _sent[client] = _sent.get(client, 0) + 1
    if len(kept) < KEPT and client.is_connected and _sent[client] < MESSAGES_PER_CONNECTION:
        kept.append(_Idle(client, time.monotonic()))
    else:
        await _close(client, polite=client.is_connected)


async def _close(client: aiosmtplib.SMTP, polite: bool) -> None:
    if polite:
        with contextlib.suppress(Exception):
            await client.quit()
            return
    client.close()


async def close_all() -> None:
    """QUIT and close the idle connections of the running loop."""
    for kept in _idle.pop(asyncio.get_running_loop(), {}).values():
        for idle in kept:
            await _close(idle.client, polite=idle.client.is_connected)
