"""The call log ("Appels") and what fills it after a call: the price job (Twilio prices a call
some time after it ended), the recording job (the audio fetched from Twilio and kept), notes
on a call, live events to the number's online operators, and the usage the billing plugin
reads."""

from __future__ import annotations

import datetime as dt
import logging
import math
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet

from gateway.api import Account, PluginHost, Principal, Problem, Text

from . import errors as e
from .access import account_of, api_for, config, is_admin
from .errors import VoipErrorCode as Code
from .models import (
    MAX_NOTE,
    CallNote,
    CallStatus,
    Direction,
    NumberOperator,
    TwilioAccount,
    VoipCall,
)

log = logging.getLogger("gateway.twilio_voip")

PRICE_JOB = "twilio_voip.call_price"
RECORDING_JOB = "twilio_voip.fetch_recording"
CALL_COLUMNS = ("id", "account_id", "number_id", "call_sid", "direction", "status",
                "our_number", "other_number", "contact_id", "operator_id", "started_at",
                "answered_at", "ended_at", "duration", "price", "currency", "voicemail",
                "recording_file", "recording_duration", "contact__name",
                "operator__first_name", "operator__last_name")
NOTE_COLUMNS = ("id", "call_id", "author_id", "text", "created_at", "author__first_name",
                "author__last_name")
FINAL = (CallStatus.COMPLETED, CallStatus.MISSED, CallStatus.BUSY, CallStatus.NO_ANSWER,
         CallStatus.FAILED, CallStatus.CANCELED)


def calls_visible(principal: Principal | None) -> QuerySet[VoipCall]:
    """The account's calls: all of them for its administrator; for an operator, the calls of
    the numbers operated and the calls handled."""
    if principal is None or principal.account_id is None:
        return VoipCall.filter(id=-1)
    calls = VoipCall.filter(account_id=principal.account_id).exclude(
        status=CallStatus.INITIATED)
    if is_admin(principal):
        return calls
    numbers = NumberOperator.filter(user_id=principal.user_id).values("number_id")
    return calls.filter(Q(number_id__in=Subquery(numbers)) | Q(operator_id=principal.user_id))


@dataclass(frozen=True)
class CallFilter:
    direction: Direction | None = None
    status: CallStatus | None = None
    number_id: int | None = None
    operator_id: int | None = None
    contact_id: int | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    search: str | None = None  # part of the other side's number or of the contact's name

    def as_data(self) -> dict[str, Any]:
        return {"d": self.direction.value if self.direction else None,
                "s": self.status.value if self.status else None, "n": self.number_id,
                "o": self.operator_id, "c": self.contact_id,
                "a": self.since.isoformat() if self.since else None,
                "b": self.until.isoformat() if self.until else None, "q": self.search}

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> CallFilter:
        return cls(Direction(data["d"]) if data.get("d") else None,
                   CallStatus(data["s"]) if data.get("s") else None, data.get("n"),
                   data.get("o"), data.get("c"),
                   dt.datetime.fromisoformat(data["a"]) if data.get("a") else None,
                   dt.datetime.fromisoformat(data["b"]) if data.get("b") else None,
                   data.get("q"))


def filtered(calls: QuerySet[VoipCall], where: CallFilter) -> QuerySet[VoipCall]:
    if where.direction is not None:
        calls = calls.filter(direction=where.direction)
    if where.status is not None:
        calls = calls.filter(status=where.status)
    if where.number_id is not None:
        calls = calls.filter(number_id=where.number_id)
    if where.operator_id is not None:
        calls = calls.filter(operator_id=where.operator_id)
    if where.contact_id is not None:
        calls = calls.filter(contact_id=where.contact_id)
    if where.since is not None:
        calls = calls.filter(started_at__gte=where.since)
    if where.until is not None:
        calls = calls.filter(started_at__lt=where.until)
    if where.search:
        text = where.search.strip()[:60]
        calls = calls.filter(Q(other_number__contains=text) | Q(contact__name__icontains=text))
    return calls


async def calls_page(principal: Principal, where: CallFilter, offset: int, limit: int
                     ) -> tuple[list[dict[str, Any]], int]:
    """A page of the call log, newest first, and how many calls match."""
    account_of(principal)
    calls = filtered(calls_visible(principal), where)
    total = await calls.count()
    rows = await calls.order_by("-started_at", "-id").offset(offset).limit(limit + 1).values(
        *CALL_COLUMNS)
    return rows, total


async def add_note(principal: Principal, call_id: int, text: str) -> CallNote:
    clean = text.strip()
    if not clean:
        raise Problem(Code.REQUIRED, e.NOTE_REQUIRED, ["input", "text"])
    if len(clean) > MAX_NOTE:
        raise Problem(Code.TOO_LONG, e.TOO_LONG, ["input", "text"], max=MAX_NOTE)
    call = await calls_visible(principal).filter(id=call_id).first()
    if call is None:
        raise Problem(Code.NOT_FOUND, e.NOT_FOUND, ["input", "callId"])
    return await CallNote.create(call_id=call.id, account_id=call.account_id,
                                 author_id=principal.user_id, text=clean)


async def notes_of(call_ids: list[int]) -> list[list[dict[str, Any]]]:
    rows = await CallNote.filter(call_id__in=set(call_ids)).order_by("id").values(
        *NOTE_COLUMNS)
    by_call: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        by_call.setdefault(row["call_id"], []).append(row)
    return [by_call.get(call_id, []) for call_id in call_ids]


