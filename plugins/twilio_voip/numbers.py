"""Virtual numbers ("Numéros virtuels et opérateurs"): search and buy one, link one already
bought in the Twilio account, edit, delete (release it at Twilio, or only unlink it); each
bought or linked number's voice webhooks point at the gateway. Per number, the operators
(users of the account) who may use it, each with the own switches."""

from __future__ import annotations

import re
from typing import Any

import phonenumbers
from tortoise.transactions import in_transaction

from gateway.api import PluginHost, Principal, Problem, User

from . import errors as e
from .access import admin_account, api_for, require_connection
from .connection import INCOMING_PATH, STATUS_PATH, public, twilio_problem
from .errors import VoipErrorCode as Code
from .models import NumberOperator, TwilioAccount, VoipNumber
from .twilio_api import AvailableNumber, OwnedNumber, TwilioRefused, TwilioUnavailable

MAX_RESULTS = 30
MAX_OPERATORS = 200
NUMBER_COLUMNS = ("id", "account_id", "sid", "phone_number", "friendly_name", "bought",
                  "outgoing_calls", "recording", "created_at")
OPERATOR_COLUMNS = ("id", "number_id", "user_id", "account_id", "outgoing_calls", "recording")
CONTAINS = re.compile(r"^[0-9*]{1,10}$")


def e164(text: str) -> str | None:
    try:
        parsed = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


async def search_available(principal: Principal, host: PluginHost, country: str,
                           area_code: str | None, contains: str | None,
                           limit: int) -> list[AvailableNumber]:
    """"Acheter le numéro de téléphone": numbers Twilio offers in a country, by area code or
    by digits the number contains."""
    account_id = admin_account(principal)
    country = country.strip().upper()
    if not re.fullmatch(r"[A-Z]{2}", country):
        raise Problem(Code.INVALID, e.BAD_COUNTRY, ["country"])
    code: int | None = None
    if area_code not in (None, ""):
        if not re.fullmatch(r"[0-9]{1,5}", str(area_code)):
            raise Problem(Code.INVALID, e.BAD_AREA_CODE, ["areaCode"])
        code = int(str(area_code))
    if contains not in (None, "") and not CONTAINS.match(str(contains)):
        raise Problem(Code.INVALID, e.BAD_CONTAINS, ["contains"])
    if not 1 <= limit <= MAX_RESULTS:
        raise Problem(Code.OUT_OF_RANGE, e.OUT_OF_RANGE, ["first"], min=1, max=MAX_RESULTS)
    twilio = await require_connection(account_id)
    try:
        return await api_for(host, twilio).available_numbers(
            country, area_code=code, contains=contains or None, limit=limit)
    except (TwilioRefused, TwilioUnavailable) as error:
        raise twilio_problem(error) from None


async def owned_unlinked(principal: Principal, host: PluginHost) -> list[OwnedNumber]:
    """"Lier le numéro acheté": the Twilio account's numbers not linked yet."""
    account_id = admin_account(principal)
    twilio = await require_connection(account_id)
    try:
        owned = await api_for(host, twilio).owned_numbers()
    except (TwilioRefused, TwilioUnavailable) as error:
        raise twilio_problem(error) from None
    linked = set(await VoipNumber.filter(sid__in=[n.sid for n in owned]).values_list(
        "sid", flat=True))
    return [number for number in owned if number.sid not in linked]


async def _room_for_one(twilio: TwilioAccount, field: list[str | int]) -> None:
    if twilio.trial and await VoipNumber.filter(account_id=twilio.account_id).exists():
        raise Problem(Code.TRIAL_LIMIT, e.TRIAL_LIMIT, field)


async def _free(phone_number: str, field: list[str | int]) -> None:
    if await VoipNumber.filter(phone_number=phone_number).exists():
        raise Problem(Code.NUMBER_TAKEN, e.NUMBER_TAKEN, field, number=phone_number)


async def buy(principal: Principal, host: PluginHost, phone_number: str,
              friendly_name: str | None) -> VoipNumber:
    account_id = admin_account(principal)
    field: list[str | int] = ["input", "phoneNumber"]
    number = e164(phone_number.strip())
    if number is None:
        raise Problem(Code.INVALID_NUMBER, e.INVALID_NUMBER, field, number=phone_number[:30])
    name = _name(friendly_name)
    twilio = await require_connection(account_id)
    await _room_for_one(twilio, field)
    await _free(number, field)
    try:
        owned = await api_for(host, twilio).buy_number(
            number, public(host, INCOMING_PATH), public(host, STATUS_PATH))
    except (TwilioRefused, TwilioUnavailable) as error:
        raise twilio_problem(error, field) from None
    return await VoipNumber.create(
        account_id=account_id, sid=owned.sid, phone_number=e164(owned.phone_number) or number,
        friendly_name=name or owned.friendly_name[:120], bought=True)


