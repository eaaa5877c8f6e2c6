"""GraphQL of chat service hours: ``chatAvailability`` (public), the reseller's chat settings,
weekly schedules and special events (staff), and the mutations that change them (audited by
the kit). Resolvers stay thin: decode the ids, call one service, wrap its result."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any, ClassVar

import strawberry
from strawberry import relay
from tortoise.queryset import QuerySet

from gateway.api import (
    ANONYMOUS,
    LANGUAGES,
    STAFF,
    Connection,
    DateTime,
    Error,
    Principal,
    Problem,
    Role,
    RowNode,
    Text,
    build_connection,
    describe_enum_values,
    error_type,
    field,
    given,
    global_id,
    mutation,
    node_pk,
    page_window,
)

from . import schedules
from .availability import availability
from .config import PLUGIN_NAME, ChatConfig
from .errors import (
    BAD_LANGUAGE,
    EVENT_NOT_FOUND,
    RESELLER_NOT_FOUND,
    RESELLER_REQUIRED,
    SCHEDULE_NOT_FOUND,
    ChatErrorCode,
)
from .hours import Decider, mask_days, schedule_name
from .models import ScheduleKind

MAX_DAYS_INPUT = 7


@error_type("Chat", ChatErrorCode)
class ChatError(Error):
    """A refusal of the chat area: what was wrong, where, and why."""


describe_enum_values(ChatErrorCode, {
    "REQUIRED": "A required value is missing: the reseller (a system admin names one), a "
                "schedule's name, or its start and end times (or allDay).",
    "TOO_LONG": "A name is longer than 100 characters.",
    "NOT_FOUND": "No such reseller, schedule or special event among those you may manage "
                 "(another reseller's is not found either).",
    "NOT_PERMITTED": "Chat cannot be turned on: the system admin has not permitted it for this "
                     "reseller.",
    "INVALID_LANGUAGE": "The service language is neither fr nor en.",
    "INVALID_TIME_ZONE": "Not a known IANA time zone (e.g. America/Toronto).",
    "INVALID_DAYS": "No day of the week picked (nor everyDay), or a day listed twice.",
    "INVALID_TIME": "A time of day that is not HH:MM in whole minutes (00:00-23:59), or an "
                    "instant outside the years 1971-8999.",
    "INVALID_PERIOD": "A period that cannot be: equal start and end times (pick allDay for 24 "
                      "hours), or a special event that ends before it starts or lasts more "
                      "than 366 days.",
    "OVERLAP": "The hours overlap another schedule of the same kind and language (or the event "
               "another special event of that language); the message names it.",
    "TOO_MANY": "Over a limit per language: 50 custom schedules or 500 special events (by "
                "default).",
    "BUILT_IN": "The weekday and weekend schedules cannot be deleted (change or close them), "
                "and a lunch break is added only from the working-hours schedule.",
}, description="Why a chat settings, schedule or special event change (or chatAvailability) "
   "was refused.")

# Arguments and input fields repeated across the service-hours fields.
RESELLER_ID = "The reseller (its global ID); by default your own (a system admin names one)."
ResellerIdArg = Annotated[strawberry.ID | None, strawberry.argument(description=RESELLER_ID)]
LanguageFilterArg = Annotated[str | None, strawberry.argument(
    description="Only those of this service language, fr or en; both by default.")]
_ERRORS = ("Why nothing was changed, each with its field and a message in your language; empty "
           "on success.")


def _config(info: strawberry.Info) -> ChatConfig:
    config: ChatConfig = info.context.host.config_for(PLUGIN_NAME, ChatConfig)
    return config


# ---- enums ----------------------------------------------------------------------------------

@strawberry.enum(name="ChatWeekday", description="A day of the week (in the reseller's zone).")
class ChatWeekday(Enum):
    MONDAY = 1
    TUESDAY = 2
    WEDNESDAY = 3
    THURSDAY = 4
    FRIDAY = 5
    SATURDAY = 6
    SUNDAY = 7


describe_enum_values(ChatWeekday, {
    "MONDAY": "Monday (lundi).", "TUESDAY": "Tuesday (mardi).",
    "WEDNESDAY": "Wednesday (mercredi).", "THURSDAY": "Thursday (jeudi).",
    "FRIDAY": "Friday (vendredi).", "SATURDAY": "Saturday (samedi).",
    "SUNDAY": "Sunday (dimanche).",
})


ChatScheduleKind = strawberry.enum(
    ScheduleKind, name="ChatScheduleKind",
    description="A weekly schedule's kind, which sets its priority: CUSTOM > WEEKEND > "
    "LUNCH_BREAK > WORKING_HOURS (special events rank above them all).")
describe_enum_values(ChatScheduleKind, {
    "WORKING_HOURS": "\"En semaine\" / \"Weekdays\": built in, Monday to Friday 09:00-17:00 "
                     "open by default; the lowest priority; never deleted.",
    "WEEKEND": "\"Weekend\": built in, Saturday and Sunday all day, closed by default; never "
               "deleted.",
    "LUNCH_BREAK": "\"Pause-repas\": added from the working hours, closed, 12:00-13:00 on the "
                   "working days by default; may be deleted.",
    "CUSTOM": "A schedule the reseller created (\"Nouveau\"): the highest weekly priority; at "
              "most 50 per language by default.",
})
ChatDecider = strawberry.enum(
    Decider, name="ChatDecider",
    description="What decided whether chat is open: a special event, a weekly schedule's kind, "
    "OUTSIDE_SCHEDULES (no schedule covers the moment: closed) or CHAT_OFF (chat not offered).")
describe_enum_values(ChatDecider, {
    "SPECIAL_EVENT": "A special event covers the moment (it overrides every weekly schedule).",
    "CUSTOM": "A custom weekly schedule covers the moment.",
    "WEEKEND": "The built-in weekend schedule (Weekend) covers the moment.",
    "LUNCH_BREAK": "The lunch break (Pause-repas) covers the moment.",
    "WORKING_HOURS": "The built-in weekday schedule (En semaine) covers the moment.",
    "OUTSIDE_SCHEDULES": "No schedule covers the moment: closed.",
    "CHAT_OFF": "Chat is not permitted or not enabled for the reseller (or there is no such "
                "reseller): closed.",
})


def _staff_of(principal: Principal | None, reseller_id: int) -> bool:
    """Whether the caller manages this reseller's chat (its staff, its tokens, a system admin)."""
    if principal is None or principal.role not in STAFF or principal.direct_access:
        return False
    return principal.role == Role.SYSTEM_ADMIN or principal.reseller_id == reseller_id


