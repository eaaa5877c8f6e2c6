"""The operator's side ("l'assistant VoIP"): whether VoIP is available to a user, going online
or offline, the browser softphone's Access Token, placing a call (only operators allowed to,
after the call restrictions and test mode), and the missed calls of the current session."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from tortoise.transactions import in_transaction
from twilio.jwt.access_token import AccessToken
from twilio.jwt.access_token.grants import VoiceGrant

from gateway.api import Account, BillingStatus, PluginHost, Principal, Problem, Text
from plugins.restrictions.api import decide

from . import errors as e
from .access import account_of, identity, require_connection, unseal
from .config import TwilioVoipConfig
from .contacts import contact_for_call
from .errors import VoipErrorCode as Code
from .models import (
    CallStatus,
    ContactPhone,
    Direction,
    NumberOperator,
    Presence,
    TwilioAccount,
    VoipCall,
    VoipNumber,
)


@dataclass(frozen=True)
class Availability:
    """What ``myVoip`` tells a user."""

    connected: bool
    operator: bool  # of at least one number: the VoIP icon shows
    online: bool
    since: dt.datetime | None
    identity: str | None
    number_ids: list[int]

    @property
    def available(self) -> bool:
        return self.connected and self.operator


async def in_service(account_id: int) -> bool:
    """The account has an active Twilio connection and is not unsubscribed (unsubscribing
    disconnects it; this also covers a row left from before that rule)."""
    return await TwilioAccount.filter(account_id=account_id, active=True).exclude(
        account__billing_status=BillingStatus.UNSUBSCRIBED).exists()


async def availability(principal: Principal | None) -> Availability:
    if principal is None or principal.account_id is None or principal.user_id is None:
        return Availability(False, False, False, None, None, [])
    connected = await in_service(principal.account_id)
    numbers = [int(row["number_id"]) for row in await NumberOperator.filter(
        user_id=principal.user_id, account_id=principal.account_id).values("number_id")]
    presence = await Presence.get_or_none(user_id=principal.user_id)
    online = bool(presence and presence.online and connected and numbers)
    return Availability(connected, bool(numbers), online,
                        presence.since if presence and online else None,
                        identity(principal.user_id) if numbers else None, sorted(numbers))


VOIP = "VOIP"


async def capabilities(principal: Principal | None) -> list[str]:
    """``Me.capabilities``: "VOIP" for a user who operates at least one number of the own
    account's connected Twilio account (the seed's VoIP icon)."""
    if principal is None or principal.account_id is None or principal.user_id is None:
        return []
    operates = await NumberOperator.filter(user_id=principal.user_id,
                                           account_id=principal.account_id).exists()
    return [VOIP] if operates and await in_service(principal.account_id) else []


async def _operator(principal: Principal) -> tuple[int, int]:
    account_id = account_of(principal)
    if principal.user_id is None:
        raise Problem(Code.NOT_OPERATOR, e.NO_NUMBERS)
    await require_connection(account_id)
    if not await NumberOperator.filter(user_id=principal.user_id,
                                       account_id=account_id).exists():
        raise Problem(Code.NOT_OPERATOR, e.NO_NUMBERS)
    return account_id, principal.user_id


async def set_online(principal: Principal, online: bool) -> Availability:
    """"En ligne" starts a new session (its missed calls are listed); offline ends it: no
    more incoming calls ring in this operator's browser."""
    account_id, user_id = await _operator(principal)
    now = dt.datetime.now(dt.UTC)
    async with in_transaction():
        presence = await Presence.select_for_update().get_or_none(user_id=user_id)
        if presence is None:
            await Presence.create(user_id=user_id, account_id=account_id, online=online,
                                  since=now if online else None)
        elif online and not presence.online:
            await Presence.filter(id=presence.id).update(online=True, since=now,
                                                         account_id=account_id)
        elif not online:
            await Presence.filter(id=presence.id).update(online=False)
    return await availability(principal)


@dataclass(frozen=True)
class SoftphoneToken:
    token: str
    identity: str
    expires_at: dt.datetime


async def access_token(principal: Principal, host: PluginHost,
                       config: TwilioVoipConfig) -> SoftphoneToken:
    """A Twilio Access Token with a VoiceGrant for the browser (Twilio Voice JS SDK):
    identity = the operator, short-lived, incoming calls allowed, outgoing through the
    gateway's TwiML app (which checks every call before dialling)."""
    account_id, user_id = await _operator(principal)
    twilio = await require_connection(account_id)
    secret = unseal(host, twilio.api_key_secret)
    if secret is None or not twilio.api_key_sid:
        raise Problem(Code.NOT_CONNECTED, e.NOT_CONNECTED)
    name = identity(user_id)
    token = AccessToken(twilio.account_sid, twilio.api_key_sid, secret, identity=name,
                        ttl=config.token_seconds)
    token.add_grant(VoiceGrant(outgoing_application_sid=twilio.application_sid,
                               incoming_allow=True))
    expires = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=config.token_seconds)
    return SoftphoneToken(token.to_jwt(), name, expires.replace(microsecond=0))


@dataclass(frozen=True)
class Target:
    number: str | None = None  # typed, with its country code (or national, with country)
    country: str | None = None
    contact_phone_id: int | None = None
    call_back_id: int | None = None  # a missed call to return


