"""GraphQL of the call-center reports' filters: the enums and the filter inputs, and the one
conversion of a filter into the JSON-safe data ``reports`` reads (and a download URL or an
email job carries)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from enum import Enum
from typing import Any

import strawberry

from gateway.api import DateTime, describe_enum_values

# ---- enums ----------------------------------------------------------------------------------

@strawberry.enum(description="A day of the week (Jour de la semaine), in the account's time "
                 "zone.")
class Weekday(Enum):
    MONDAY = "MONDAY"
    TUESDAY = "TUESDAY"
    WEDNESDAY = "WEDNESDAY"
    THURSDAY = "THURSDAY"
    FRIDAY = "FRIDAY"
    SATURDAY = "SATURDAY"
    SUNDAY = "SUNDAY"


describe_enum_values(Weekday, {
    "MONDAY": "Monday (lundi).", "TUESDAY": "Tuesday (mardi).",
    "WEDNESDAY": "Wednesday (mercredi).", "THURSDAY": "Thursday (jeudi).",
    "FRIDAY": "Friday (vendredi).", "SATURDAY": "Saturday (samedi).",
    "SUNDAY": "Sunday (dimanche).",
})


@strawberry.enum(description="The buckets of a statistics time series, in the account's time "
                 "zone.")
class StatisticsInterval(Enum):
    HOUR = "HOUR"
    DAY = "DAY"
    WEEK = "WEEK"
    MONTH = "MONTH"


describe_enum_values(StatisticsInterval, {
    "HOUR": "One bucket per hour of each day, starting on the hour (at most 1,000 buckets: "
            "about 41 days).",
    "DAY": "One bucket per day, starting at midnight.",
    "WEEK": "One bucket per week, Monday to Sunday, starting on Monday at midnight.",
    "MONTH": "One bucket per calendar month, starting on the 1st at midnight.",
})


@strawberry.enum(description="How a statistics time series is split: one series per account "
                 "or per agent.")
class StatisticsGroupBy(Enum):
    ACCOUNT = "ACCOUNT"
    AGENT = "AGENT"


describe_enum_values(StatisticsGroupBy, {
    "ACCOUNT": "One series per account (reseller staff and system admins only).",
    "AGENT": "One series per agent (by initials; calls without an agent form the \"\" "
             "series).",
})


@strawberry.enum(description="Choisir laps de temps: the recorder's time window, up to now "
                 "unless CUSTOM.")
class RecorderPreset(Enum):
    LAST_HOUR = "LAST_HOUR"
    LAST_3_HOURS = "LAST_3_HOURS"
    LAST_6_HOURS = "LAST_6_HOURS"
    LAST_12_HOURS = "LAST_12_HOURS"
    SINCE_MIDNIGHT = "SINCE_MIDNIGHT"
    CUSTOM = "CUSTOM"


describe_enum_values(RecorderPreset, {
    "LAST_HOUR": "The last 60 minutes (Heure qui a précédé); the default.",
    "LAST_3_HOURS": "The last 3 hours (Trois heures précédentes).",
    "LAST_6_HOURS": "The last 6 hours (Six heures précédentes).",
    "LAST_12_HOURS": "The last 12 hours (Douze heures précédentes).",
    "SINCE_MIDNIGHT": "Since the last midnight (Depuis minuit) in the time zone of the account "
                      "searched (else the caller's account; UTC for a reseller-wide search).",
    "CUSTOM": "From the filter's start to its end (Dates/heures spécifiques); leaving one out "
              "leaves that side open.",
})


@strawberry.enum(description="The call-center reports that can be downloaded or emailed.")
class CallCenterReport(Enum):
    RECORDER = "RECORDER"
    MESSAGES = "MESSAGES"
    BILLABLE_CALLS = "BILLABLE_CALLS"
    STATISTICS = "STATISTICS"


describe_enum_values(CallCenterReport, {
    "RECORDER": "The call recorder's calls (Enregistreur d'appels); its filter goes in "
                "`recorder`.",
    "MESSAGES": "The taken messages (Messages textes); its filter goes in `messages`.",
    "BILLABLE_CALLS": "The billable calls and their totals (Appels facturables); its filter "
                      "goes in `billableCalls`.",
    "STATISTICS": "The sixteen statistics (Statistiques); its filter goes in `statistics`.",
})


@strawberry.enum(description="A report file's format (Ouvrir dans Excel): XLSX or CSV.")
class ReportFileFormat(Enum):
    XLSX = "XLSX"
    CSV = "CSV"


describe_enum_values(ReportFileFormat, {
    "XLSX": "An Excel workbook (.xlsx) with one sheet.",
    "CSV": "Comma-separated values (.csv), UTF-8 with a byte order mark so that Excel reads "
           "the accents.",
})


# ---- inputs ---------------------------------------------------------------------------------

ACCOUNT_NUMBER = ("Numéro de compte client (the account's CID/UID): only this account's calls; "
                  "by default every account the caller may see.")
BILLING_NUMBER = ("Numéro de facturation (the account's CAN): only the calls of the account "
                  "with this billing number.")
DAY_TO = ("Au: the last account-local day, inclusive (YYYY-MM-DD); by default today, or "
          "`from` when that is later.")
AGENT = "Agent: only calls handled by the agent with these initials (any case, e.g. ELD)."


@strawberry.input(description="The statistics report's filters (Statistiques), all optional "
                  "and combinable; days, times and weekdays are the account's local time.")
class CallStatisticsFilter:
    account_number: int | None = strawberry.field(default=None, description=ACCOUNT_NUMBER)
    billing_number: str | None = strawberry.field(default=None, description=BILLING_NUMBER)
    date_from: dt.date | None = strawberry.field(
        default=None, name="from", description="Du: the first account-local day, inclusive "
        "(YYYY-MM-DD); today by default, or `to` when only `to` is given.")
    date_to: dt.date | None = strawberry.field(default=None, name="to", description=DAY_TO)
    after: str | None = strawberry.field(
        default=None, description="Appels après: calls starting at or after this account-local "
        "time of day, \"HH:MM\" (e.g. 08:30); from midnight by default.")
    before: str | None = strawberry.field(
        default=None, description="Appels avant: calls starting at or before this "
        "account-local time of day, \"HH:MM\" (e.g. 17:00); until 23:59 by default.")
    weekdays: list[Weekday] | None = strawberry.field(
        default=None, description="Jour de la semaine: only calls on these account-local days "
        "(at most 7); every day by default.")
    agent: str | None = strawberry.field(default=None, description=AGENT)
    hold_longer_than: float | None = strawberry.field(
        default=None, description="Temps d'attente >: only calls whose longest hold lasted "
        "more than this many seconds.")
    answer_delay_longer_than: float | None = strawberry.field(
        default=None, description="Délai au temps de réponse >: only answered calls whose wait "
        "before an agent answered lasted more than this many seconds.")
    include_account_groups: list[int] | None = strawberry.field(
        default=None, description="Inclure le(s) groupe(s) compte client: only calls of these "
        "account group numbers (at most 100); every group by default.")
    exclude_account_groups: list[int] | None = strawberry.field(
        default=None, description="Exclure le(s) groupe(s) compte client: leave out calls of "
        "these account group numbers (at most 100); calls without a group stay.")
    include_distribution_groups: list[int] | None = strawberry.field(
        default=None, description="Inclure le(s) groupe(s) de distribution: only calls of "
        "these distribution group numbers (at most 100); every group by default.")
    exclude_distribution_groups: list[int] | None = strawberry.field(
        default=None, description="Exclure le(s) groupe(s) de distribution: leave out calls of "
        "these distribution group numbers (at most 100); calls without a group stay.")


@strawberry.input(description="The call recorder's search (Enregistreur d'appels): a preset or "
                  "dates/times, and the other optional criteria, all combined.")
class CallRecorderFilter:
    preset: RecorderPreset = strawberry.field(
        default=RecorderPreset.LAST_HOUR, description="Choisir laps de temps: the time window; "
        "LAST_HOUR by default, CUSTOM to use start and end.")
    start: DateTime | None = strawberry.field(
        default=None, description="Date de début, with CUSTOM only: calls started at or after "
        "this instant (ISO 8601 with its offset).")
    end: DateTime | None = strawberry.field(
        default=None, description="Date de fin, with CUSTOM only: calls started at or before "
        "this instant (ISO 8601 with its offset).")
    account_number: int | None = strawberry.field(default=None, description=ACCOUNT_NUMBER)
    billing_number: str | None = strawberry.field(default=None, description=BILLING_NUMBER)
    agent: str | None = strawberry.field(
        default=None, description="Initiales de l'agent: only calls handled by this agent "
        "(initials, any case).")
    station: str | None = strawberry.field(
        default=None, description="Station #: only calls taken at this agent station (exact).")
    min_duration_minutes: float | None = strawberry.field(
        default=None, description="Durée minimale (mins): only calls lasting at least this many "
        "minutes (decimals allowed, e.g. 0.5).")
    max_duration_minutes: float | None = strawberry.field(
        default=None, description="Durée maximale (mins): only calls lasting at most this many "
        "minutes.")
    caller_id: str | None = strawberry.field(
        default=None, description="Identification de l'appelant: only calls whose caller ID "
        "(the caller's number) contains this text.")
    call_number: str | None = strawberry.field(
        default=None, description="Numéro d'appel: only the call with this platform call number "
        "(exact).")
    account_name: str | None = strawberry.field(
        default=None, description="Nom de compte: only calls whose account name contains this "
        "text (any part, any case).")
    quality_min: int | None = strawberry.field(
        default=None, description="Niveau de qualité minimum: only calls rated at least this "
        "quality (0-100); calls without a rating are then left out.")
    quality_max: int | None = strawberry.field(
        default=None, description="Niveau de qualité maximum: only calls rated at most this "
        "quality (0-100); calls without a rating are then left out.")


@strawberry.input(description="The taken messages' search (Messages textes), all criteria "
                  "optional and combined.")
class TakenMessageFilter:
    date_from: dt.date | None = strawberry.field(
        default=None, name="from", description="Du: the first account-local day the messages "
        "were taken, inclusive (YYYY-MM-DD); today by default, or `to` when only `to` is "
        "given.")
    date_to: dt.date | None = strawberry.field(default=None, name="to", description=DAY_TO)
    account_number: int | None = strawberry.field(
        default=None, description="Numéro de compte client (the account's CID/UID): only this "
        "account's messages; by default every account the caller may see.")
    billing_number: str | None = strawberry.field(
        default=None, description="Numéro de facturation (the account's CAN): only the messages "
        "of the account with this billing number.")
    call_number: str | None = strawberry.field(
        default=None, description="Numéro d'appel: only the messages taken during the call with "
        "this platform call number (exact).")
    agent: str | None = strawberry.field(
        default=None, description="Agent: only the messages taken by the agent with these "
        "initials (any case).")
    keyword: str | None = strawberry.field(
        default=None, description="Mot clé: only the messages whose text contains this (any "
        "case).")


@strawberry.input(description="Billable calls (Appels facturables): dates, or the billing cycle "
                  "(20th to 19th) holding a day (the current one by default).")
class BillableCallFilter:
    date_from: dt.date | None = strawberry.field(
        default=None, name="from", description="Du: the first account-local day, inclusive "
        "(YYYY-MM-DD); giving `from` or `to` replaces the billing cycle.")
    date_to: dt.date | None = strawberry.field(default=None, name="to", description=DAY_TO)
    cycle: dt.date | None = strawberry.field(
        default=None, description="Any day of the wanted billing cycle (20th to the 19th of the "
        "next month); today's cycle by default; ignored when `from` or `to` is given.")
    account_number: int | None = strawberry.field(
        default=None, description="Account Number (the account's CID/UID): only this account's "
        "calls; by default every account the caller may see.")
    billing_number: str | None = strawberry.field(default=None, description=BILLING_NUMBER)


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