# ---- nodes ----------------------------------------------------------------------------------


def _staff_only(principal: Principal | None, query: QuerySet[Any]) -> QuerySet[Any]:
    """Chat settings are read by staff (a subscriber, or a direct-access session, sees none)."""
    if principal is None or principal.role not in STAFF or principal.direct_access:
        return query.filter(id=-1)
    return query


@strawberry.type(name="ChatSettings", description="A reseller's chat: permitted by the system "
                 "admin, enabled by the reseller (\"Activer\"), and the time zone its schedules "
                 "are read in. Chat opens only when both permitted and enabled.")
class ChatSettingsNode(RowNode):
    COLUMNS: ClassVar[tuple[str, ...]] = schedules.SETTINGS_COLUMNS

    id: relay.NodeID[int]
    reseller_id: strawberry.Private[int]
    permitted: bool = strawberry.field(description="Permitted by the system admin.")
    enabled: bool = strawberry.field(description="\"Activer\": turned on by the reseller.")
    time_zone: str = strawberry.field(description="IANA zone of the schedules' local times.")
    updated_at: DateTime = strawberry.field(description="When the settings last changed.")

    @classmethod
    def visible(cls, principal: Principal | None) -> QuerySet[Any]:
        return _staff_only(principal, schedules.settings_visible(principal))

    @strawberry.field(description="The reseller these settings belong to (its global id).")
    def reseller(self) -> strawberry.ID:
        return global_id("Reseller", self.reseller_id)


@strawberry.type(name="ChatSchedule", description="A weekly chat schedule of one service "
                 "language: days of the week, all day or from a start to an end time (local, "
                 "in the reseller's zone; an end before the start runs past midnight), open or "
                 "closed.")