# --- After the call: price and recording -------------------------------------------------------

class NotPricedYet(Exception):
    """Twilio has not priced the call yet: the job is retried later."""


def price_job(host: PluginHost) -> Any:
    async def fetch_price(payload: dict[str, Any]) -> None:
        """Fill in a completed call's price from Twilio; retried until Twilio has it."""
        call = await VoipCall.get_or_none(id=payload["call_id"])
        if call is None or call.price is not None or not call.call_sid:
            return
        twilio = await TwilioAccount.get_or_none(account_id=call.account_id, active=True)
        if twilio is None:  # disconnected meanwhile: nothing can be asked any more
            return
        answer = await api_for(host, twilio).call_price(call.call_sid)
        if answer.price is None:
            raise NotPricedYet(f"call {call.call_sid} not priced yet")
        await VoipCall.filter(id=call.id, price__isnull=True).update(
            price=answer.price, currency=answer.currency[:3],
            priced_at=dt.datetime.now(dt.UTC))
    return fetch_price


def recordings_root(host: PluginHost) -> Path:
    configured = config(host).recordings_dir
    root = Path(configured) if configured else Path(host.settings.var_dir) / "twilio_voip" / (
        "recordings")
    return root


def recording_job(host: PluginHost) -> Any:
    async def fetch_recording(payload: dict[str, Any]) -> None:
        """Keep a recording's audio (MP3) under the recordings folder: the signed URL of the
        call log then streams it with Range support. Idempotent: written once, atomically."""
        call = await VoipCall.get_or_none(id=payload["call_id"])
        sid = str(payload["recording_sid"])
        if call is None or call.recording_file:
            return
        twilio = await TwilioAccount.get_or_none(account_id=call.account_id, active=True)
        if twilio is None:
            return
        folder = recordings_root(host) / str(call.account_id)
        folder.mkdir(parents=True, exist_ok=True)
        name = f"{sid}.mp3"
        partial = folder / f"{name}.{payload.get('outbox_id', 0)}.part"
        with partial.open("wb") as out:
            async for chunk in api_for(host, twilio).recording_chunks(sid):
                out.write(chunk)
        partial.replace(folder / name)
        await VoipCall.filter(id=call.id).update(recording_file=f"{call.account_id}/{name}")
    return fetch_recording


def recording_path(host: PluginHost, relative: str) -> Path | None:
    """The recording's file, never outside the recordings folder."""
    root = recordings_root(host).resolve()
    path = (root / relative).resolve()
    return path if path.is_relative_to(root) and path.is_file() else None


# --- Billing -------------------------------------------------------------------------------

MINUTES = Text(en="VoIP calls (Twilio), minutes", fr="Appels VoIP (Twilio), minutes")
CHARGES = Text(en="VoIP calls (Twilio), charges in {currency}",
               fr="Appels VoIP (Twilio), frais en {currency}")


def zone_of(name: str | None) -> ZoneInfo:
    """An account's time zone (its ``time_zone``), UTC when it names none we know."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


async def account_zones(account_ids: list[int]) -> dict[int, ZoneInfo]:
    rows = await Account.filter(id__in=sorted(set(account_ids))).values("id", "time_zone")
    return {row["id"]: zone_of(row["time_zone"]) for row in rows}


def local_day_bounds(start: dt.date, end: dt.date, zone: ZoneInfo
                     ) -> tuple[dt.datetime, dt.datetime]:
    """The moments (UTC) the days ``start`` to ``end`` (included) begin and end in ``zone``."""
    since = dt.datetime.combine(start, dt.time.min, tzinfo=zone)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    return since.astimezone(dt.UTC), until.astimezone(dt.UTC)


async def billable_usage(account_ids: list[int], start: dt.date, end: dt.date
                         ) -> list[dict[str, Any]]:
    """Per account: the minutes of its completed calls (each rounded up) and what Twilio
    charged for them, per currency, for calls started from ``start`` to ``end`` (both
    included, days of the account's time zone, as the billing cycle's are)."""
    by_zone: dict[str, list[int]] = {}
    for account_id, zone in (await account_zones(account_ids)).items():
        by_zone.setdefault(zone.key, []).append(account_id)
    rows: list[dict[str, Any]] = []
    for zone_name, ids in sorted(by_zone.items()):
        since, until = local_day_bounds(start, end, ZoneInfo(zone_name))
        rows.extend(await VoipCall.filter(account_id__in=ids, started_at__gte=since,
                                          started_at__lt=until, status__in=FINAL).values(
            "account_id", "duration", "price", "currency"))
    minutes: dict[int, int] = {}
    charges: dict[tuple[int, str], Decimal] = {}
    for row in rows:
        if row["duration"]:
            minutes[row["account_id"]] = minutes.get(row["account_id"], 0) + math.ceil(
                row["duration"] / 60)
        if row["price"] is not None:
            key = (row["account_id"], row["currency"] or "USD")
            charges[key] = charges.get(key, Decimal(0)) + Decimal(row["price"])
    items: list[dict[str, Any]] = [
        {"account_id": account_id, "unit": "VOIP_MINUTES", "quantity": Decimal(count),
         "description": MINUTES} for account_id, count in minutes.items()]
    for (account_id, currency), amount in charges.items():
        items.append({"account_id": account_id, "unit": f"VOIP_CHARGES_{currency}",
                      "quantity": amount,
                      "description": Text(en=CHARGES.en.format(currency=currency),
                                          fr=CHARGES.fr.format(currency=currency))})
    return items