async def link(principal: Principal, host: PluginHost, sid: str,
               friendly_name: str | None) -> VoipNumber:
    account_id = admin_account(principal)
    field: list[str | int] = ["input", "sid"]
    sid = sid.strip()
    if not re.fullmatch(r"PN[0-9a-fA-F]{32}", sid):
        raise Problem(Code.NOT_FOUND, e.NOT_FOUND, field)
    name = _name(friendly_name)
    twilio = await require_connection(account_id)
    await _room_for_one(twilio, field)
    if await VoipNumber.filter(sid=sid).exists():
        raise Problem(Code.NUMBER_TAKEN, e.NUMBER_TAKEN, field, number=sid)
    api = api_for(host, twilio)
    try:
        owned = await api.fetch_number(sid)
        number = e164(owned.phone_number) or owned.phone_number
        await _free(number, field)
        pointed = await api.point_number(sid, public(host, INCOMING_PATH),
                                         public(host, STATUS_PATH))
    except (TwilioRefused, TwilioUnavailable) as error:
        raise twilio_problem(error, field) from None
    return await VoipNumber.create(account_id=account_id, sid=sid, phone_number=number,
                                   friendly_name=name or pointed.friendly_name[:120],
                                   bought=False, previous_webhooks=owned.webhooks)


def _name(value: str | None) -> str:
    name = (value or "").strip()
    if len(name) > 120:
        raise Problem(Code.TOO_LONG, e.TOO_LONG, ["input", "friendlyName"], max=120)
    return name


async def number_for(account_id: int, number_id: int, field: list[str | int]) -> VoipNumber:
    found = await VoipNumber.get_or_none(id=number_id, account_id=account_id)
    if found is None:
        raise Problem(Code.NOT_FOUND, e.NOT_FOUND, field)
    return found


async def update(principal: Principal, number_id: int, *, friendly_name: str | None,
                 outgoing_calls: bool | None, recording: bool | None) -> VoipNumber:
    """"Modifier", and the number's switches "Appels sortants" and "Enregistrement d'appel"."""
    account_id = admin_account(principal)
    number = await number_for(account_id, number_id, ["input", "id"])
    values: dict[str, Any] = {}
    if friendly_name is not None:
        values["friendly_name"] = _name(friendly_name)
    if outgoing_calls is not None:
        values["outgoing_calls"] = outgoing_calls
    if recording is not None:
        values["recording"] = recording
    if values:
        await VoipNumber.filter(id=number.id).update(**values)
    return await VoipNumber.get(id=number.id)


async def delete(principal: Principal, host: PluginHost, number_id: int, release: bool) -> int:
    """"Supprimer": ``release`` gives the number back to Twilio (it is lost); otherwise it
    only leaves the gateway and stays in the Twilio account, with the webhooks it had before
    it was linked (none for a number bought here). The calls made through it stay in the
    call log."""
    account_id = admin_account(principal)
    number = await number_for(account_id, number_id, ["input", "id"])
    twilio = await require_connection(account_id)
    api = api_for(host, twilio)
    try:
        if release:
            await api.release_number(number.sid)
        else:
            await api.unpoint_number(number.sid, number.previous_webhooks)
    except TwilioRefused as error:
        if error.status != 404:  # already gone at Twilio: unlinking here is all that is left
            raise twilio_problem(error, ["input", "id"]) from None
    except TwilioUnavailable as error:
        raise twilio_problem(error, ["input", "id"]) from None
    async with in_transaction():
        await NumberOperator.filter(number_id=number.id).delete()
        await VoipNumber.filter(id=number.id).delete()
    return number.id


# --- Operators -------------------------------------------------------------------------------

async def set_operators(principal: Principal, number_id: int,
                        user_ids: list[int]) -> VoipNumber:
    """"Ajouter des opérateurs": the users of the account ticked in the list, saved at once;
    those who stay keep their switches."""
    account_id = admin_account(principal)
    number = await number_for(account_id, number_id, ["input", "numberId"])
    if len(user_ids) > MAX_OPERATORS:
        raise Problem(Code.TOO_MANY, e.TOO_MANY, ["input", "userIds"], max=MAX_OPERATORS)
    wanted = list(dict.fromkeys(user_ids))
    found = set(await User.filter(id__in=wanted, account_id=account_id).values_list(
        "id", flat=True))
    for index, user_id in enumerate(user_ids):
        if user_id not in found:
            raise Problem(Code.NOT_FOUND, e.NOT_ACCOUNT_USER, ["input", "userIds", index])
    async with in_transaction():
        current = set(await NumberOperator.filter(number_id=number.id).values_list(
            "user_id", flat=True))
        await NumberOperator.filter(number_id=number.id, user_id__not_in=wanted).delete()
        for user_id in wanted:
            if user_id not in current:
                await NumberOperator.create(number_id=number.id, user_id=user_id,
                                            account_id=account_id)
    return number


async def operator_for(account_id: int, operator_id: int) -> NumberOperator:
    found = await NumberOperator.get_or_none(id=operator_id, account_id=account_id)
    if found is None:
        raise Problem(Code.NOT_FOUND, e.NOT_FOUND, ["input", "id"])
    return found


async def update_operator(principal: Principal, operator_id: int, *,
                          outgoing_calls: bool | None, recording: bool | None
                          ) -> NumberOperator:
    account_id = admin_account(principal)
    operator = await operator_for(account_id, operator_id)
    values: dict[str, Any] = {}
    if outgoing_calls is not None:
        values["outgoing_calls"] = outgoing_calls
    if recording is not None:
        values["recording"] = recording
    if values:
        await NumberOperator.filter(id=operator.id).update(**values)
    return await NumberOperator.get(id=operator.id)


async def remove_operator(principal: Principal, operator_id: int) -> int:
    account_id = admin_account(principal)
    operator = await operator_for(account_id, operator_id)
    await NumberOperator.filter(id=operator.id).delete()
    return operator.id