class ChatScheduleNode(RowNode):
    COLUMNS: ClassVar[tuple[str, ...]] = schedules.SCHEDULE_COLUMNS

    id: relay.NodeID[int]
    reseller_id: strawberry.Private[int]
    language: str = strawberry.field(description="The service it sets the hours of: fr or en.")
    kind: ChatScheduleKind = strawberry.field(  # type: ignore[valid-type]
        description="Its kind, which sets its priority: CUSTOM > WEEKEND > LUNCH_BREAK > "
        "WORKING_HOURS.")
    stored_name: strawberry.Private[str]
    days_mask: strawberry.Private[int]
    all_day: bool = strawberry.field(description="\"Toute la journée\": 24 hours.")
    start_minute: strawberry.Private[int]
    end_minute: strawberry.Private[int]
    open: bool = strawberry.field(description="Whether the service is open during it.")
    updated_at: DateTime = strawberry.field(description="When the schedule last changed.")

    @classmethod
    def visible(cls, principal: Principal | None) -> QuerySet[Any]:
        return _staff_only(principal, schedules.schedules_visible(principal))

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> ChatScheduleNode:
        return cls(id=row["id"], reseller_id=row["reseller_id"], language=row["language"],
                   kind=ScheduleKind(row["kind"]), stored_name=row["name"],
                   days_mask=row["days"], all_day=row["all_day"],
                   start_minute=row["start_minute"], end_minute=row["end_minute"],
                   open=row["open"], updated_at=row["updated_at"])

    @strawberry.field(description="Its name, in your language for a built-in schedule that "
                      "kept its default name (\"En semaine\" / \"Weekdays\"…).")
    def name(self, info: strawberry.Info) -> str:
        return schedule_name(self.kind, self.stored_name).render(info.context.language)

    @strawberry.field(description="A built-in schedule (weekdays, weekend), kept for good.")
    def built_in(self) -> bool:
        return self.kind in (ScheduleKind.WORKING_HOURS, ScheduleKind.WEEKEND)

    @strawberry.field(description="The days it applies to, Monday first.")
    def days(self) -> list[ChatWeekday]:
        return [ChatWeekday(day) for day in mask_days(self.days_mask)]

    @strawberry.field(description="Local start time HH:MM (null when all day).")
    def start_time(self) -> str | None:
        return None if self.all_day else schedules.clock_text(self.start_minute)

    @strawberry.field(description="Local end time HH:MM, 24:00 for midnight (null when all "
                      "day); before the start time, it is on the next day.")
    def end_time(self) -> str | None:
        return None if self.all_day else schedules.clock_text(self.end_minute)


@strawberry.type(name="ChatSpecialEvent", description="A special event of one service "
                 "language (holiday, closure, extended hours): from its start to its end, open "
                 "or closed; it overrides every weekly schedule.")
class ChatSpecialEventNode(RowNode):
    COLUMNS: ClassVar[tuple[str, ...]] = schedules.SPECIAL_COLUMNS

    id: relay.NodeID[int]
    reseller_id: strawberry.Private[int]
    language: str = strawberry.field(description="The service it sets the hours of: fr or en.")
    name: str = strawberry.field(description="Its name, e.g. \"Jour de l'An\".")
    starts_at: DateTime = strawberry.field(description="When it starts (included).")
    ends_at: DateTime = strawberry.field(description="When it ends (not included).")
    open: bool = strawberry.field(
        description="Whether the service is open (extended hours) or closed (holiday, closure) "
        "during it.")
    updated_at: DateTime = strawberry.field(description="When the event last changed.")

    @classmethod
    def visible(cls, principal: Principal | None) -> QuerySet[Any]:
        return _staff_only(principal, schedules.events_visible(principal))


@strawberry.type(name="ChatAvailability", description="Whether a reseller's chat service in "
                 "one language is open at an instant, what decided, and when that changes.")
