"""Fixtures of the chat tests. Live conversations (chat-live): the real app with every plugin
and a real SMTP server, one per test module (``live_support``)."""

from __future__ import annotations

from tests.plugins.chat.live_support import chat_gateway, smtp  # noqa: F401  (fixtures)
