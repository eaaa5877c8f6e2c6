"""Short-lived signed tokens for download URLs (exports, recordings): the URL carries what it
grants, signed with ``SECRET_KEY`` and dated, so a download route trusts the signature and
never the client. One salt per kind of URL, so a token of one kind opens nothing else."""

from __future__ import annotations

from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

__all__ = ["BadSignature", "SignatureExpired", "serializer", "sign", "unsign"]


def serializer(secret_key: str, salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=salt)


def sign(secret_key: str, salt: str, data: Any) -> str:
    """A URL-safe token carrying ``data`` (JSON-serialisable)."""
    return serializer(secret_key, salt).dumps(data)


def unsign(secret_key: str, salt: str, token: str, max_age_seconds: int) -> Any:
    """The data of ``token``; raises ``SignatureExpired`` past ``max_age_seconds`` and
    ``BadSignature`` for a forged or damaged token."""
    return serializer(secret_key, salt).loads(token, max_age=max_age_seconds)