class ChatAvailability:
    at: DateTime = strawberry.field(description="The instant asked about (now by default).")
    language: str = strawberry.field(description="The service asked about: fr or en.")
    open: bool = strawberry.field(description="Whether chat is open at that instant.")
    decided_by: ChatDecider = strawberry.field(  # type: ignore[valid-type]
        description="What decided: a special event, a weekly schedule's kind, "
        "OUTSIDE_SCHEDULES or CHAT_OFF.")
    schedule_name: str | None = strawberry.field(
        description="The deciding schedule's or event's name, in the service's language.")
    schedule_id: strawberry.ID | None = strawberry.field(
        description="The deciding ChatSchedule or ChatSpecialEvent (for the reseller's staff "
        "only; null for anyone else).")
    changes_at: DateTime | None = strawberry.field(
        description="When it next opens (if closed) or closes (if open); null if it does not "
        "change within the look-ahead, or chat is off.")
    time_zone: str = strawberry.field(description="The zone the schedules are read in.")


def _language(value: str | None, default: str, where: list[str | int]) -> str:
    language = (value or default).strip().lower()
    if language not in LANGUAGES:
        raise Problem(ChatErrorCode.INVALID_LANGUAGE, BAD_LANGUAGE, where, value=language[:10])
    return language


def _reseller(raw: strawberry.ID | None, where: list[str | int]) -> int | None:
    return node_pk(raw, "Reseller", where, RESELLER_NOT_FOUND) if given(raw) else None


# ---- queries --------------------------------------------------------------------------------

@strawberry.type
class ChatHoursQuery:
    @field(ANONYMOUS, description="Is chat open? A reseller's (by default, mine) chat service "
           "in a language (by default, mine) at an instant (by default, now), read in the "
           "reseller's zone. Public: the subscribers' portal shows it before sign-in; an unknown "
           "reseller, or one that does not offer chat, answers closed with CHAT_OFF.")
    async def chat_availability(
        self, info: strawberry.Info,
        reseller_id: Annotated[strawberry.ID | None, strawberry.argument(
            description="The reseller (its global ID); by default the caller's own (required "
            "when not signed in).")] = None,
        at: Annotated[DateTime | None, strawberry.argument(
            description="The instant to ask about; now by default.")] = None,
        language: Annotated[str | None, strawberry.argument(
            description="The service: fr or en; the caller's language by default.")] = None,
    ) -> ChatAvailability:
        principal = info.context.principal
        wanted = _reseller(reseller_id, ["resellerId"])
        if wanted is None:
            wanted = principal.reseller_id if principal is not None else None
        if wanted is None:
            raise Problem(ChatErrorCode.REQUIRED, RESELLER_REQUIRED, ["resellerId"])
        chosen = _language(language, info.context.language, ["language"])
        answer = await availability(wanted, at, chosen,
                                    lookahead_days=_config(info).lookahead_days)
        shown_id = None
        if answer.schedule_id is not None and _staff_of(principal, wanted):
            node_type = ("ChatSpecialEvent" if answer.decider == Decider.SPECIAL_EVENT
                         else "ChatSchedule")
            shown_id = global_id(node_type, answer.schedule_id)
        name: Text | None = answer.schedule_name
        return ChatAvailability(
            at=answer.at, language=chosen, open=answer.open, decided_by=answer.decider,
            schedule_name=name.render(chosen) if name is not None else None,
            schedule_id=shown_id, changes_at=answer.changes_at, time_zone=answer.time_zone)

    @field(*STAFF, description="A reseller's chat settings (by default, mine); created on first "
           "look with chat off and the built-in schedules of each language.")
    async def chat_settings(self, info: strawberry.Info,
                            reseller_id: ResellerIdArg = None) -> ChatSettingsNode:
        settings = await schedules.settings_for(
            info.context.principal, _reseller(reseller_id, ["resellerId"]), _config(info))
        [node] = await ChatSettingsNode.load(info.context.principal, [settings.id])
        if node is None:
            raise Problem(ChatErrorCode.NOT_FOUND, RESELLER_NOT_FOUND, ["resellerId"])
        return node

    @field(*STAFF, description="A reseller's (by default, my) weekly chat schedules, by "
           "language then kind.")
    async def chat_schedules(
        self, info: strawberry.Info, reseller_id: ResellerIdArg = None,
        language: LanguageFilterArg = None, first: int | None = None, after: str | None = None,
    ) -> Connection[ChatScheduleNode]:
        offset, limit = page_window(first, after, info.context.settings.max_page_size)
        rows, total = await schedules.schedules_page(
            info.context.principal, _reseller(reseller_id, ["resellerId"]), language, offset,
            limit, _config(info))
        return build_connection(rows, offset, limit, total, ChatScheduleNode.from_row)

    @field(*STAFF, description="A reseller's (by default, my) special events in start order; "
           "endingAfter keeps those that end after that instant (e.g. now: current and coming).")
    async def chat_special_events(
        self, info: strawberry.Info, reseller_id: ResellerIdArg = None,
        language: LanguageFilterArg = None,
        ending_after: Annotated[DateTime | None, strawberry.argument(
            description="Only the events that end after this instant (e.g. now: current and "
            "coming ones); all by default.")] = None,
        first: int | None = None, after: str | None = None,
    ) -> Connection[ChatSpecialEventNode]:
        offset, limit = page_window(first, after, info.context.settings.max_page_size)
        rows, total = await schedules.events_page(
            info.context.principal, _reseller(reseller_id, ["resellerId"]), language,
            ending_after, offset, limit)
        return build_connection(rows, offset, limit, total, ChatSpecialEventNode.from_row)


