"""Generated business identifiers: CAN (customer account number)."""

from __future__ import annotations

import secrets

# No 0/O, 1/I/L: people read CANs aloud on the phone.
_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_can() -> str:
    """A fresh CAN like ``CAN-7KQ2-M9XD``; uniqueness is enforced by the database."""
    body = "".join(secrets.choice(_ALPHABET) for _ in range(8))
    return f"CAN-{body[:4]}-{body[4:]}"
