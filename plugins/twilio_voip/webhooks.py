"""Twilio's webhooks (Starlette routes under ``/twilio/voice/``): the incoming call (TwiML
ringing the number's online operators in their browsers), the dial result (nobody answered:
missed, voicemail when the account has it), the browser's outgoing call (dialled only when
``startVoipCall`` prepared it), status callbacks and recording callbacks.

Every request is verified: its ``X-Twilio-Signature`` (HMAC-SHA1 of the URL Twilio was given,
PUBLIC_URL + path, and the POST parameters) with the Auth Token of the Twilio account it
claims (``AccountSid``) — anything else is 403, and the attempt is logged. A webhook already
processed (same kind, CallSid and state) is a replay: 409, nothing done twice."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction
from twilio.request_validator import RequestValidator
from twilio.twiml.voice_response import VoiceResponse

from gateway.api import Account, PluginHost, enqueue, publish_event, read_body

from .access import unseal, user_of_identity
from .calls import PRICE_JOB, RECORDING_JOB
from .connection import (
    DIAL_PATH,
    INCOMING_PATH,
    OUTGOING_PATH,
    RECORDING_PATH,
    STATUS_PATH,
    public,
)
from .contacts import contact_for_call
from .models import (
    CallStatus,
    Direction,
    NumberOperator,
    Presence,
    ProcessedWebhook,
    TwilioAccount,
    VoipCall,
    VoipNumber,
)
from .numbers import e164

log = logging.getLogger("gateway.twilio_voip")

MAX_BODY = 64 * 1024
TWIML = "application/xml"
SAY_LANGUAGE = {"fr": "fr-CA", "en": "en-US"}
MESSAGES = {
    "unavailable": {"fr": "Personne n'est disponible pour prendre votre appel. Au revoir.",
                    "en": "Nobody is available to take your call. Goodbye."},
    "voicemail": {"fr": "Personne n'est disponible. Laissez un message après le bip.",
                  "en": "Nobody is available. Please leave a message after the beep."},
    "refused": {"fr": "Cet appel ne peut pas être passé.",
                "en": "This call cannot be made."},
}
# Twilio's CallStatus -> ours.
STATUSES = {"queued": CallStatus.RINGING, "initiated": CallStatus.RINGING,
            "ringing": CallStatus.RINGING, "in-progress": CallStatus.IN_PROGRESS,
            "answered": CallStatus.IN_PROGRESS, "completed": CallStatus.COMPLETED,
            "busy": CallStatus.BUSY, "no-answer": CallStatus.NO_ANSWER,
            "failed": CallStatus.FAILED, "canceled": CallStatus.CANCELED}
FINAL = {CallStatus.COMPLETED, CallStatus.MISSED, CallStatus.BUSY, CallStatus.NO_ANSWER,
         CallStatus.FAILED, CallStatus.CANCELED}


def channel(account_id: int) -> str:
    return f"twilio_voip.account.{account_id}"


async def publish(call: VoipCall, kind: str, operator_id: int | None = None) -> None:
    """A live event for the subscriptions of the number's online operators."""
    await publish_event(channel(call.account_id), {
        "kind": kind, "call_id": call.id, "number_id": call.number_id,
        "operator_id": operator_id})


def twiml(response: VoiceResponse) -> Response:
    return Response(str(response), media_type=TWIML, headers={"Cache-Control": "no-store"})


def _refuse(request: Request, status: int, reason: str) -> Response:
    address = request.client.host if request.client else "unknown"
    log.warning("twilio_voip: webhook %s refused (%s) from %s", request.url.path, reason,
                address)
    return JSONResponse({"status": "FORBIDDEN" if status == 403 else reason.upper()},
                        status_code=status, headers={"Cache-Control": "no-store"})