# ---- mutations ------------------------------------------------------------------------------

@strawberry.input(description="The system admin permits chat for a reseller, or withdraws it.")
class SetChatPermittedInput:
    reseller_id: strawberry.ID = strawberry.field(description="The reseller (its global ID).")
    permitted: bool = strawberry.field(
        description="True permits chat; false withdraws it, which also turns chat off (the "
        "schedules are kept).")


@strawberry.input(description="\"Activer\" and the zone of the schedules; what is left out "
                  "stays as it is.")
class UpdateChatSettingsInput:
    reseller_id: strawberry.ID | None = strawberry.field(default=None, description=RESELLER_ID)
    enabled: bool | None = strawberry.field(
        default=None, description="\"Activer\": true turns chat on (once permitted), false "
        "turns it off (the schedules are kept); left out: as it is.")
    time_zone: str | None = strawberry.field(default=None, description="An IANA zone, e.g. "
                                             "America/Toronto.")


@strawberry.type(description="What setChatPermitted or updateChatSettings answers: the "
                 "settings after the change, or why not.")
class ChatSettingsPayload:
    settings: ChatSettingsNode | None = strawberry.field(
        default=None, description="The reseller's chat settings after the change; null when "
        "refused.")
    errors: list[ChatError] = strawberry.field(default_factory=list, description=_ERRORS)


@strawberry.input(description="A custom weekly schedule (\"Nouveau\").")
class CreateChatScheduleInput:
    reseller_id: strawberry.ID | None = strawberry.field(default=None, description=RESELLER_ID)
    language: str = strawberry.field(description="The service: fr or en.")
    name: str = strawberry.field(description="Its name (required, at most 100 characters).")
    days: list[ChatWeekday] = strawberry.field(
        default_factory=list, description="Its days of the week, each once (required unless "
        "everyDay).")
    every_day: bool = strawberry.field(default=False, description="\"Tous les jours de la "
                                       "semaine\" (days then ignored).")
    all_day: bool = strawberry.field(default=False, description="\"Toute la journée\".")
    start_time: str | None = strawberry.field(default=None, description="Local HH:MM.")
    end_time: str | None = strawberry.field(default=None, description="Local HH:MM; 00:00 or "
                                            "24:00 is midnight; before the start: next day.")
    open: bool = strawberry.field(default=True, description="Open (true) or closed during it.")


@strawberry.input(description="Change a weekly schedule; what is left out stays as it is. The "
                  "days and hours are given together (days or everyDay, allDay or the times).")
