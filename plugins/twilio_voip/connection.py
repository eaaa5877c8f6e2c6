"""Connecting a subscriber account to its Twilio account ("Intégration, Service tiers"):
credentials verified by fetching the account through the SDK, a trial account detected, the
Auth Token and the softphone's API key secret encrypted at rest and never returned; the
account's common settings; disconnecting (webhooks refused from then on, the call log kept)."""

from __future__ import annotations

import functools
import logging
import re
from datetime import UTC, datetime
from typing import Any

from tortoise.transactions import in_transaction

from gateway.api import PluginHost, Principal, Problem, Problems, enqueue

from . import errors as e
from .access import admin_account, seal, unseal
from .config import TwilioVoipConfig
from .errors import VoipErrorCode as Code
from .models import NumberOperator, TwilioAccount, VoipNumber
from .twilio_api import TwilioApi, TwilioRefused, TwilioUnavailable

log = logging.getLogger("gateway.twilio_voip")

SID = re.compile(r"^AC[0-9a-fA-F]{32}$")
TOKEN = re.compile(r"^[0-9A-Za-z]{16,64}$")
CLEANUP_JOB = "twilio_voip.disconnect_cleanup"

INCOMING_PATH = "/twilio/voice/incoming"
OUTGOING_PATH = "/twilio/voice/outgoing"
STATUS_PATH = "/twilio/voice/status"
DIAL_PATH = "/twilio/voice/dial-result"
RECORDING_PATH = "/twilio/voice/recording"


def public(host: PluginHost, path: str) -> str:
    """The URL Twilio must reach for ``path`` (the gateway's PUBLIC_URL)."""
    return str(host.settings.public_url).rstrip("/") + path


def twilio_problem(error: Exception, field: list[str | int] | None = None) -> Problem:
    if isinstance(error, TwilioRefused) and error.status < 500:
        if error.status in (401, 403):
            return Problem(Code.BAD_CREDENTIALS, e.BAD_CREDENTIALS, field)
        if error.status == 404:
            return Problem(Code.NOT_FOUND, e.NOT_FOUND, field)
        return Problem(Code.TWILIO_REFUSED, e.REFUSED, field, message=str(error)[:200])
    log.warning("twilio_voip: Twilio unavailable: %s", error)
    return Problem(Code.TWILIO_UNAVAILABLE, e.UNAVAILABLE, field)


async def connect(principal: Principal, host: PluginHost, config: TwilioVoipConfig,
                  account_sid: str, auth_token: str) -> TwilioAccount:
    """Verify the credentials with Twilio, then keep them (encrypted). Connecting again
    replaces the credentials."""
    account_id = admin_account(principal)
    sid, token = account_sid.strip(), auth_token.strip()
    problems = []
    if not SID.match(sid):
        problems.append(Problem(Code.INVALID, e.BAD_SID, ["input", "accountSid"]))
    if not TOKEN.match(token):
        problems.append(Problem(Code.INVALID, e.BAD_TOKEN, ["input", "authToken"]))
    if problems:
        raise problems[0] if len(problems) == 1 else Problems(problems)
    api = TwilioApi(sid, token, base_url=config.api_base_url,
                    timeout=config.api_timeout_seconds)
    try:
        info = await api.fetch_account()
    except (TwilioRefused, TwilioUnavailable) as error:
        problem = twilio_problem(error)
        if problem.code == Code.NOT_FOUND:
            problem = Problem(Code.BAD_CREDENTIALS, e.BAD_CREDENTIALS)
        raise problem from None
    if info.status.lower() != "active":
        raise Problem(Code.NOT_ALLOWED, e.ACCOUNT_INACTIVE, ["input", "accountSid"],
                      status=info.status)
    # Only once Twilio accepted the token: a SID alone must not tell whose it is.
    taken = await TwilioAccount.filter(account_sid=sid, active=True).exclude(
        account_id=account_id).exists()
    if taken:
        raise Problem(Code.ALREADY_CONNECTED, e.SID_TAKEN, ["input", "accountSid"])
    previous = await TwilioAccount.get_or_none(account_id=account_id)
    try:  # the browser softphone: an API key to sign Access Tokens, a TwiML app for calls out
        key_sid, key_secret = await api.create_key("Gateway softphone")
        app_sid = await api.create_application(
            "Gateway softphone", public(host, OUTGOING_PATH), public(host, STATUS_PATH))
    except (TwilioRefused, TwilioUnavailable) as error:
        raise twilio_problem(error) from None
    values: dict[str, Any] = {
        "account_sid": sid, "auth_token": seal(host, token), "api_key_sid": key_sid,
        "api_key_secret": seal(host, key_secret), "application_sid": app_sid,
        "friendly_name": info.friendly_name[:120], "trial": info.trial, "active": True,
        "disconnected_at": None}
    async with in_transaction():
        if previous is None:
            twilio = await TwilioAccount.create(account_id=account_id, **values)
        else:
            await TwilioAccount.filter(id=previous.id).update(**values)
            twilio = await TwilioAccount.get(id=previous.id)
            if previous.active and previous.api_key_sid:  # the replaced key and app go
                await enqueue(CLEANUP_JOB, {
                    "account_sid": previous.account_sid, "auth_token": previous.auth_token,
                    "api_key_sid": previous.api_key_sid,
                    "application_sid": previous.application_sid, "numbers": []})
    return twilio


