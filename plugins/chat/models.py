"""The chat plugin's service-hours tables (Tortoise app ``chat``): whether a reseller may offer
chat and offers it, its weekly schedules and its special events, each per service language.
Docstrings become table comments: no quote, no semicolon. Conversations live in
``conversation_models``."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from gateway.api import Reseller

MAX_NAME = 100  # characters in a schedule's or an event's name
MINUTES_PER_DAY = 24 * 60
DEFAULT_TIME_ZONE = "America/Toronto"


class ScheduleKind(StrEnum):
    """A weekly schedule's kind; it sets its rank (see ``hours.RANK``)."""

    WORKING_HOURS = "WORKING_HOURS"  # "En semaine" / "Heures de travail", created with the reseller
    WEEKEND = "WEEKEND"  # "Weekend", created with the reseller
    LUNCH_BREAK = "LUNCH_BREAK"  # "Pause-repas", added from the working-hours schedule
    CUSTOM = "CUSTOM"  # any number of them, named by the reseller


class ChatSettings(Model):
    """Chat for one reseller: permitted by the system admin, enabled by the reseller"""

    id = fields.IntField(primary_key=True)
    reseller: fields.OneToOneRelation[Reseller] = fields.OneToOneField(
        "core.Reseller", related_name=False, on_delete=fields.CASCADE)
    reseller_id: int
    # Set by a system admin ("communiquer avec l'administrateur-système" first).
    permitted = fields.BooleanField(default=False)
    # "Activer", ticked by the reseller once permitted; turning it off keeps the schedules.
    enabled = fields.BooleanField(default=False)
    # The IANA zone the schedules' local times are read in.
    time_zone = fields.CharField(max_length=64, default=DEFAULT_TIME_ZONE)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "chat_settings"


class WeeklySchedule(Model):
    """A recurring weekly period of one service language, open or closed"""

    id = fields.IntField(primary_key=True)
    reseller: fields.ForeignKeyRelation[Reseller] = fields.ForeignKeyField(
        "core.Reseller", related_name=False, on_delete=fields.CASCADE)
    reseller_id: int
    language = fields.CharField(max_length=2)  # fr or en: the service it sets the hours of
    kind = fields.CharEnumField(ScheduleKind, max_length=16)
    # Empty for a built-in schedule that keeps its default name (shown in the reader's language).
    name = fields.CharField(max_length=MAX_NAME, default="")
    # Days of the week as bits: Monday = 1, Tuesday = 2 ... Sunday = 64 (127: every day).
    days = fields.SmallIntField()
    all_day = fields.BooleanField(default=False)
    # Local minutes since midnight; end 1440 is midnight at the end of the day, an end before
    # the start runs past midnight into the next day. Ignored when all_day.
    start_minute = fields.SmallIntField(default=0)
    end_minute = fields.SmallIntField(default=MINUTES_PER_DAY)
    open = fields.BooleanField()
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "chat_weekly_schedule"
        indexes = [Index(fields=("reseller_id", "language", "kind"))]


class SpecialEvent(Model):
    """A dated period of one service language (holiday, closure, extended hours)"""

    id = fields.IntField(primary_key=True)
    reseller: fields.ForeignKeyRelation[Reseller] = fields.ForeignKeyField(
        "core.Reseller", related_name=False, on_delete=fields.CASCADE)
    reseller_id: int
    language = fields.CharField(max_length=2)
    name = fields.CharField(max_length=MAX_NAME)
    starts_at = fields.DatetimeField()  # UTC instants, [starts_at, ends_at)
    ends_at = fields.DatetimeField()
    open = fields.BooleanField()
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "chat_special_event"
        indexes = [Index(fields=("reseller_id", "language", "ends_at"))]
