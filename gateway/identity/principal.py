"""Who sent a request: a session cookie (browsers) or ``Authorization: Bearer`` (mobile, API)."""

from __future__ import annotations

from starlette.requests import HTTPConnection

from gateway.contributions import Principal
from gateway.identity.secrets import API_TOKEN_PREFIX, SESSION_PREFIX
from gateway.identity.sessions import (
    principal_for_api_token,
    principal_for_session_token,
    resolve_api_token,
)

SESSION_COOKIE = "gw_session"
# During direct access in a browser, the reseller's own session token waits in this cookie.
PARENT_COOKIE = "gw_session_parent"


def request_token(request: HTTPConnection) -> str | None:
    """The bearer token if any, else the session cookie."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.cookies.get(SESSION_COOKIE) or None


async def principal_from_token(token: str | None) -> Principal | None:
    if not token:
        return None
    if token.startswith(SESSION_PREFIX):
        return await principal_for_session_token(token)
    if token.startswith(API_TOKEN_PREFIX):
        api_token = await resolve_api_token(token)
        return principal_for_api_token(api_token) if api_token else None
    return None


async def principal_for_request(request: HTTPConnection) -> Principal | None:
    return await principal_from_token(request_token(request))


def secure_cookies(public_url: str, request: HTTPConnection) -> bool:
    """Session cookies are Secure when the gateway is reached over https (directly or, behind
    a proxy, per its PUBLIC_URL)."""
    return public_url.startswith("https://") or request.url.scheme == "https"