async def disconnect(principal: Principal) -> int:
    """Stop VoIP for the account: webhooks are refused from now on, the numbers are unlinked
    (a job gives them back at Twilio the webhooks they had before they were linked, none for
    a number bought here), the credentials forgotten; the call log, the contacts and their
    history stay."""
    disconnected = await disconnect_account(admin_account(principal))
    if disconnected is None:
        raise Problem(Code.NOT_CONNECTED, e.NOT_CONNECTED)
    return disconnected


async def disconnect_account(account_id: int) -> int | None:
    """What "Déconnecter" does, for the account ``account_id``; None when it was not
    connected. Also called when the account is unsubscribed (in that transaction)."""
    async with in_transaction():
        twilio = await TwilioAccount.select_for_update().get_or_none(account_id=account_id,
                                                                     active=True)
        if twilio is None:
            return None
        numbers = await VoipNumber.filter(account_id=account_id).order_by("id").values(
            "sid", "previous_webhooks")
        await enqueue(CLEANUP_JOB, {
            "account_sid": twilio.account_sid, "auth_token": twilio.auth_token,
            "api_key_sid": twilio.api_key_sid, "application_sid": twilio.application_sid,
            "numbers": [row["sid"] for row in numbers],
            "restore": {row["sid"]: row["previous_webhooks"] for row in numbers
                        if row["previous_webhooks"]}})
        await NumberOperator.filter(account_id=account_id).delete()
        await VoipNumber.filter(account_id=account_id).delete()
        await TwilioAccount.filter(id=twilio.id).update(
            active=False, auth_token="", api_key_secret="", api_key_sid="",
            application_sid="", disconnected_at=datetime.now(UTC))
    log.info("twilio_voip: account %s disconnected from Twilio %s", account_id,
             twilio.account_sid)
    return twilio.id


def cleanup_job(host: PluginHost) -> Any:
    async def cleanup(payload: dict[str, Any]) -> None:
        """Give the unlinked numbers back the webhooks they had before they were linked
        (none for a number bought here), delete the softphone's key and app (a retry repeats
        every step, each harmless twice; Twilio's 404 counts as done)."""
        token = unseal(host, str(payload.get("auth_token") or ""))
        if token is None:
            log.warning("twilio_voip: cannot clean up %s (token unreadable)",
                        payload.get("account_sid"))
            return
        settings = host.config_for("twilio_voip", TwilioVoipConfig)
        api = TwilioApi(str(payload["account_sid"]), token, base_url=settings.api_base_url,
                        timeout=settings.api_timeout_seconds)
        restore = payload.get("restore") or {}
        steps: list[Any] = [functools.partial(api.unpoint_number, sid, restore.get(sid))
                            for sid in payload.get("numbers", [])]
        if payload.get("api_key_sid"):
            steps.append(functools.partial(api.delete_key, str(payload["api_key_sid"])))
        if payload.get("application_sid"):
            steps.append(functools.partial(api.delete_application,
                                           str(payload["application_sid"])))
        for step in steps:
            try:
                await step()
            except TwilioRefused as error:
                if error.status not in (404, 401):
                    raise
    return cleanup


def cleanup_summary(payload: dict[str, Any]) -> dict[str, Any]:
    """What the outbox keeps of a done clean-up: no token."""
    return {"account_sid": payload.get("account_sid"), "numbers": payload.get("numbers", [])}


async def update_settings(principal: Principal, *, ring_seconds: int | None,
                          voicemail: bool | None, greeting: str | None) -> TwilioAccount:
    """The settings common to every number."""
    account_id = admin_account(principal)
    twilio = await TwilioAccount.get_or_none(account_id=account_id, active=True)
    if twilio is None:
        raise Problem(Code.NOT_CONNECTED, e.NOT_CONNECTED)
    values: dict[str, Any] = {}
    if ring_seconds is not None:
        if not 5 <= ring_seconds <= 120:
            raise Problem(Code.OUT_OF_RANGE, e.OUT_OF_RANGE, ["input", "ringSeconds"],
                          min=5, max=120)
        values["ring_seconds"] = ring_seconds
    if voicemail is not None:
        values["voicemail"] = voicemail
    if greeting is not None:
        greeting = greeting.strip()
        if len(greeting) > 500:
            raise Problem(Code.TOO_LONG, e.TOO_LONG, ["input", "greeting"], max=500)
        values["greeting"] = greeting
    if values:
        await TwilioAccount.filter(id=twilio.id).update(**values)
    return await TwilioAccount.get(id=twilio.id)