class UpdateChatScheduleInput:
    id: strawberry.ID = strawberry.field(description="The ChatSchedule to change (its global ID).")
    name: str | None = strawberry.field(
        default=None, description="Its new name (at most 100 characters); empty gives a "
        "built-in schedule back its default name.")
    days: list[ChatWeekday] | None = strawberry.field(
        default=None, description="Its new days of the week, each once; left out: its own days "
        "(unless everyDay).")
    every_day: bool | None = strawberry.field(
        default=None, description="\"Tous les jours de la semaine\": every day (days then "
        "ignored).")
    all_day: bool | None = strawberry.field(
        default=None, description="\"Toute la journée\": true for 24 hours, false to use the "
        "times; left out: as it is (giving a time makes it timed).")
    start_time: str | None = strawberry.field(
        default=None, description="New local start, HH:MM; left out: its own.")
    end_time: str | None = strawberry.field(
        default=None, description="New local end, HH:MM; 00:00 or 24:00 is midnight; before "
        "the start: the next day; left out: its own.")
    open: bool | None = strawberry.field(
        default=None, description="Open (true) or closed during it; left out: as it is.")
    add_lunch_break: bool = strawberry.field(
        default=False, description="On the working-hours schedule: \"Ajouter un horaire pour "
        "la pause-repas\" creates the closed Pause-repas schedule (when there is none).")


@strawberry.type(description="What createChatSchedule or updateChatSchedule answers: the "
                 "schedule, or why not.")
class ChatSchedulePayload:
    schedule: ChatScheduleNode | None = strawberry.field(
        default=None, description="The schedule as saved; null when refused.")
    lunch_break: ChatScheduleNode | None = strawberry.field(
        default=None, description="The lunch break, when addLunchBreak was asked.")
    errors: list[ChatError] = strawberry.field(default_factory=list, description=_ERRORS)


@strawberry.input(description="The weekly schedule to delete: a custom one or the lunch break.")
class DeleteChatScheduleInput:
    id: strawberry.ID = strawberry.field(description="The ChatSchedule (its global ID).")


@strawberry.type(description="What deleteChatSchedule answers: the deleted schedule's ID, or "
                 "why not.")
class DeleteChatSchedulePayload:
    deleted_id: strawberry.ID | None = strawberry.field(
        default=None, description="The deleted ChatSchedule's ID; null when refused.")
    errors: list[ChatError] = strawberry.field(default_factory=list, description=_ERRORS)


@strawberry.input(description="A special event (holiday, closure, extended hours).")
class CreateChatSpecialEventInput:
    reseller_id: strawberry.ID | None = strawberry.field(default=None, description=RESELLER_ID)
    language: str = strawberry.field(description="The service: fr or en.")
    name: str = strawberry.field(
        description="Its name, e.g. \"Jour de l'An\" (required, at most 100 characters).")
    starts_at: DateTime = strawberry.field(
        description="When it starts: an ISO 8601 instant with its UTC offset.")
    ends_at: DateTime = strawberry.field(
        description="When it ends (not included): after the start, at most 366 days later.")
    open: bool = strawberry.field(default=False, description="Open (true) or closed during it.")


@strawberry.input(description="Change a special event; what is left out stays as it is.")
class UpdateChatSpecialEventInput:
    id: strawberry.ID = strawberry.field(
        description="The ChatSpecialEvent to change (its global ID).")
    name: str | None = strawberry.field(
        default=None, description="Its new name (not blank, at most 100 characters).")
    starts_at: DateTime | None = strawberry.field(
        default=None, description="When it now starts (an ISO 8601 instant).")
    ends_at: DateTime | None = strawberry.field(
        default=None, description="When it now ends (not included; at most 366 days after the "
        "start).")
    open: bool | None = strawberry.field(
        default=None, description="Open (true) or closed during it.")


@strawberry.type(description="What createChatSpecialEvent or updateChatSpecialEvent answers: "
                 "the event, or why not.")
class ChatSpecialEventPayload:
    special_event: ChatSpecialEventNode | None = strawberry.field(
        default=None, description="The special event as saved; null when refused.")
    errors: list[ChatError] = strawberry.field(default_factory=list, description=_ERRORS)


@strawberry.input(description="The special event to delete.")
class DeleteChatSpecialEventInput:
    id: strawberry.ID = strawberry.field(description="The ChatSpecialEvent (its global ID).")


@strawberry.type(description="What deleteChatSpecialEvent answers: the deleted event's ID, or "
                 "why not.")
class DeleteChatSpecialEventPayload:
    deleted_id: strawberry.ID | None = strawberry.field(
        default=None, description="The deleted ChatSpecialEvent's ID; null when refused.")
    errors: list[ChatError] = strawberry.field(default_factory=list, description=_ERRORS)


