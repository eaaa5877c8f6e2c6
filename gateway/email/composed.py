"""A composed email, as the transports take it (``gateway.email.mime`` writes it)."""

from __future__ import annotations

from typing import NamedTuple


class Composed(NamedTuple):
    """A message ready to send: its Message-ID, its bytes ("\\n" line ends; SMTP clients send
    CRLF), and whether an address is not ASCII (the server must take SMTPUTF8)."""

    message_id: str
    data: bytes
    smtputf8: bool
