"""GraphQL of the call-center reports' filters: the enums and the filter inputs, and the one
conversion of a filter into the JSON-safe data ``reports`` reads (and a download URL or an
email job carries)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from enum import Enum
from typing import Any

import strawberry

from gateway.api import DateTime

# ---- enums ----------------------------------------------------------------------------------

@strawberry.enum(description="A day of the week (account-local).")
class Weekday(Enum):
    MONDAY = "MONDAY"
    TUESDAY = "TUESDAY"
    WEDNESDAY = "WEDNESDAY"
    THURSDAY = "THURSDAY"
    FRIDAY = "FRIDAY"
    SATURDAY = "SATURDAY"
    SUNDAY = "SUNDAY"


@strawberry.enum(description="The buckets of a statistics time series (account-local).")
class StatisticsInterval(Enum):
    HOUR = "HOUR"
    DAY = "DAY"
    WEEK = "WEEK"


@strawberry.enum(description="Choisir laps de temps: the recorder's time presets.")
class RecorderPreset(Enum):
    LAST_HOUR = "LAST_HOUR"
    LAST_3_HOURS = "LAST_3_HOURS"
    LAST_6_HOURS = "LAST_6_HOURS"
    LAST_12_HOURS = "LAST_12_HOURS"
    SINCE_MIDNIGHT = "SINCE_MIDNIGHT"
    CUSTOM = "CUSTOM"


@strawberry.enum(description="The call-center reports that can be downloaded or emailed.")
class CallCenterReport(Enum):
    RECORDER = "RECORDER"
    MESSAGES = "MESSAGES"
    BILLABLE_CALLS = "BILLABLE_CALLS"
    STATISTICS = "STATISTICS"


@strawberry.enum(description="Open in Excel: XLSX, or CSV.")
class ReportFileFormat(Enum):
    XLSX = "XLSX"
    CSV = "CSV"


# ---- inputs ---------------------------------------------------------------------------------

@strawberry.input(description="The statistics report's filters, all optional and combinable.")
class CallStatisticsFilter:
    account_number: int | None = strawberry.field(default=None, description="CID / UID.")
    billing_number: str | None = strawberry.field(default=None, description="CAN.")
    date_from: dt.date | None = strawberry.field(
        default=None, name="from", description="First day (account-local, inclusive); today "
        "by default.")
    date_to: dt.date | None = strawberry.field(
        default=None, name="to", description="Last day (account-local, inclusive).")
    after: str | None = strawberry.field(
        default=None, description="Calls at or after this account-local time, \"HH:MM\".")
    before: str | None = strawberry.field(
        default=None, description="Calls at or before this account-local time, \"HH:MM\".")
    weekdays: list[Weekday] | None = strawberry.field(
        default=None, description="Only these account-local days of the week.")
    agent: str | None = strawberry.field(default=None, description="Agent initials.")
    hold_longer_than: float | None = strawberry.field(
        default=None, description="Keep only calls with a hold longer than this (seconds).")
    answer_delay_longer_than: float | None = strawberry.field(
        default=None, description="Keep only calls whose wait before an agent answered is "
        "longer than this (seconds).")
    include_account_groups: list[int] | None = None
    exclude_account_groups: list[int] | None = None
    include_distribution_groups: list[int] | None = None
    exclude_distribution_groups: list[int] | None = None


@strawberry.input(description="The call recorder's search: a preset or dates/times, and the "
                  "other optional criteria.")
class CallRecorderFilter:
    preset: RecorderPreset = RecorderPreset.LAST_HOUR
    start: DateTime | None = strawberry.field(
        default=None, description="CUSTOM: from this moment.")
    end: DateTime | None = strawberry.field(
        default=None, description="CUSTOM: until this moment.")
    account_number: int | None = None
    billing_number: str | None = None
    agent: str | None = None
    station: str | None = None
    min_duration_minutes: float | None = None
    max_duration_minutes: float | None = None
    caller_id: str | None = None
    call_number: str | None = None
    account_name: str | None = strawberry.field(default=None, description="Any part of it.")
    quality_min: int | None = None
    quality_max: int | None = None


@strawberry.input(description="The taken messages' search.")
class TakenMessageFilter:
    date_from: dt.date | None = strawberry.field(default=None, name="from")
    date_to: dt.date | None = strawberry.field(default=None, name="to")
    account_number: int | None = None
    billing_number: str | None = None
    call_number: str | None = None
    agent: str | None = None
    keyword: str | None = strawberry.field(default=None, description="A word in the body.")


@strawberry.input(description="Billable calls: dates, or the billing cycle (20th to 19th) "
                  "holding a day (the current one by default).")
class BillableCallFilter:
    date_from: dt.date | None = strawberry.field(default=None, name="from")
    date_to: dt.date | None = strawberry.field(default=None, name="to")
    cycle: dt.date | None = strawberry.field(
        default=None, description="Any day of the wanted billing cycle.")
    account_number: int | None = None
    billing_number: str | None = None


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def filter_data(filter: Any) -> dict[str, Any]:
    """An input as JSON-safe data (what a download URL or an email job carries)."""
    if filter is None:
        return {}
    return {f.name: _plain(getattr(filter, f.name)) for f in dataclasses.fields(filter)
            if getattr(filter, f.name) not in (None, strawberry.UNSET)}
