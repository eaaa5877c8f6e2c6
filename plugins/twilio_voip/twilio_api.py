"""Twilio's REST API through the official ``twilio`` SDK, asynchronously, with an HTTP client
of our own (aiohttp, a dependency of the SDK) that can send what the SDK addresses to
``https://api.twilio.com`` to another base URL (``api_base_url``: a local Prism serving
Twilio's OpenAPI description in tests and development). Nothing else of the SDK is changed.

Every call opens its own HTTP session: the API is used by a request or a job now and then,
never in a tight loop, and a session never outlives the event loop that made it."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import aiohttp
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http import AsyncHttpClient
from twilio.http.response import Response
from twilio.rest import Client

log = logging.getLogger("gateway.twilio_voip")

TWILIO_API = "https://api.twilio.com"
# A number's webhooks: the gateway points them at itself when it buys or links the number, and
# puts back what they were when it unlinks it. Twilio's description gives a number no default
# answer (``VoiceUrl`` is optional when buying; its fetch example shows ``voice_url`` null,
# ``status_callback`` ""): the demo URL is only what Twilio's Console fills in. An empty value
# is how Twilio's API clears a URL.
WEBHOOK_FIELDS = ("voice_url", "voice_method", "status_callback", "status_callback_method")


class TwilioUnavailable(Exception):
    """Twilio (or what stands for it) did not answer, or answered what we cannot read."""


class TwilioRefused(Exception):
    """Twilio answered with an error: ``status`` (HTTP) and Twilio's ``code``."""

    def __init__(self, status: int, code: int | None, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


def rewrite(url: str, base_url: str) -> str:
    """``url`` with Twilio's API host replaced by ``base_url`` (unchanged when it is Twilio's)."""
    base = base_url.rstrip("/")
    if base != TWILIO_API and url.startswith(TWILIO_API):
        return base + url[len(TWILIO_API):]
    return url


class GatewayHttpClient(AsyncHttpClient):
    """The SDK's asynchronous HTTP client contract, on aiohttp, towards ``base_url``."""

    def __init__(self, base_url: str = TWILIO_API, timeout: float = 15.0) -> None:
        super().__init__(log, True, timeout)
        self.base_url = base_url

    async def request(self, method: str, uri: str, params: dict[str, object] | None = None,
                      data: dict[str, object] | None = None,
                      headers: dict[str, str] | None = None,
                      auth: tuple[str, str] | None = None, timeout: float | None = None,
                      allow_redirects: bool = False) -> Response:
        url = rewrite(uri, self.base_url)
        try:
            async with aiohttp.ClientSession() as session, session.request(
                    method.upper(), url, params=_strings(params), data=_strings(data),
                    headers=headers,
                    auth=aiohttp.BasicAuth(auth[0], auth[1]) if auth else None,
                    timeout=aiohttp.ClientTimeout(total=timeout or self.timeout),
                    allow_redirects=allow_redirects) as answer:
                text = await answer.text()
                return Response(answer.status, text, dict(answer.headers))
        except (aiohttp.ClientError, TimeoutError) as error:
            raise TwilioUnavailable(f"{method} {url}: {error!r}") from error


def _strings(values: dict[str, object] | None) -> list[tuple[str, str]] | None:
    if not values:
        return None
    out: list[tuple[str, str]] = []
    for key, value in values.items():
        for item in value if isinstance(value, list) else [value]:
            out.append((key, str(item)))
    return out


@dataclass(frozen=True)
class AccountInfo:
    sid: str
    friendly_name: str
    status: str  # active, suspended, closed
    trial: bool


@dataclass(frozen=True)
class AvailableNumber:
    phone_number: str
    friendly_name: str
    locality: str
    region: str
    country: str
    voice: bool


@dataclass(frozen=True)
class OwnedNumber:
    sid: str
    phone_number: str
    friendly_name: str
    voice_url: str
    voice_method: str = ""
    status_callback: str = ""
    status_callback_method: str = ""

    @property
    def webhooks(self) -> dict[str, str]:
        """What ``unpoint_number`` puts back."""
        return {key: str(getattr(self, key)) for key in WEBHOOK_FIELDS}


@dataclass(frozen=True)
class CallPrice:
    status: str
    price: Decimal | None  # Twilio's sign: negative is a charge; we keep the charge positive
    currency: str
    duration: int | None


def _price(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return abs(Decimal(str(value)))
    except InvalidOperation:
        return None


class TwilioApi:
    """One Twilio account, through the SDK."""

    def __init__(self, account_sid: str, auth_token: str, *, base_url: str = TWILIO_API,
                 timeout: float = 15.0) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.base_url = base_url
        self.client = Client(account_sid, auth_token,
                             http_client=GatewayHttpClient(base_url, timeout))

    @property
    def _account(self) -> Any:
        return self.client.api.v2010.accounts(self.account_sid)

    async def _run(self, what: str, awaitable: Any) -> Any:
        try:
            return await awaitable
        except TwilioRestException as error:
            raise TwilioRefused(error.status, error.code, str(error.msg)) from error
        except TwilioUnavailable:
            raise
        except (TwilioException, ValueError, KeyError, TypeError) as error:
            raise TwilioUnavailable(f"{what}: {error!r}") from error

    async def fetch_account(self) -> AccountInfo:
        account = await self._run("fetch account", self._account.fetch_async())
        return AccountInfo(sid=str(account.sid), friendly_name=str(account.friendly_name or ""),
                           status=str(account.status or ""),
                           trial=str(account.type or "").lower() == "trial")

    async def create_key(self, name: str) -> tuple[str, str]:
        """A new API key (sid, secret) to sign the browser's Access Tokens with."""
        key = await self._run("create key", self._account.new_keys.create_async(
            friendly_name=name))
        return str(key.sid), str(key.secret)

    async def delete_key(self, sid: str) -> None:
        await self._run("delete key", self._account.keys(sid).delete_async())

    async def create_application(self, name: str, voice_url: str,
                                 status_callback: str) -> str:
        """The TwiML app the browsers' outgoing calls reach the gateway through."""
        app = await self._run("create application", self._account.applications.create_async(
            friendly_name=name, voice_url=voice_url, voice_method="POST",
            status_callback=status_callback, status_callback_method="POST"))
        return str(app.sid)

    async def delete_application(self, sid: str) -> None:
        await self._run("delete application", self._account.applications(sid).delete_async())

    async def available_numbers(self, country: str, *, area_code: int | None = None,
                                contains: str | None = None, limit: int = 20
                                ) -> list[AvailableNumber]:
        options: dict[str, Any] = {"voice_enabled": True, "limit": limit}
        if area_code is not None:
            options["area_code"] = area_code
        if contains:
            options["contains"] = contains
        rows = await self._run("available numbers", self._account.available_phone_numbers(
            country).local.list_async(**options))
        return [AvailableNumber(
            phone_number=str(row.phone_number), friendly_name=str(row.friendly_name or ""),
            locality=str(row.locality or ""), region=str(row.region or ""),
            country=str(row.iso_country or country),
            voice=bool((row.capabilities or {}).get("voice", True)))
            for row in rows[:limit]]

    async def owned_numbers(self, limit: int = 200) -> list[OwnedNumber]:
        rows = await self._run("owned numbers",
                               self._account.incoming_phone_numbers.list_async(limit=limit))
        return [_owned(row) for row in rows[:limit]]

    async def fetch_number(self, sid: str) -> OwnedNumber:
        row = await self._run("fetch number", self._account.incoming_phone_numbers(
            sid).fetch_async())
        return _owned(row)

    async def buy_number(self, phone_number: str, voice_url: str,
                         status_callback: str) -> OwnedNumber:
        row = await self._run("buy number", self._account.incoming_phone_numbers.create_async(
            phone_number=phone_number, voice_url=voice_url, voice_method="POST",
            status_callback=status_callback, status_callback_method="POST"))
        return _owned(row)

    async def point_number(self, sid: str, voice_url: str, status_callback: str) -> OwnedNumber:
        row = await self._run("update number", self._account.incoming_phone_numbers(
            sid).update_async(voice_url=voice_url, voice_method="POST",
                              status_callback=status_callback,
                              status_callback_method="POST"))
        return _owned(row)

    async def unpoint_number(self, sid: str, previous: dict[str, str] | None = None
                             ) -> OwnedNumber:
        """Calls stop reaching the gateway: the number gets back the webhooks it had before
        it was linked (``previous``, see ``OwnedNumber.webhooks``), or none at all (empty
        URLs, as a number bought through the API has) when nothing was recorded."""
        before = previous or {}
        methods = {key: before[key] if before.get(key) in ("GET", "POST") else "POST"
                   for key in ("voice_method", "status_callback_method")}
        row = await self._run("update number", self._account.incoming_phone_numbers(
            sid).update_async(voice_url=str(before.get("voice_url") or ""),
                              status_callback=str(before.get("status_callback") or ""),
                              **methods))
        return _owned(row)

    async def release_number(self, sid: str) -> None:
        await self._run("release number", self._account.incoming_phone_numbers(
            sid).delete_async())

    async def call_price(self, call_sid: str) -> CallPrice:
        """The call's price with its child legs' (a browser call dials the number as a
        child): None while Twilio has not priced every leg yet."""
        call = await self._run("fetch call", self._account.calls(call_sid).fetch_async())
        page = await self._run("child calls", self._account.calls.page_async(
            parent_call_sid=call_sid, page_size=50))
        children = list(page)
        total: Decimal | None = _price(call.price)
        currency = str(call.price_unit or "USD").upper()
        if total is None:
            return CallPrice(str(call.status), None, currency, _int(call.duration))
        for child in children:
            price = _price(child.price)
            if price is None:
                return CallPrice(str(call.status), None, currency, _int(call.duration))
            total += price
        return CallPrice(str(call.status), total, currency, _int(call.duration))

    async def recording_chunks(self, recording_sid: str) -> AsyncIterator[bytes]:
        """The recording's audio (MP3), chunk by chunk. The URL is built from the account
        and the recording's sid: never one a webhook handed over."""
        url = rewrite(f"{TWILIO_API}/2010-04-01/Accounts/{self.account_sid}/Recordings/"
                      f"{recording_sid}.mp3", self.base_url)
        try:
            async with aiohttp.ClientSession() as session, session.get(
                    url, auth=aiohttp.BasicAuth(self.account_sid, self.auth_token),
                    timeout=aiohttp.ClientTimeout(total=300)) as answer:
                if answer.status >= 400:
                    raise TwilioRefused(answer.status, None, await answer.text())
                async for chunk in answer.content.iter_chunked(64 * 1024):
                    yield chunk
        except (aiohttp.ClientError, TimeoutError) as error:
            raise TwilioUnavailable(f"recording {recording_sid}: {error!r}") from error


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _owned(row: Any) -> OwnedNumber:
    return OwnedNumber(sid=str(row.sid), phone_number=str(row.phone_number),
                       friendly_name=str(row.friendly_name or ""),
                       voice_url=str(row.voice_url or ""),
                       voice_method=str(row.voice_method or ""),
                       status_callback=str(row.status_callback or ""),
                       status_callback_method=str(row.status_callback_method or ""))
