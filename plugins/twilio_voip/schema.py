"""GraphQL of Twilio VoIP: the connection and its settings, virtual numbers and operators,
the operator's softphone (presence, Access Token, placing calls, missed calls), contacts, the
call log with its recordings and CSV, and live call events. Resolvers stay thin: decode ids,
call one service, wrap the result; a service's ``Problem`` becomes the payload's errors."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncGenerator, AsyncIterator
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any, ClassVar

import strawberry
from strawberry import relay
from strawberry.dataloader import DataLoader
from strawberry.exceptions import StrawberryGraphQLError
from tortoise.queryset import QuerySet

from gateway.api import (
    PUBSUB_GAP,
    SIGNED_IN,
    SUBSCRIBERS,
    Connection,
    Context,
    DateTime,
    Error,
    Money,
    PluginHost,
    Principal,
    Problem,
    RowNode,
    allow,
    build_connection,
    current_pubsub,
    describe_enum_values,
    error_type,
    field,
    given,
    global_id,
    mutation,
    node_pk,
    page_window,
)

from . import calls as call_log
from . import connection as connecting
from . import contacts, numbers, softphone
from .access import account_of, config, is_admin
from .calls import CallFilter
from .downloads import csv_url, recording_url
from .errors import VoipErrorCode
from .models import CallStatus, Direction, NumberOperator, PhoneKind, Presence, TwilioAccount
from .webhooks import channel

strawberry.enum(Direction, name="VoipCallDirection", description="Which way a call went, "
                "seen from the account's virtual number.")
describe_enum_values(Direction, {
    "INBOUND": "Incoming (Appel entrant): a client called the virtual number.",
    "OUTBOUND": "Outgoing (Appel sortant): an operator called from the browser.",
})
strawberry.enum(CallStatus, name="VoipCallStatus", description="Where a call stands, from "
                "Twilio's status callbacks; COMPLETED, MISSED, BUSY, NO_ANSWER, FAILED and "
                "CANCELED are final.")
describe_enum_values(CallStatus, {
    "INITIATED": "An outgoing call allowed by startVoipCall, not dialled yet (never in the "
    "call log).",
    "RINGING": "Ringing: the operators' browsers (incoming) or the client's phone (outgoing).",
    "IN_PROGRESS": "Answered, still going on.",
    "COMPLETED": "Answered, then ended.",
    "MISSED": "Incoming and answered by nobody (Appel manqué); it may have left a voicemail.",
    "BUSY": "Outgoing: the client's line was busy.",
    "NO_ANSWER": "Outgoing: the client did not answer.",
    "FAILED": "Twilio could not place the call (e.g. an unreachable number).",
    "CANCELED": "Hung up by the caller before it was answered (outgoing).",
})
strawberry.enum(PhoneKind, name="VoipPhoneKind", description="What kind of number a "
                "contact's number is.")
describe_enum_values(PhoneKind, {
    "MOBILE": "Mobile (portable).",
    "WORK": "Work (travail).",
    "HOME": "Home (domicile).",
    "OTHER": "Any other number.",
})


@error_type("Voip", VoipErrorCode)
class VoipError(Error):
    """A refusal of the Twilio VoIP area: what was wrong, where, and why."""


describe_enum_values(VoipErrorCode, {
    "NOT_FOUND": "No such number, operator, call, contact or user in the caller's account "
    "(another account's are not found either).",
    "NOT_ALLOWED": "Only the account's administrator (company admin or professional, or "
    "reseller staff through direct access) manages VoIP; or the Twilio account is not active.",
    "REQUIRED": "A value is missing: what to call, the number to call from, a note's text, a "
    "contact's name.",
    "INVALID": "A malformed value: Account SID, Auth Token, country code, area code, digits, "
    "or more than one call target.",
    "TOO_LONG": "A text is longer than allowed; the message gives the maximum.",
    "TOO_MANY": "Too many items in a list (operators, a contact's numbers).",
    "OUT_OF_RANGE": "A number outside its bounds (e.g. ringSeconds 5 to 120); the message "
    "gives them.",
    "BAD_CREDENTIALS": "Twilio refused the Account SID and Auth Token.",
    "TWILIO_UNAVAILABLE": "Twilio could not be reached; nothing was changed, try again.",
    "TWILIO_REFUSED": "Twilio refused the request; the message says Twilio's reason.",
    "ALREADY_CONNECTED": "This Twilio account is already connected to another account.",
    "NOT_CONNECTED": "The account has no connected Twilio account (Intégration, Service "
    "tiers).",
    "TRIAL_LIMIT": "A Twilio trial account holds one number only: upgrade it to add more.",
    "NUMBER_TAKEN": "The number is already used on the platform, or already belongs to "
    "another contact.",
    "INVALID_NUMBER": "Not a phone number (give it in E.164, +country code, or with its "
    "country).",
    "CALL_REFUSED": "The call restrictions or test mode refuse this call; the message says "
    "why.",
    "NOT_OPERATOR": "The caller does not operate this number (or any number).",
    "OUTGOING_DISABLED": "Appels sortants is off for this number or for this operator.",
    "BAD_USER_INPUT": "A value does not fit its field (too long or out of range).",
})


OPERATORS = "twilio_voip.operators"
PHONES = "twilio_voip.phones"
NOTES = "twilio_voip.notes"


async def _operators_of(number_ids: list[int]) -> list[list[dict[str, Any]]]:
    rows = await NumberOperator.filter(number_id__in=set(number_ids)).order_by("id").values(
        *numbers.OPERATOR_COLUMNS, "user__first_name", "user__last_name", "user__login")
    online = set(await Presence.filter(
        user_id__in={row["user_id"] for row in rows}, online=True).values_list(
        "user_id", flat=True)) if rows else set()
    grouped: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        grouped.setdefault(row["number_id"], []).append({**row,
                                                         "online": row["user_id"] in online})
    return [grouped.get(number_id, []) for number_id in number_ids]


def loaders(context: Context) -> dict[str, DataLoader[Any, Any]]:
    return {OPERATORS: DataLoader(load_fn=_operators_of),
            PHONES: DataLoader(load_fn=contacts.phones_of),
            NOTES: DataLoader(load_fn=call_log.notes_of)}


def _host(info: strawberry.Info) -> PluginHost:
    host: PluginHost = info.context.host
    return host


# --- Types ----------------------------------------------------------------------------------

@strawberry.type(name="VoipSettings", description="The connected Twilio account (never its "
                 "Auth Token) and the settings common to every number.")
class VoipSettings:
    account_sid: str = strawberry.field(description="The Twilio Account SID (SID du compte, "
                                        "AC…); the Auth Token is never returned.")
    friendly_name: str = strawberry.field(description="The Twilio account's name, as Twilio "
                                          "gives it.")
    trial: bool = strawberry.field(description="A Twilio trial account: one number only.")
    ring_seconds: int = strawberry.field(description="How long an incoming call rings the "
                                         "operators before it is missed.")
    voicemail: bool = strawberry.field(description="A missed call goes to voicemail.")
    greeting: str = strawberry.field(description="What callers hear before the beep (empty: "
                                     "the default message).")
    connected_at: DateTime = strawberry.field(description="When the Twilio account was "
                                              "connected (or its credentials last replaced).")

    @classmethod
    def of(cls, twilio: TwilioAccount) -> VoipSettings:
        return cls(account_sid=twilio.account_sid, friendly_name=twilio.friendly_name,
                   trial=twilio.trial, ring_seconds=twilio.ring_seconds,
                   voicemail=twilio.voicemail, greeting=twilio.greeting,
                   connected_at=twilio.connected_at)


@strawberry.type(name="VoipOperator", description="A user who may use a virtual number, with "
                 "the own switches (the number's must allow too).")
class VoipOperatorNode(RowNode):
    COLUMNS: ClassVar[tuple[str, ...]] = numbers.OPERATOR_COLUMNS

    id: relay.NodeID[int]
    outgoing_calls: bool = strawberry.field(description="The operator's own Appels sortants "
                                            "switch: may call out from this number (the "
                                            "number's switch must be on too).")
    recording: bool = strawberry.field(description="The operator's own Enregistrement "
                                       "d'appel switch: the operator's calls on this number "
                                       "are recorded when the number's switch is on too.")
    user_id: strawberry.Private[int]
    number_id: strawberry.Private[int]
    account_id: strawberry.Private[int]
    name: str = strawberry.field(default="", description="The user's first and last name.")
    login: str = strawberry.field(default="", description="The user's login (email).")
    online: bool = strawberry.field(default=False, description="Online (En ligne): incoming "
                                    "calls ring in the operator's browser.")

    @classmethod
    def visible(cls, principal: Principal | None) -> QuerySet[Any]:
        if principal is None or principal.account_id is None:
            return NumberOperator.filter(id=-1)
        return NumberOperator.filter(account_id=principal.account_id)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> VoipOperatorNode:
        name = " ".join(filter(None, (row.get("user__first_name"), row.get("user__last_name"))))
        return cls(id=row["id"], outgoing_calls=row["outgoing_calls"],
                   recording=row["recording"], user_id=row["user_id"],
                   number_id=row["number_id"], account_id=row["account_id"], name=name,
                   login=row.get("user__login") or "", online=bool(row.get("online")))

    @strawberry.field(description="Global ID of the User who operates the number.")
    def user_id_global(self) -> strawberry.ID:
        return global_id("User", self.user_id)


@strawberry.type(name="VoipNumber", description="A virtual number of the Twilio account, "
                 "its switches and its operators.")
class VoipNumberNode(RowNode):
    COLUMNS: ClassVar[tuple[str, ...]] = numbers.NUMBER_COLUMNS

    id: relay.NodeID[int]
    sid: str = strawberry.field(description="Twilio's id of the number (PN…).")
    phone_number: str = strawberry.field(description="The number, E.164 (e.g. +15145550100).")
    friendly_name: str = strawberry.field(description="The number's name, shown in the list "
                                          "of numbers.")
    bought: bool = strawberry.field(description="Bought here (else linked).")
    outgoing_calls: bool = strawberry.field(description="Appels sortants: its operators may "
                                            "call out from it.")
    recording: bool = strawberry.field(description="Enregistrement d'appel: its calls are "
                                       "recorded.")
    created_at: DateTime = strawberry.field(description="When the number was bought or "
                                            "linked here.")
    account_id: strawberry.Private[int]

    @classmethod
    def visible(cls, principal: Principal | None) -> QuerySet[Any]:
        from .models import VoipNumber

        if principal is None or principal.account_id is None:
            return VoipNumber.filter(id=-1)
        mine = VoipNumber.filter(account_id=principal.account_id)
        if is_admin(principal):
            return mine
        from tortoise.expressions import Subquery

        return mine.filter(id__in=Subquery(NumberOperator.filter(
            user_id=principal.user_id).values("number_id")))

    @strawberry.field(description="Who may use the number.")
    async def operators(self, info: strawberry.Info) -> list[VoipOperatorNode]:
        rows = await info.context.loaders[OPERATORS].load(self.id)
        return [VoipOperatorNode.from_row(row) for row in rows]


@strawberry.type(name="AvailableVoipNumber", description="A number Twilio offers to buy.")
class AvailableVoipNumber:
    phone_number: str = strawberry.field(description="The number, E.164: pass it to "
                                         "buyVoipNumber.")
    friendly_name: str = strawberry.field(description="The number as Twilio formats it for "
                                          "people.")
    locality: str = strawberry.field(description="Its city, when Twilio knows it (else "
                                     "empty).")
    region: str = strawberry.field(description="Its state or province, when Twilio knows it "
                                   "(else empty).")
    country: str = strawberry.field(description="Its country, ISO 3166 two-letter code.")


@strawberry.type(name="UnlinkedTwilioNumber", description="A number of the Twilio account "
                 "not linked yet.")
class UnlinkedTwilioNumber:
    sid: str = strawberry.field(description="Twilio's id of the number (PN…): pass it to "
                                "linkVoipNumber.")
    phone_number: str = strawberry.field(description="The number, E.164.")
    friendly_name: str = strawberry.field(description="The number's name in the Twilio "
                                          "account.")


@strawberry.type(name="VoipContactPhone", description="One number of a contact; "
                 "startVoipCall(contactPhoneId) calls it.")
class VoipContactPhone:
    id: strawberry.ID = strawberry.field(description="Global ID of this number of the "
                                         "contact (contactPhoneId of startVoipCall).")
    kind: PhoneKind = strawberry.field(description="Mobile, work, home or other.")
    number: str = strawberry.field(description="The number, E.164.")


@strawberry.type(name="VoipContactRef", description="Caller identification: the contact's "
                 "name and id.")
class VoipContactRef:
    id: strawberry.ID = strawberry.field(description="Global ID of the VoipContact: "
                                         "node(id:) opens its profile.")
    name: str = strawberry.field(description="The contact's name (the number itself for a "
                                 "contact a call created).")


@strawberry.type(name="VoipCallNote", description="A note written about a call "
                 "(addVoipCallNote).")
class VoipCallNote:
    id: strawberry.ID = strawberry.field(description="Global ID of the note.")
    text: str = strawberry.field(description="What was written (at most 2,000 characters).")
    author_name: str = strawberry.field(description="Who wrote it, first and last name "
                                        "(empty when that user is gone).")
    created_at: DateTime = strawberry.field(description="When it was written.")


@strawberry.type(name="VoipCall", description="A call of the call log (Appels).")
class VoipCallNode(RowNode):
    COLUMNS: ClassVar[tuple[str, ...]] = call_log.CALL_COLUMNS

    id: relay.NodeID[int]
    direction: Direction = strawberry.field(description="Incoming or outgoing.")
    status: CallStatus = strawberry.field(description="Where the call stands, or how it "
                                          "ended.")
    started_at: DateTime = strawberry.field(description="Date and time the call started "
                                            "(ringing, or dialled).")
    answered_at: DateTime | None = strawberry.field(description="When it was answered; null "
                                                    "when it never was.")
    ended_at: DateTime | None = strawberry.field(description="When it ended; null while it "
                                                 "goes on.")
    duration: int | None = strawberry.field(description="How long it lasted, in seconds; "
                                            "null until Twilio reports it at the end.")
    our_number: str = strawberry.field(description="The account's virtual number the call "
                                       "went through, E.164.")
    other_number: str = strawberry.field(description="The client's number, E.164 (as "
                                         "Twilio gave it when it is not a number, e.g. a "
                                         "hidden caller).")
    voicemail: bool = strawberry.field(description="A missed call that went to voicemail "
                                       "(the message is its recording).")
    operator_name: str | None = strawberry.field(description="The agent (operator) who "
                                                 "handled the call, first and last name; null "
                                                 "when nobody answered it.")
    contact: VoipContactRef | None = strawberry.field(description="The client: the CRM "
                                                      "contact holding the other number.")
    price_value: strawberry.Private[Decimal | None]
    currency: strawberry.Private[str]
    account_id: strawberry.Private[int]
    operator_id: strawberry.Private[int | None]
    recording_file: strawberry.Private[str]
    call_sid: strawberry.Private[str | None]

    @classmethod
    def visible(cls, principal: Principal | None) -> QuerySet[Any]:
        return call_log.calls_visible(principal)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> VoipCallNode:
        operator = " ".join(filter(None, (row.get("operator__first_name"),
                                          row.get("operator__last_name")))) or None
        contact = VoipContactRef(id=global_id("VoipContact", row["contact_id"]),
                                 name=row["contact__name"]) if row["contact_id"] else None
        return cls(id=row["id"], direction=Direction(row["direction"]),
                   status=CallStatus(row["status"]), started_at=row["started_at"],
                   answered_at=row["answered_at"], ended_at=row["ended_at"],
                   duration=row["duration"], our_number=row["our_number"],
                   other_number=row["other_number"], voicemail=row["voicemail"],
                   operator_name=operator, contact=contact, price_value=row["price"],
                   currency=row["currency"], account_id=row["account_id"],
                   operator_id=row["operator_id"], recording_file=row["recording_file"],
                   call_sid=row["call_sid"])

    @strawberry.field(description="What Twilio charged; null until priced (a job fetches it "
                      "once the call completed).")
    def price(self) -> Money | None:
        if self.price_value is None:
            return None
        return Money(amount=Decimal(self.price_value), currency=self.currency or "USD")

    @strawberry.field(description="A short-lived signed URL of the recording (HTTP Range "
                      "supported); null without one.")
    def recording_url(self, info: strawberry.Info) -> str | None:
        if not self.recording_file:
            return None
        return recording_url(_host(info), self.id, self.account_id)

    @strawberry.field(description="Notes written about the call.")
    async def notes(self, info: strawberry.Info) -> list[VoipCallNote]:
        rows = await info.context.loaders[NOTES].load(self.id)
        return [VoipCallNote(id=global_id("VoipCallNote", row["id"]), text=row["text"],
                             author_name=" ".join(filter(None, (row["author__first_name"],
                                                                row["author__last_name"]))),
                             created_at=row["created_at"]) for row in rows]


@strawberry.type(name="VoipContact", description="A CRM contact and its numbers; its calls "
                 "are its history.")
class VoipContactNode(RowNode):
    COLUMNS: ClassVar[tuple[str, ...]] = contacts.CONTACT_COLUMNS

    id: relay.NodeID[int]
    name: str = strawberry.field(description="The contact's name (the number itself for a "
                                 "contact a call created, until renamed).")
    created_by_call: bool = strawberry.field(description="Created by a call from or to an "
                                             "unknown number.")
    created_at: DateTime = strawberry.field(description="When the contact was created.")
    account_id: strawberry.Private[int]

    @classmethod
    def visible(cls, principal: Principal | None) -> QuerySet[Any]:
        from .models import VoipContact

        if principal is None or principal.account_id is None:
            return VoipContact.filter(id=-1)
        return VoipContact.filter(account_id=principal.account_id)

    @strawberry.field(description="The contact's numbers: mobile, work, home, other.")
    async def phones(self, info: strawberry.Info) -> list[VoipContactPhone]:
        rows = await info.context.loaders[PHONES].load(self.id)
        return [VoipContactPhone(id=global_id("VoipContactPhone", row["id"]),
                                 kind=PhoneKind(row["kind"]), number=row["number"])
                for row in rows]

    @strawberry.field(description="The contact's history: every call, newest first.")
    async def calls(self, info: strawberry.Info, first: int | None = None,
                    after: str | None = None) -> Connection[VoipCallNode]:
        offset, limit = page_window(first, after, info.context.settings.max_page_size)
        rows, total = await call_log.calls_page(info.context.principal,
                                                CallFilter(contact_id=self.id), offset, limit)
        return build_connection(rows, offset, limit, total, VoipCallNode.from_row)


@strawberry.type(name="MyVoip", description="Whether VoIP is available to me (the VoIP icon) "
                 "and what my browser softphone needs: its identity, presence and numbers.")
class MyVoip:
    available: bool = strawberry.field(description="Connected, and I operate a number (the "
                                       "same as VOIP in me.capabilities).")
    connected: bool = strawberry.field(description="My account has a connected Twilio "
                                       "account.")
    online: bool = strawberry.field(description="I am online (En ligne): incoming calls ring "
                                    "in my browser.")
    online_since: DateTime | None = strawberry.field(description="When my current session "
                                                     "started (I went online); null while "
                                                     "offline.")
    identity: str | None = strawberry.field(description="My Twilio Client identity (the "
                                            "Access Token's); null when I operate no number.")
    number_ids: strawberry.Private[list[int]]
    administrator: bool = strawberry.field(description="I manage VoIP for the account.")

    @strawberry.field(description="The virtual numbers I operate.")
    async def numbers(self, info: strawberry.Info) -> list[VoipNumberNode]:
        found = await VoipNumberNode.load(info.context.principal, list(self.number_ids))
        return [node for node in found if node is not None]


def _my_voip(state: softphone.Availability, principal: Principal | None) -> MyVoip:
    return MyVoip(available=state.available, connected=state.connected, online=state.online,
                  online_since=state.since, identity=state.identity,
                  number_ids=state.number_ids, administrator=is_admin(principal))


@strawberry.input(name="VoipCallFilter", description="Which calls of the call log to list "
                  "or export; every field given must match, none given is every call.")
class VoipCallFilterInput:
    direction: Direction | None = strawberry.field(default=None, description="Only incoming "
                                                   "or only outgoing calls.")
    status: CallStatus | None = strawberry.field(default=None, description="Only the calls "
                                                 "in this status.")
    number_id: strawberry.ID | None = strawberry.field(default=None, description="Only the "
                                                       "calls of this VoipNumber.")
    operator_id: strawberry.ID | None = strawberry.field(default=None, description="Only the "
                                                         "calls this User handled (the "
                                                         "agent).")
    contact_id: strawberry.ID | None = strawberry.field(default=None, description="Only the "
                                                        "calls of this VoipContact.")
    since: DateTime | None = strawberry.field(default=None, description="Calls started at or "
                                              "after this moment (ISO 8601 with offset).")
    until: DateTime | None = strawberry.field(default=None, description="Calls started "
                                              "before this moment (excluded).")
    search: str | None = strawberry.field(default=None, description="Part of the client's "
                                          "number or name (at most 60 characters used).")

    def to_filter(self) -> CallFilter:
        return CallFilter(
            direction=self.direction, status=self.status,
            number_id=node_pk(self.number_id, "VoipNumber", ["filter", "numberId"])
            if given(self.number_id) else None,
            operator_id=node_pk(self.operator_id, "User", ["filter", "operatorId"])
            if given(self.operator_id) else None,
            contact_id=node_pk(self.contact_id, "VoipContact", ["filter", "contactId"])
            if given(self.contact_id) else None,
            since=self.since, until=self.until,
            search=self.search[:60] if given(self.search) and self.search else None)


# --- Queries --------------------------------------------------------------------------------

CallFilterArgument = Annotated[VoipCallFilterInput | None, strawberry.argument(
    description="Which calls; every call I may see when left out.")]


@strawberry.type
class VoipQuery:
    @field(*SIGNED_IN, description="My VoIP softphone's details: whether VoIP is available to me, "
           "my Twilio identity, presence and numbers. The quick check for showing the VoIP icon "
           "is VOIP in me.capabilities. Anyone signed in (all false for a non-operator).")
    async def my_voip(self, info: strawberry.Info) -> MyVoip:
        principal = info.context.principal
        return _my_voip(await softphone.availability(principal), principal)

    @field(*SUBSCRIBERS, description="The connected Twilio account and the common settings "
           "(administrators); null when none is connected.")
    async def voip_settings(self, info: strawberry.Info) -> VoipSettings | None:
        from .access import admin_account, connection

        twilio = await connection(admin_account(info.context.principal))
        return VoipSettings.of(twilio) if twilio else None

    @field(*SUBSCRIBERS, description="Virtual numbers and operators: all of them for the "
           "administrator, those I operate for an operator.")
    async def voip_numbers(self, info: strawberry.Info, first: int | None = None,
                           after: str | None = None) -> Connection[VoipNumberNode]:
        offset, limit = page_window(first, after, info.context.settings.max_page_size)
        found = VoipNumberNode.visible(info.context.principal)
        total = await found.count()
        rows = await found.order_by("id").offset(offset).limit(limit + 1).values(
            *VoipNumberNode.COLUMNS)
        return build_connection(rows, offset, limit, total, VoipNumberNode.from_row)

    @field(*SUBSCRIBERS, description="Numbers Twilio offers in a country (ISO code), by area "
           "code or by digits they contain (administrators).")
    async def available_voip_numbers(
            self, info: strawberry.Info,
            country: Annotated[str, strawberry.argument(
                description="The country, ISO 3166 two-letter code (e.g. CA, US).")],
            area_code: Annotated[str | None, strawberry.argument(
                description="Only numbers with this area code (1 to 5 digits).")] = None,
            contains: Annotated[str | None, strawberry.argument(
                description="Only numbers containing these digits (at most 10, * matches "
                "any digit).")] = None,
            first: Annotated[int | None, strawberry.argument(
                description="How many numbers to offer, 1 to 30 (20 when left out).")] = 20
    ) -> list[AvailableVoipNumber]:
        found = await numbers.search_available(info.context.principal, _host(info), country,
                                               area_code, contains, first or 20)
        return [AvailableVoipNumber(phone_number=n.phone_number,
                                    friendly_name=n.friendly_name, locality=n.locality,
                                    region=n.region, country=n.country) for n in found]

    @field(*SUBSCRIBERS, description="Numbers already bought in the Twilio account and not "
           "linked yet (administrators).")
    async def unlinked_twilio_numbers(self, info: strawberry.Info
                                      ) -> list[UnlinkedTwilioNumber]:
        found = await numbers.owned_unlinked(info.context.principal, _host(info))
        return [UnlinkedTwilioNumber(sid=n.sid, phone_number=n.phone_number,
                                     friendly_name=n.friendly_name) for n in found[:200]]

    @field(*SUBSCRIBERS, description="The call log (Appels), newest first.")
    async def voip_calls(self, info: strawberry.Info, filter: CallFilterArgument = None,
                         first: int | None = None, after: str | None = None
                         ) -> Connection[VoipCallNode]:
        offset, limit = page_window(first, after, info.context.settings.max_page_size)
        where = filter.to_filter() if filter is not None else CallFilter()
        rows, total = await call_log.calls_page(info.context.principal, where, offset, limit)
        return build_connection(rows, offset, limit, total, VoipCallNode.from_row)

    @field(*SUBSCRIBERS, description="A short-lived signed URL of the call log as CSV, with "
           "the same filter.")
    def voip_calls_csv_url(self, info: strawberry.Info,
                           filter: CallFilterArgument = None) -> str:
        principal = info.context.principal
        account_of(principal)
        where = filter.to_filter() if filter is not None else CallFilter()
        return csv_url(_host(info), principal, where, info.context.language)

    @field(*SUBSCRIBERS, description="CRM contacts by part of a name or number.")
    async def voip_contacts(self, info: strawberry.Info,
                            search: Annotated[str | None, strawberry.argument(
                                description="Part of the contact's name (any case) or of one "
                                "of its numbers; every contact when left out.")] = None,
                            first: int | None = None, after: str | None = None
                            ) -> Connection[VoipContactNode]:
        offset, limit = page_window(first, after, info.context.settings.max_page_size)
        rows, total = await contacts.contacts_page(info.context.principal, search, offset,
                                                   limit)
        return build_connection(rows, offset, limit, total, VoipContactNode.from_row)

    @field(*SUBSCRIBERS, description="My missed calls of the current session (since I went "
           "online), newest first; call one back with startVoipCall(callBackId).")
    async def voip_missed_calls(
            self, info: strawberry.Info,
            first: Annotated[int, strawberry.argument(
                description="How many of the latest to return, 1 to 100.")] = 50
    ) -> list[VoipCallNode]:
        rows = await softphone.missed_in_session(info.context.principal,
                                                 max(1, min(first, 100)))
        return [VoipCallNode.from_row(row) for row in rows]


# --- Mutations ------------------------------------------------------------------------------

@strawberry.input(description="The API credentials of the Twilio Console's Account Summary.")
class ConnectTwilioInput:
    account_sid: str = strawberry.field(description="SID du compte (AC…).")
    auth_token: str = strawberry.field(description="Jeton d'authentification; kept "
                                       "encrypted, never returned.")


@strawberry.type(description="The result of connectTwilio or updateVoipSettings.")
class VoipSettingsPayload:
    settings: VoipSettings | None = strawberry.field(default=None, description="The "
                                                     "connection and its settings now; null "
                                                     "when refused.")
    errors: list[VoipError] = strawberry.field(default_factory=list)


@strawberry.type(description="The result of disconnectTwilio.")
class DisconnectTwilioPayload:
    disconnected: bool = strawberry.field(default=False, description="True when the Twilio "
                                          "account was disconnected.")
    errors: list[VoipError] = strawberry.field(default_factory=list)


@strawberry.input(description="The settings common to every number; a field left out keeps "
                  "its value.")
class UpdateVoipSettingsInput:
    ring_seconds: int | None = strawberry.field(default=None, description="How many seconds "
                                                "an incoming call rings the operators before "
                                                "it is missed, 5 to 120.")
    voicemail: bool | None = strawberry.field(default=None, description="Whether a missed "
                                              "call goes to voicemail.")
    greeting: str | None = strawberry.field(default=None, description="What callers hear "
                                            "before the voicemail beep, at most 500 "
                                            "characters (empty: the default message).")


@strawberry.input(description="Acheter le numéro de téléphone: the number to buy.")
class BuyVoipNumberInput:
    phone_number: str = strawberry.field(description="One of availableVoipNumbers.")
    friendly_name: str | None = strawberry.field(default=None, description="Its name here, "
                                                 "at most 120 characters (Twilio's when left "
                                                 "out).")


@strawberry.input(description="Lier le numéro acheté: the number of the Twilio account to "
                  "link.")
class LinkVoipNumberInput:
    sid: str = strawberry.field(description="One of unlinkedTwilioNumbers.")
    friendly_name: str | None = strawberry.field(default=None, description="Its name here, "
                                                 "at most 120 characters (Twilio's when left "
                                                 "out).")


@strawberry.type(description="The result of a mutation on a virtual number.")
class VoipNumberPayload:
    number: VoipNumberNode | None = strawberry.field(default=None, description="The number "
                                                     "now; null when refused.")
    errors: list[VoipError] = strawberry.field(default_factory=list)


@strawberry.input(description="Modifier a number; a field left out keeps its value.")
class UpdateVoipNumberInput:
    id: strawberry.ID = strawberry.field(description="The VoipNumber's global ID.")
    friendly_name: str | None = strawberry.field(default=None, description="Its name, at most "
                                                 "120 characters.")
    outgoing_calls: bool | None = strawberry.field(default=None, description="Appels sortants: "
                                                   "its operators may call out from it.")
    recording: bool | None = strawberry.field(default=None, description="Enregistrement "
                                              "d'appel: its calls are recorded.")


@strawberry.enum(name="VoipNumberDeletion", description="Delete a number: give it back to "
                 "Twilio (RELEASE: it is lost) or only remove it from here (UNLINK).")
class VoipNumberDeletion(Enum):
    RELEASE = "RELEASE"
    UNLINK = "UNLINK"


describe_enum_values(VoipNumberDeletion, {
    "RELEASE": "Give the number back to Twilio: it leaves the Twilio account and is lost.",
    "UNLINK": "Keep it in the Twilio account, with the webhooks it had before it was linked "
    "(none for a number bought here).",
})


@strawberry.input(description="Supprimer a number.")
class DeleteVoipNumberInput:
    id: strawberry.ID = strawberry.field(description="The VoipNumber's global ID.")
    mode: VoipNumberDeletion = strawberry.field(description="RELEASE or UNLINK: no default, "
                                                "the admin always says which.")


@strawberry.type(description="The result of deleting a virtual number or removing an "
                 "operator.")
class DeletedPayload:
    deleted_id: strawberry.ID | None = strawberry.field(default=None, description="Global ID "
                                                        "of what was deleted; null when "
                                                        "refused.")
    errors: list[VoipError] = strawberry.field(default_factory=list)


@strawberry.input(description="Ajouter des opérateurs: the users who may use a number.")
class SetVoipNumberOperatorsInput:
    number_id: strawberry.ID = strawberry.field(description="The VoipNumber's global ID.")
    user_ids: list[strawberry.ID] = strawberry.field(description="The users ticked (at most "
                                                     "200); the others stop operating it.")


@strawberry.input(description="An operator's own switches; a field left out keeps its "
                  "value.")
class UpdateVoipOperatorInput:
    id: strawberry.ID = strawberry.field(description="The VoipOperator's global ID.")
    outgoing_calls: bool | None = strawberry.field(default=None, description="Appels sortants "
                                                   "for this operator on this number.")
    recording: bool | None = strawberry.field(default=None, description="Enregistrement "
                                              "d'appel for this operator on this number.")


@strawberry.type(description="The result of updateVoipOperator.")
class VoipOperatorPayload:
    operator: VoipOperatorNode | None = strawberry.field(default=None, description="The "
                                                         "operator now; null when refused.")
    errors: list[VoipError] = strawberry.field(default_factory=list)


@strawberry.input(description="The operator to remove from its number (Supprimer).")
class RemoveVoipOperatorInput:
    id: strawberry.ID = strawberry.field(description="The VoipOperator's global ID.")


@strawberry.input(description="My status in the VoIP assistant.")
class SetVoipPresenceInput:
    online: bool = strawberry.field(description="True: En ligne (a new session starts); "
                                    "false: Hors ligne.")


@strawberry.type(description="The result of setVoipPresence.")
class MyVoipPayload:
    voip: MyVoip | None = strawberry.field(default=None, description="My softphone's state "
                                           "now; null when refused.")
    errors: list[VoipError] = strawberry.field(default_factory=list)


@strawberry.type(description="The result of createVoipAccessToken.")
class VoipAccessTokenPayload:
    token: str | None = strawberry.field(default=None, description="A Twilio Access Token "
                                         "(JWT) with a VoiceGrant, for the Voice JS SDK.")
    identity: str | None = strawberry.field(default=None, description="The token's identity: "
                                            "mine in Twilio Client (gw-user-<id>).")
    expires_at: DateTime | None = strawberry.field(default=None, description="When the token "
                                                   "stops working (15 minutes by default): ask "
                                                   "for a new one before.")
    errors: list[VoipError] = strawberry.field(default_factory=list)


@strawberry.input(description="Appeler: the number to call from and exactly one target: a "
                  "typed number, one of a contact's numbers, or a missed call to return.")
class StartVoipCallInput:
    number_id: strawberry.ID | None = strawberry.field(default=None, description="The virtual "
                                                       "number to call from (optional when I "
                                                       "operate one only).")
    to: str | None = strawberry.field(default=None, description="A typed number, with its "
                                      "country code (+…) or national with country.")
    country: str | None = strawberry.field(default=None, description="ISO code of the typed "
                                           "number's country.")
    contact_phone_id: strawberry.ID | None = strawberry.field(default=None, description="One "
                                                              "of a contact's numbers.")
    call_back_id: strawberry.ID | None = strawberry.field(default=None, description="A missed "
                                                          "VoipCall to call back (its number, "
                                                          "from the same virtual number).")


@strawberry.type(description="The result of startVoipCall: the call prepared, not dialled "
                 "yet.")
class StartVoipCallPayload:
    call: VoipCallNode | None = strawberry.field(default=None, description="The call, "
                                                 "INITIATED until the browser connects; null "
                                                 "when refused.")
    call_token: str | None = strawberry.field(default=None, description="Pass it to Twilio: "
                                              "Device.connect({params: {CallToken}}).")
    number: str | None = strawberry.field(default=None, description="The E.164 number "
                                          "dialled.")
    errors: list[VoipError] = strawberry.field(default_factory=list)


@strawberry.input(description="One number of a contact.")
class VoipContactPhoneInput:
    kind: PhoneKind = strawberry.field(default=PhoneKind.MOBILE, description="Mobile, work, "
                                       "home or other.")
    number: str = strawberry.field(description="The number with its country code (+…); "
                                   "stored E.164, unique in the account.")


@strawberry.input(description="A contact to create, or to replace the name and numbers of.")
class SaveVoipContactInput:
    id: strawberry.ID | None = strawberry.field(default=None, description="The VoipContact to "
                                                "replace; left out: a new contact.")
    name: str = strawberry.field(description="The contact's name, at most 120 characters.")
    phones: list[VoipContactPhoneInput] = strawberry.field(
        default_factory=list, description="All of its numbers (replacing those it had).")


@strawberry.type(description="The result of saveVoipContact.")
class VoipContactPayload:
    contact: VoipContactNode | None = strawberry.field(default=None, description="The contact "
                                                       "now; null when refused.")
    errors: list[VoipError] = strawberry.field(default_factory=list)


@strawberry.input(description="A note to add to a call.")
class AddVoipCallNoteInput:
    call_id: strawberry.ID = strawberry.field(description="The VoipCall, one I may see.")
    text: str = strawberry.field(description="The note, at most 2,000 characters.")


@strawberry.type(description="The result of addVoipCallNote.")
class VoipCallNotePayload:
    call: VoipCallNode | None = strawberry.field(default=None, description="The call with its "
                                                 "notes now; null when refused.")
    errors: list[VoipError] = strawberry.field(default_factory=list)


def _pk(raw: Any, type_name: str, *path: str | int) -> int:
    return node_pk(raw, type_name, ["input", *path])


async def _number_node(info: strawberry.Info, pk: int) -> VoipNumberNode | None:
    [node] = await VoipNumberNode.load(info.context.principal, [pk])
    return node


async def _operator_node(pk: int) -> VoipOperatorNode | None:
    rows = await _operators_by_id(pk)
    return VoipOperatorNode.from_row(rows[0]) if rows else None


async def _operators_by_id(pk: int) -> list[dict[str, Any]]:
    rows = await NumberOperator.filter(id=pk).values(
        *numbers.OPERATOR_COLUMNS, "user__first_name", "user__last_name", "user__login")
    if rows:
        rows[0]["online"] = await Presence.filter(user_id=rows[0]["user_id"],
                                                  online=True).exists()
    return list(rows)


@strawberry.type
class VoipMutation:
    @mutation(*SUBSCRIBERS, errors=VoipError, description="Connect the account's Twilio "
              "account (Intégration, Service tiers): the credentials are verified with "
              "Twilio; the Auth Token is kept encrypted and never returned. Administrators.")
    async def connect_twilio(self, info: strawberry.Info,
                             input: ConnectTwilioInput) -> VoipSettingsPayload:
        twilio = await connecting.connect(info.context.principal, _host(info),
                                          config(_host(info)), input.account_sid,
                                          input.auth_token)
        return VoipSettingsPayload(settings=VoipSettings.of(twilio))

    @mutation(*SUBSCRIBERS, errors=VoipError, description="Déconnecter Twilio: webhooks are "
              "refused from now on, the numbers unlinked (given back the webhooks they had "
              "before); the call log and contacts stay. Administrators.")
    async def disconnect_twilio(self, info: strawberry.Info) -> DisconnectTwilioPayload:
        await connecting.disconnect(info.context.principal)
        return DisconnectTwilioPayload(disconnected=True)

    @mutation(*SUBSCRIBERS, errors=VoipError, description="The settings common to every "
              "number (administrators).")
    async def update_voip_settings(self, info: strawberry.Info,
                                   input: UpdateVoipSettingsInput) -> VoipSettingsPayload:
        twilio = await connecting.update_settings(
            info.context.principal, ring_seconds=input.ring_seconds,
            voicemail=input.voicemail, greeting=input.greeting)
        return VoipSettingsPayload(settings=VoipSettings.of(twilio))

    @mutation(*SUBSCRIBERS, errors=VoipError, description="Acheter le numéro de téléphone: "
              "buy it in the Twilio account; its webhooks point at the gateway. "
              "Administrators.")
    async def buy_voip_number(self, info: strawberry.Info,
                              input: BuyVoipNumberInput) -> VoipNumberPayload:
        number = await numbers.buy(info.context.principal, _host(info), input.phone_number,
                                   input.friendly_name)
        return VoipNumberPayload(number=await _number_node(info, number.id))

    @mutation(*SUBSCRIBERS, errors=VoipError, description="Lier le numéro acheté: a number "
              "of the Twilio account; its webhooks point at the gateway (the previous ones are "
              "kept for unlinking). Administrators.")
    async def link_voip_number(self, info: strawberry.Info,
                               input: LinkVoipNumberInput) -> VoipNumberPayload:
        number = await numbers.link(info.context.principal, _host(info), input.sid,
                                    input.friendly_name)
        return VoipNumberPayload(number=await _number_node(info, number.id))

    @mutation(*SUBSCRIBERS, errors=VoipError, description="Modifier a number: its name and "
              "switches. Administrators.")
    async def update_voip_number(self, info: strawberry.Info,
                                 input: UpdateVoipNumberInput) -> VoipNumberPayload:
        number = await numbers.update(
            info.context.principal, _pk(input.id, "VoipNumber", "id"),
            friendly_name=input.friendly_name, outgoing_calls=input.outgoing_calls,
            recording=input.recording)
        return VoipNumberPayload(number=await _number_node(info, number.id))

    @mutation(*SUBSCRIBERS, errors=VoipError, description="Supprimer a number: RELEASE it at "
              "Twilio or UNLINK it only; its calls stay in the log. Administrators.")
    async def delete_voip_number(self, info: strawberry.Info,
                                 input: DeleteVoipNumberInput) -> DeletedPayload:
        deleted = await numbers.delete(info.context.principal, _host(info),
                                       _pk(input.id, "VoipNumber", "id"),
                                       input.mode == VoipNumberDeletion.RELEASE)
        return DeletedPayload(deleted_id=global_id("VoipNumber", deleted))

    @mutation(*SUBSCRIBERS, errors=VoipError, description="The users of the account who may "
              "use a number (Ajouter des opérateurs … Enregistrer). Administrators.")
    async def set_voip_number_operators(self, info: strawberry.Info,
                                        input: SetVoipNumberOperatorsInput
                                        ) -> VoipNumberPayload:
        if len(input.user_ids) > numbers.MAX_OPERATORS:
            raise Problem(VoipErrorCode.TOO_MANY, numbers.e.TOO_MANY, ["input", "userIds"],
                          max=numbers.MAX_OPERATORS)
        user_ids = [_pk(raw, "User", "userIds", index)
                    for index, raw in enumerate(input.user_ids)]
        number = await numbers.set_operators(
            info.context.principal, _pk(input.number_id, "VoipNumber", "numberId"), user_ids)
        return VoipNumberPayload(number=await _number_node(info, number.id))

    @mutation(*SUBSCRIBERS, errors=VoipError, description="An operator's own switches. "
              "Administrators.")
    async def update_voip_operator(self, info: strawberry.Info,
                                   input: UpdateVoipOperatorInput) -> VoipOperatorPayload:
        operator = await numbers.update_operator(
            info.context.principal, _pk(input.id, "VoipOperator", "id"),
            outgoing_calls=input.outgoing_calls, recording=input.recording)
        return VoipOperatorPayload(operator=await _operator_node(operator.id))

    @mutation(*SUBSCRIBERS, errors=VoipError, description="Remove an operator from a number. "
              "Administrators.")
    async def remove_voip_operator(self, info: strawberry.Info,
                                   input: RemoveVoipOperatorInput) -> DeletedPayload:
        deleted = await numbers.remove_operator(info.context.principal,
                                                _pk(input.id, "VoipOperator", "id"))
        return DeletedPayload(deleted_id=global_id("VoipOperator", deleted))

    @mutation(*SUBSCRIBERS, errors=VoipError, description="En ligne / hors ligne: online, "
              "incoming calls ring in my browser; going online starts a new session. "
              "Operators.")
    async def set_voip_presence(self, info: strawberry.Info,
                                input: SetVoipPresenceInput) -> MyVoipPayload:
        principal = info.context.principal
        state = await softphone.set_online(principal, input.online)
        return MyVoipPayload(voip=_my_voip(state, principal))

    @mutation(*SUBSCRIBERS, errors=VoipError, description="A short-lived Twilio Access Token "
              "for my browser softphone (identity: me). Operators.")
    async def create_voip_access_token(self, info: strawberry.Info) -> VoipAccessTokenPayload:
        token = await softphone.access_token(info.context.principal, _host(info),
                                             config(_host(info)))
        return VoipAccessTokenPayload(token=token.token, identity=token.identity,
                                      expires_at=token.expires_at)

    @mutation(*SUBSCRIBERS, errors=VoipError, description="Appeler: checks my permission, the "
              "call restrictions and test mode before anything is dialled; a refusal says "
              "why. The client then connects with the callToken. Operators allowed to call "
              "out.")
    async def start_voip_call(self, info: strawberry.Info,
                              input: StartVoipCallInput) -> StartVoipCallPayload:
        target = softphone.Target(
            number=input.to if given(input.to) else None,
            country=input.country if given(input.country) else None,
            contact_phone_id=_pk(input.contact_phone_id, "VoipContactPhone", "contactPhoneId")
            if given(input.contact_phone_id) else None,
            call_back_id=_pk(input.call_back_id, "VoipCall", "callBackId")
            if given(input.call_back_id) else None)
        number_id = _pk(input.number_id, "VoipNumber", "numberId") if given(
            input.number_id) else None
        call = await softphone.start_call(info.context.principal, number_id, target)
        rows = await call_log.VoipCall.filter(id=call.id).values(*call_log.CALL_COLUMNS)
        return StartVoipCallPayload(call=VoipCallNode.from_row(rows[0]),
                                    call_token=call.outgoing_token, number=call.other_number)

    @mutation(*SUBSCRIBERS, errors=VoipError, description="Create a contact, or replace a "
              "contact's name and numbers. Users of the account.")
    async def save_voip_contact(self, info: strawberry.Info,
                                input: SaveVoipContactInput) -> VoipContactPayload:
        if len(input.phones) > contacts.MAX_PHONES:
            raise Problem(VoipErrorCode.TOO_MANY, contacts.e.TOO_MANY, ["input", "phones"],
                          max=contacts.MAX_PHONES)
        contact_id = await contacts.save_contact(
            info.context.principal,
            _pk(input.id, "VoipContact", "id") if given(input.id) else None, input.name,
            [(phone.kind.value, phone.number) for phone in input.phones])
        [node] = await VoipContactNode.load(info.context.principal, [contact_id])
        return VoipContactPayload(contact=node)

    @mutation(*SUBSCRIBERS, errors=VoipError, description="Add a note to a call I may see "
              "(administrators: every call; operators: their numbers' and their own).")
    async def add_voip_call_note(self, info: strawberry.Info,
                                 input: AddVoipCallNoteInput) -> VoipCallNotePayload:
        note = await call_log.add_note(info.context.principal,
                                       _pk(input.call_id, "VoipCall", "callId"), input.text)
        [node] = await VoipCallNode.load(info.context.principal, [note.call_id])
        return VoipCallNotePayload(call=node)


# --- Live events ----------------------------------------------------------------------------

@strawberry.enum(name="VoipCallEventKind", description="What just happened to a call.")
class VoipCallEventKind(Enum):
    RINGING = "RINGING"
    ANSWERED = "ANSWERED"  # by me
    ANSWERED_ELSEWHERE = "ANSWERED_ELSEWHERE"
    ENDED = "ENDED"
    MISSED = "MISSED"


describe_enum_values(VoipCallEventKind, {
    "RINGING": "An incoming call rings the number's online operators.",
    "ANSWERED": "I answered the call (or the client answered my outgoing call).",
    "ANSWERED_ELSEWHERE": "Another operator answered it: stop ringing.",
    "ENDED": "The call ended.",
    "MISSED": "Nobody answered the incoming call (Appel manqué).",
})


@strawberry.type(name="VoipCallEvent", description="A live event of a call on a number I "
                 "operate.")
class VoipCallEvent:
    kind: VoipCallEventKind = strawberry.field(description="What just happened to the "
                                               "call.")
    at: DateTime = strawberry.field(description="When the event was delivered to me.")
    call: VoipCallNode = strawberry.field(description="The call as it is now.")


async def call_events(principal: Principal, bus: Any) -> AsyncGenerator[VoipCallEvent, None]:
    subscription = await bus.subscribe(channel(principal.account_id or 0))
    async with subscription:
        async for message in subscription:
            if message is PUBSUB_GAP:
                continue  # events lost meanwhile are past: the calls list has their outcome
            number_id = message.get("number_id")
            user_id = principal.user_id
            operating = await NumberOperator.filter(number_id=number_id,
                                                    user_id=user_id).exists()
            if not operating or not await Presence.filter(user_id=user_id,
                                                          online=True).exists():
                continue
            [node] = await VoipCallNode.load(principal, [int(message["call_id"])])
            if node is None:
                continue
            kind = str(message["kind"])
            if kind == "ANSWERED":
                kind = "ANSWERED" if message.get("operator_id") == user_id else (
                    "ANSWERED_ELSEWHERE")
            yield VoipCallEvent(kind=VoipCallEventKind(kind), at=dt.datetime.now(dt.UTC),
                                call=node)


@strawberry.type
class VoipSubscription:
    @strawberry.subscription(extensions=allow(*SUBSCRIBERS), description=(
        "Live calls on the numbers I operate while I am online: ringing, answered (by me or "
        "elsewhere), ended, missed."))
    async def voip_call_events(self, info: strawberry.Info) -> AsyncIterator[VoipCallEvent]:
        principal = info.context.principal
        bus = current_pubsub()
        if bus is None or principal is None or principal.account_id is None:
            raise StrawberryGraphQLError("VoIP events are unavailable.",
                                         extensions={"code": "UNAVAILABLE"})
        return call_events(principal, bus)