async def _verified(request: Request) -> tuple[dict[str, str], TwilioAccount] | Response:
    """The POST parameters and the Twilio account whose token signed them, or the 403."""
    host: PluginHost = request.app.state.host
    body = await read_body(request, MAX_BODY)
    if body is None:
        return _refuse(request, 413, "too_large")
    # Twilio posts application/x-www-form-urlencoded parameters.
    try:
        params = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    except (UnicodeDecodeError, ValueError):
        return _refuse(request, 403, "unreadable body")
    signature = request.headers.get("x-twilio-signature", "")
    if not signature:
        return _refuse(request, 403, "unsigned")
    sid = params.get("AccountSid", "")
    twilio = await TwilioAccount.get_or_none(account_sid=sid, active=True) if sid else None
    token = unseal(host, twilio.auth_token) if twilio is not None else None
    if twilio is None or token is None:
        return _refuse(request, 403, f"no connected Twilio account {sid[:34]!r}")
    url = public(host, request.url.path)
    if request.url.query:
        url += "?" + request.url.query
    if not RequestValidator(token).validate(url, params, signature):
        return _refuse(request, 403, "bad signature")
    return params, twilio


async def _first_time(key: str) -> bool:
    """Record that the webhook ``key`` is processed; False when it already was."""
    try:
        async with in_transaction():  # a savepoint inside the caller's transaction
            await ProcessedWebhook.create(key=key[:120])
    except IntegrityError:
        return False
    return True


def _replay(request: Request, key: str) -> Response:
    log.info("twilio_voip: webhook %s already processed (%s)", request.url.path, key)
    return JSONResponse({"status": "ALREADY_PROCESSED"}, status_code=409,
                        headers={"Cache-Control": "no-store"})


async def _language(account_id: int) -> str:
    rows = await Account.filter(id=account_id).values("language")
    return "fr" if rows and rows[0]["language"] == "fr" else "en"


async def _missed_twiml(call: VoipCall, twilio: TwilioAccount, host: PluginHost) -> Response:
    """Nobody answered: the call is missed, and goes to voicemail when the account has it."""
    language = await _language(call.account_id)
    await VoipCall.filter(id=call.id).update(status=CallStatus.MISSED,
                                             voicemail=twilio.voicemail)
    call.status = CallStatus.MISSED
    await publish(call, "MISSED")
    response = VoiceResponse()
    say = SAY_LANGUAGE[language]
    if twilio.voicemail:
        response.say(twilio.greeting or MESSAGES["voicemail"][language], language=say)
        response.record(max_length=180, play_beep=True, timeout=5,
                        recording_status_callback=public(host, RECORDING_PATH),
                        recording_status_callback_method="POST")
    else:
        response.say(MESSAGES["unavailable"][language], language=say)
    response.hangup()
    return twiml(response)


async def incoming(request: Request) -> Response:
    """A call to one of the account's numbers: ring its online operators' browsers."""
    host: PluginHost = request.app.state.host
    verified = await _verified(request)
    if isinstance(verified, Response):
        return verified
    params, twilio = verified
    call_sid, to = params.get("CallSid", ""), e164(params.get("To", "")) or ""
    number = await VoipNumber.get_or_none(phone_number=to, account_id=twilio.account_id)
    if number is None or not call_sid:
        return _refuse(request, 404, "unknown_number")
    key = f"incoming:{call_sid}"
    caller = e164(params.get("From", "")) or params.get("From", "")[:20] or "anonymous"
    async with in_transaction():
        if not await _first_time(key):
            return _replay(request, key)
        contact_id = await contact_for_call(twilio.account_id, caller) if caller.startswith(
            "+") else None
        operators = await NumberOperator.filter(number_id=number.id).values(
            "user_id", "recording")
        online = set(await Presence.filter(
            user_id__in=[o["user_id"] for o in operators], online=True,
            account_id=twilio.account_id).values_list("user_id", flat=True))
        ringing = [o for o in operators if o["user_id"] in online]
        # Recorded only when the number and every operator who may answer allow it.
        record = number.recording and bool(ringing) and all(o["recording"] for o in ringing)
        call = await VoipCall.create(
            account_id=twilio.account_id, number_id=number.id, call_sid=call_sid[:34],
            direction=Direction.INBOUND, status=CallStatus.RINGING,
            our_number=number.phone_number, other_number=caller, contact_id=contact_id,
            record=record, started_at=dt.datetime.now(dt.UTC))
    if not ringing:
        return await _missed_twiml(call, twilio, host)
    await publish(call, "RINGING")
    response = VoiceResponse()
    options: dict[str, Any] = {"timeout": twilio.ring_seconds, "answer_on_bridge": True,
                               "action": public(host, DIAL_PATH), "method": "POST"}
    if record:
        options.update(record="record-from-answer",
                       recording_status_callback=public(host, RECORDING_PATH),
                       recording_status_callback_method="POST")
    dial = response.dial(**options)
    for operator in sorted(ringing, key=lambda o: o["user_id"]):
        dial.client(f"gw-user-{operator['user_id']}", status_callback=public(host, STATUS_PATH),
                    status_callback_method="POST",
                    status_callback_event="initiated ringing answered completed")
    return twiml(response)