async def _dialled(principal: Principal, account_id: int, target: Target
                   ) -> tuple[Account, str, list[str | int], int | None]:
    """The account to decide for (its country reads national numbers), the number to dial,
    the input field it came from, and the number a missed call came in on."""
    account = await Account.get(id=account_id)
    if target.contact_phone_id is not None:
        field: list[str | int] = ["input", "contactPhoneId"]
        phone = await ContactPhone.get_or_none(id=target.contact_phone_id,
                                               account_id=account_id)
        if phone is None:
            raise Problem(Code.NOT_FOUND, e.NOT_FOUND, field)
        return account, phone.number, field, None
    if target.call_back_id is not None:
        from .calls import calls_visible

        field = ["input", "callBackId"]
        missed = await calls_visible(principal).filter(id=target.call_back_id).first()
        if missed is None:
            raise Problem(Code.NOT_FOUND, e.NOT_FOUND, field)
        return account, missed.other_number, field, missed.number_id
    if target.country:
        country = target.country.strip().upper()
        if len(country) != 2 or not country.isalpha():
            raise Problem(Code.INVALID, e.BAD_COUNTRY, ["input", "country"])
        account = Account(id=account.id, reseller_id=account.reseller_id, country=country)
    return account, str(target.number).strip(), ["input", "to"], None


async def start_call(principal: Principal, number_id: int | None, target: Target) -> VoipCall:
    """"Appeler": check everything before anything is dialled, and keep the call as INITIATED
    with a one-use token the browser passes to Twilio (``Device.connect({params:
    {CallToken}})``); the outgoing webhook dials only a call prepared here."""
    account_id, user_id = await _operator(principal)
    given = [v for v in (target.number, target.contact_phone_id, target.call_back_id)
             if v not in (None, "")]
    if not given:
        raise Problem(Code.REQUIRED, e.TARGET_REQUIRED, ["input", "to"])
    if len(given) > 1:
        raise Problem(Code.INVALID, e.ONE_TARGET, ["input"])
    account, dialled, field, called_back_number = await _dialled(principal, account_id,
                                                                 target)
    number_id = number_id or called_back_number
    if number_id is None:
        numbers = await NumberOperator.filter(user_id=user_id, account_id=account_id).values(
            "number_id")
        if len(numbers) != 1:
            raise Problem(Code.REQUIRED, e.REQUIRED, ["input", "numberId"])
        number_id = numbers[0]["number_id"]
    number = await VoipNumber.get_or_none(id=number_id, account_id=account_id)
    if number is None:
        raise Problem(Code.NOT_FOUND, e.NOT_FOUND, ["input", "numberId"])
    operator = await NumberOperator.get_or_none(number_id=number.id, user_id=user_id)
    if operator is None:
        raise Problem(Code.NOT_OPERATOR, e.NOT_OPERATOR, ["input", "numberId"])
    if not number.outgoing_calls:
        raise Problem(Code.OUTGOING_DISABLED, e.OUTGOING_NUMBER_OFF, ["input", "numberId"],
                      number=number.phone_number)
    if not operator.outgoing_calls:
        raise Problem(Code.OUTGOING_DISABLED, e.OUTGOING_OPERATOR_OFF, ["input", "numberId"],
                      number=number.phone_number)
    try:  # restrictions and test mode, before anything is dialled
        decision = await decide(account, dialled)
    except Problem:
        raise Problem(Code.INVALID_NUMBER, e.INVALID_NUMBER, field,
                      number=dialled[:30]) from None
    if not decision.allowed:
        raise Problem(Code.CALL_REFUSED, e.CALL_REFUSED, field, en=decision.explanation("en"),
                      fr=decision.explanation("fr"), reason=decision.reason.value)
    contact_id = await contact_for_call(account_id, decision.number)
    return await VoipCall.create(
        account_id=account_id, number_id=number.id, direction=Direction.OUTBOUND,
        status=CallStatus.INITIATED, our_number=number.phone_number,
        other_number=decision.number, contact_id=contact_id, operator_id=user_id,
        record=number.recording and operator.recording, started_at=dt.datetime.now(dt.UTC),
        outgoing_token=secrets.token_urlsafe(32))


async def missed_in_session(principal: Principal, limit: int) -> list[dict[str, Any]]:
    """The missed calls on the operator's numbers since going online (the session)."""
    from .calls import CALL_COLUMNS

    if principal.user_id is None or principal.account_id is None:
        return []
    presence = await Presence.get_or_none(user_id=principal.user_id, online=True)
    if presence is None or presence.since is None:
        return []
    numbers = NumberOperator.filter(user_id=principal.user_id).values_list("number_id",
                                                                          flat=True)
    rows = await VoipCall.filter(account_id=principal.account_id, status=CallStatus.MISSED,
                                 started_at__gte=presence.since,
                                 number_id__in=await numbers).order_by(
        "-started_at").limit(limit).values(*CALL_COLUMNS)
    return list(rows)


REFUSAL_TEXT = Text(en="This call was not prepared by the gateway.",
                    fr="Cet appel n'a pas été préparé par la passerelle.")
