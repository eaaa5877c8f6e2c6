"""Secrets kept at rest (SIP secrets, a provider's API token): Fernet with a key derived from
the gateway's ``SECRET_KEY`` by HKDF, one key per purpose. Rotating the secret key makes the
stored values unreadable (``decrypt`` returns None): they must be entered again."""

from __future__ import annotations

import base64
from functools import lru_cache
from typing import Protocol

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

# The purpose the account settings plugin has always used: its stored secrets stay readable.
DEFAULT_PURPOSE = "gateway.account_settings.secrets.v1"


class _Settings(Protocol):
    @property
    def secret_key(self) -> str: ...


class _Host(Protocol):
    @property
    def settings(self) -> _Settings: ...


@lru_cache(maxsize=32)
def _fernet(secret_key: str, purpose: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
               info=purpose.encode()).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt(host: _Host, value: str, *, purpose: str = DEFAULT_PURPOSE) -> str:
    """``value`` encrypted (and authenticated) under the key of ``purpose``."""
    return _fernet(host.settings.secret_key, purpose).encrypt(value.encode()).decode()


def decrypt(host: _Host, token: str, *, purpose: str = DEFAULT_PURPOSE) -> str | None:
    """The clear value, or None when there is none or it was encrypted under another secret
    key or purpose."""
    if not token:
        return None
    try:
        return _fernet(host.settings.secret_key, purpose).decrypt(token.encode()).decode()
    except InvalidToken:
        return None