async def dial_result(request: Request) -> Response:
    """The ``<Dial>`` ended: answered (the status callbacks tell the rest) or not (missed)."""
    host: PluginHost = request.app.state.host
    verified = await _verified(request)
    if isinstance(verified, Response):
        return verified
    params, twilio = verified
    call_sid = params.get("CallSid", "")
    key = f"dial:{call_sid}"
    call = await VoipCall.get_or_none(call_sid=call_sid, account_id=twilio.account_id)
    if call is None:
        return _refuse(request, 404, "unknown_call")
    if not await _first_time(key):
        return _replay(request, key)
    if params.get("DialCallStatus") in ("completed", "answered"):
        response = VoiceResponse()
        response.hangup()
        return twiml(response)
    return await _missed_twiml(call, twilio, host)


async def outgoing(request: Request) -> Response:
    """The browser's call, through the TwiML app: dialled only when ``startVoipCall``
    prepared it (restrictions, test mode and switches checked there) for this operator,
    within its window, once."""
    host: PluginHost = request.app.state.host
    verified = await _verified(request)
    if isinstance(verified, Response):
        return verified
    params, twilio = verified
    from .access import config

    token, call_sid = params.get("CallToken", ""), params.get("CallSid", "")
    user_id = user_of_identity(params.get("From", "") or params.get("Caller", ""))
    window = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=config(host).outgoing_window_seconds)
    async with in_transaction():
        call = await VoipCall.select_for_update().get_or_none(
            outgoing_token=token, account_id=twilio.account_id,
            status=CallStatus.INITIATED) if token else None
        if call is None or call.operator_id != user_id or call.started_at < window or (
                not call_sid):
            log.warning("twilio_voip: outgoing call %s refused: not prepared for %s",
                        call_sid[:34], params.get("From", "")[:60])
            response = VoiceResponse()
            response.say(MESSAGES["refused"][await _language(twilio.account_id)])
            response.hangup()
            return twiml(response)
        await VoipCall.filter(id=call.id).update(
            call_sid=call_sid[:34], status=CallStatus.RINGING, outgoing_token=None,
            started_at=dt.datetime.now(dt.UTC))
    response = VoiceResponse()
    options: dict[str, Any] = {"caller_id": call.our_number, "answer_on_bridge": True}
    if call.record:
        options.update(record="record-from-answer",
                       recording_status_callback=public(host, RECORDING_PATH),
                       recording_status_callback_method="POST")
    dial = response.dial(**options)
    dial.number(call.other_number, status_callback=public(host, STATUS_PATH),
                status_callback_method="POST",
                status_callback_event="initiated ringing answered completed")
    return twiml(response)


async def status(request: Request) -> Response:
    """What happened to a call or one of its legs: answered (by which operator), ended,
    busy, not answered. A completed call's price is fetched later by a job."""
    verified = await _verified(request)
    if isinstance(verified, Response):
        return verified
    params, twilio = verified
    call_sid, parent_sid = params.get("CallSid", ""), params.get("ParentCallSid", "")
    state = STATUSES.get(params.get("CallStatus", ""))
    if state is None:
        return _refuse(request, 400, "unknown_status")
    key = f"status:{call_sid}:{params.get('CallStatus')}"
    now = dt.datetime.now(dt.UTC)
    async with in_transaction():
        if not await _first_time(key):
            return _replay(request, key)
        call = await VoipCall.select_for_update().get_or_none(
            call_sid=(parent_sid or call_sid), account_id=twilio.account_id)
        if call is None:
            return JSONResponse({"status": "IGNORED"})
        if parent_sid:  # a leg: an operator's browser (incoming) or the dialled number
            values, events = _leg_changes(call, state, params, now)
        else:
            values, events = _call_changes(call, state, params, now)
            if state in FINAL and (state == CallStatus.COMPLETED or call.answered_at):
                await enqueue(PRICE_JOB, {"call_id": call.id})
        if values:
            await VoipCall.filter(id=call.id).update(**values)
    for kind, operator_id in events:
        await publish(call, kind, operator_id)
    return JSONResponse({"status": "OK"})