def _period(days: list[ChatWeekday] | None, every_day: bool | None, all_day: bool | None,
            start: str | None, end: str | None) -> schedules.Hours:
    days = days or []
    if len(days) > MAX_DAYS_INPUT:
        raise Problem(ChatErrorCode.INVALID_DAYS, schedules.TOO_MANY_DAYS, ["input", "days"])
    return schedules.Hours(days=[day.value for day in days], every_day=bool(every_day),
                           all_day=bool(all_day), start=start, end=end)


def _change(input: UpdateChatScheduleInput) -> schedules.HoursChange:
    days = input.days if given(input.days) else None
    if days is not None and len(days) > MAX_DAYS_INPUT:
        raise Problem(ChatErrorCode.INVALID_DAYS, schedules.TOO_MANY_DAYS, ["input", "days"])
    return schedules.HoursChange(
        days=None if days is None else [day.value for day in days],
        every_day=input.every_day if given(input.every_day) else None,
        all_day=input.all_day if given(input.all_day) else None,
        start=input.start_time if given(input.start_time) else None,
        end=input.end_time if given(input.end_time) else None)


async def _schedule_node(info: strawberry.Info, pk: int | None) -> ChatScheduleNode | None:
    if pk is None:
        return None
    [node] = await ChatScheduleNode.load(info.context.principal, [pk])
    return node


async def _settings_node(info: strawberry.Info, pk: int) -> ChatSettingsNode | None:
    [node] = await ChatSettingsNode.load(info.context.principal, [pk])
    return node


# The mutations' input arguments.
SetChatPermittedArg = Annotated[SetChatPermittedInput, strawberry.argument(
    description="The reseller, and whether chat is permitted.")]
UpdateChatSettingsArg = Annotated[UpdateChatSettingsInput, strawberry.argument(
    description="The reseller, \"Activer\" and the time zone; what is left out stays.")]
CreateChatScheduleArg = Annotated[CreateChatScheduleInput, strawberry.argument(
    description="The new schedule: service language, name, days, hours, open or closed.")]
UpdateChatScheduleArg = Annotated[UpdateChatScheduleInput, strawberry.argument(
    description="The schedule and what changes; what is left out stays.")]
DeleteChatScheduleArg = Annotated[DeleteChatScheduleInput, strawberry.argument(
    description="The schedule to delete.")]
CreateChatSpecialEventArg = Annotated[CreateChatSpecialEventInput, strawberry.argument(
    description="The new event: service language, name, start, end, open or closed.")]
UpdateChatSpecialEventArg = Annotated[UpdateChatSpecialEventInput, strawberry.argument(
    description="The event and what changes; what is left out stays.")]
DeleteChatSpecialEventArg = Annotated[DeleteChatSpecialEventInput, strawberry.argument(
    description="The special event to delete.")]


