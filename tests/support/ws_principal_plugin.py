"""A test plugin naming the caller from ``Authorization: Bearer ws-test:<ROLE>[:<lang>]`` or
the cookie ``ws_test=<ROLE>[:<lang>]``, so subscription tests need no real identity."""

from __future__ import annotations

from typing import Any

from gateway.contributions import Principal
from gateway.hookimpl import hookimpl

TOKEN_PREFIX = "ws-test:"
COOKIE = "ws_test"


def bearer(role: str, language: str = "en") -> str:
    return f"Bearer {TOKEN_PREFIX}{role}:{language}"


def cookie(role: str, language: str = "en") -> str:
    return f"{COOKIE}={role}:{language}"


def _principal(value: str) -> Principal:
    role, _, language = value.partition(":")
    return Principal(role=role, user_id=1, language=language or "en")


@hookimpl
def gateway_principal(gateway: Any, request: Any) -> Any:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.startswith(TOKEN_PREFIX):
        return _principal(token.removeprefix(TOKEN_PREFIX))
    value = request.cookies.get(COOKIE)
    return _principal(value) if value else None