Changes = tuple[dict[str, Any], list[tuple[str, int | None]]]


def _leg_changes(call: VoipCall, state: CallStatus, params: dict[str, str],
                 now: dt.datetime) -> Changes:
    """A leg answered (which operator, for an incoming call) or, calling out, the dialled
    number busy or not answering."""
    values: dict[str, Any] = {}
    events: list[tuple[str, int | None]] = []
    if state == CallStatus.IN_PROGRESS and call.answered_at is None:
        values.update(status=CallStatus.IN_PROGRESS, answered_at=now)
        operator = call.operator_id
        if call.direction == Direction.INBOUND:
            operator = user_of_identity(params.get("To", ""))
            if operator is not None:
                values["operator_id"] = operator
        events.append(("ANSWERED", operator))
    elif call.direction == Direction.OUTBOUND and state in (
            CallStatus.BUSY, CallStatus.NO_ANSWER, CallStatus.FAILED, CallStatus.CANCELED):
        values["status"] = state
    return values, events


def _call_changes(call: VoipCall, state: CallStatus, params: dict[str, str],
                  now: dt.datetime) -> Changes:
    """The call itself ended: how long it lasted, and how it ended (an incoming call nobody
    answered is missed)."""
    if state not in FINAL:
        return {}, []
    duration = params.get("CallDuration", "")
    values: dict[str, Any] = {"ended_at": now,
                              "duration": int(duration) if duration.isdigit() else None}
    events: list[tuple[str, int | None]] = []
    settled = (CallStatus.MISSED, CallStatus.BUSY, CallStatus.NO_ANSWER, CallStatus.FAILED,
               CallStatus.CANCELED)
    if call.status in settled:
        pass
    elif call.answered_at is None and call.direction == Direction.INBOUND:
        values["status"] = CallStatus.MISSED
        events.append(("MISSED", None))
    elif call.answered_at is None and state == CallStatus.COMPLETED:
        values["status"] = CallStatus.NO_ANSWER
    else:
        values["status"] = state
    events.append(("ENDED", call.operator_id))
    return values, events


async def recording(request: Request) -> Response:
    """A recording is ready (a recorded call, or a voicemail): the job fetches its audio."""
    verified = await _verified(request)
    if isinstance(verified, Response):
        return verified
    params, twilio = verified
    recording_sid = params.get("RecordingSid", "")
    if not recording_sid.startswith("RE") or len(recording_sid) != 34 or (
            not recording_sid[2:].isalnum()):
        return _refuse(request, 400, "bad_recording")
    key = f"recording:{recording_sid}:{params.get('RecordingStatus', '')}"
    async with in_transaction():
        if not await _first_time(key):
            return _replay(request, key)
        call = await VoipCall.get_or_none(call_sid=params.get("CallSid", ""),
                                          account_id=twilio.account_id)
        if call is None:
            return JSONResponse({"status": "IGNORED"})
        if params.get("RecordingStatus", "completed") != "completed":
            return JSONResponse({"status": "OK"})
        duration = params.get("RecordingDuration", "")
        await VoipCall.filter(id=call.id).update(
            recording_sid=recording_sid,
            recording_duration=int(duration) if duration.isdigit() else None,
            voicemail=call.voicemail or call.status == CallStatus.MISSED)
        await enqueue(RECORDING_JOB, {"call_id": call.id, "recording_sid": recording_sid})
    return JSONResponse({"status": "OK"})


def routes() -> list[Route]:
    return [Route(INCOMING_PATH, incoming, methods=["POST"]),
            Route(DIAL_PATH, dial_result, methods=["POST"]),
            Route(OUTGOING_PATH, outgoing, methods=["POST"]),
            Route(STATUS_PATH, status, methods=["POST"]),
            Route(RECORDING_PATH, recording, methods=["POST"])]