@strawberry.type
class ChatHoursMutation:
    @mutation(Role.SYSTEM_ADMIN, errors=ChatError, description="Permit chat for a reseller "
              "(the system admin's step before the reseller may tick \"Activer\"), or withdraw "
              "it, which turns chat off and keeps the schedules.")
    async def set_chat_permitted(self, info: strawberry.Info,
                                 input: SetChatPermittedArg) -> ChatSettingsPayload:
        settings = await schedules.set_permitted(
            info.context.principal, node_pk(input.reseller_id, "Reseller",
                                            ["input", "resellerId"], RESELLER_NOT_FOUND),
            input.permitted, _config(info))
        return ChatSettingsPayload(settings=await _settings_node(info, settings.id))

    @mutation(*STAFF, errors=ChatError,
              description="\"Activer\" chat (once the system admin permitted it; turning it "
              "off keeps the schedules) and the zone its schedules are read in.")
    async def update_chat_settings(self, info: strawberry.Info,
                                   input: UpdateChatSettingsArg) -> ChatSettingsPayload:
        settings = await schedules.update_settings(
            info.context.principal, _reseller(input.reseller_id, ["input", "resellerId"]),
            enabled=input.enabled, time_zone=input.time_zone, config=_config(info))
        return ChatSettingsPayload(settings=await _settings_node(info, settings.id))

    @mutation(*STAFF, errors=ChatError,
              description="Create a custom weekly chat schedule; it may not overlap another "
              "custom schedule of the same language (the error names it).")
    async def create_chat_schedule(self, info: strawberry.Info,
                                   input: CreateChatScheduleArg) -> ChatSchedulePayload:
        schedule = await schedules.create_schedule(
            info.context.principal, _reseller(input.reseller_id, ["input", "resellerId"]),
            language=input.language, name=input.name,
            period=_period(input.days, input.every_day, input.all_day, input.start_time,
                           input.end_time),
            open=input.open, config=_config(info))
        return ChatSchedulePayload(schedule=await _schedule_node(info, schedule.id))

    @mutation(*STAFF, errors=ChatError,
              description="Change a weekly chat schedule (name, days and hours, open or "
              "closed); on the working hours, addLunchBreak creates the Pause-repas schedule.")
    async def update_chat_schedule(self, info: strawberry.Info,
                                   input: UpdateChatScheduleArg) -> ChatSchedulePayload:
        changes_period = any(given(value) for value in (
            input.days, input.every_day, input.all_day, input.start_time, input.end_time))
        schedule, lunch = await schedules.update_schedule(
            info.context.principal,
            node_pk(input.id, "ChatSchedule", ["input", "id"], SCHEDULE_NOT_FOUND),
            name=input.name if given(input.name) else None,
            period=_change(input) if changes_period else None,
            open=input.open if given(input.open) else None,
            add_lunch_break=input.add_lunch_break, config=_config(info))
        return ChatSchedulePayload(schedule=await _schedule_node(info, schedule.id),
                                   lunch_break=await _schedule_node(
                                       info, lunch.id if lunch is not None else None))

    @mutation(*STAFF, errors=ChatError,
              description="Delete a custom schedule or the lunch break (the weekday and "
              "weekend schedules are kept).")
    async def delete_chat_schedule(self, info: strawberry.Info,
                                   input: DeleteChatScheduleArg) -> DeleteChatSchedulePayload:
        deleted = await schedules.delete_schedule(
            info.context.principal,
            node_pk(input.id, "ChatSchedule", ["input", "id"], SCHEDULE_NOT_FOUND))
        return DeleteChatSchedulePayload(deleted_id=global_id("ChatSchedule", deleted))

    @mutation(*STAFF, errors=ChatError,
              description="Create a special event; it may not overlap another special event of "
              "the same language (the error names it).")
    async def create_chat_special_event(
        self, info: strawberry.Info, input: CreateChatSpecialEventArg,
    ) -> ChatSpecialEventPayload:
        event = await schedules.create_event(
            info.context.principal, _reseller(input.reseller_id, ["input", "resellerId"]),
            language=input.language, name=input.name, starts_at=input.starts_at,
            ends_at=input.ends_at, open=input.open, config=_config(info))
        [node] = await ChatSpecialEventNode.load(info.context.principal, [event.id])
        return ChatSpecialEventPayload(special_event=node)

    @mutation(*STAFF, errors=ChatError,
              description="Change a special event (name, start, end, open or closed).")
    async def update_chat_special_event(
        self, info: strawberry.Info, input: UpdateChatSpecialEventArg,
    ) -> ChatSpecialEventPayload:
        event = await schedules.update_event(
            info.context.principal,
            node_pk(input.id, "ChatSpecialEvent", ["input", "id"], EVENT_NOT_FOUND),
            name=input.name if given(input.name) else None,
            starts_at=input.starts_at if given(input.starts_at) else None,
            ends_at=input.ends_at if given(input.ends_at) else None,
            open=input.open if given(input.open) else None, config=_config(info))
        [node] = await ChatSpecialEventNode.load(info.context.principal, [event.id])
        return ChatSpecialEventPayload(special_event=node)

    @mutation(*STAFF, errors=ChatError,
              description="Delete a special event.")
    async def delete_chat_special_event(
        self, info: strawberry.Info, input: DeleteChatSpecialEventArg,
    ) -> DeleteChatSpecialEventPayload:
        deleted = await schedules.delete_event(
            info.context.principal,
            node_pk(input.id, "ChatSpecialEvent", ["input", "id"], EVENT_NOT_FOUND))
        return DeleteChatSpecialEventPayload(deleted_id=global_id("ChatSpecialEvent", deleted))
