"""GraphQL of the call-center reports' answers: the output types (statistics, recorder rows,
taken messages, billable calls, information pages, billing history) and their construction
from the rows ``services`` and ``reports`` return."""

from __future__ import annotations

import copy
import datetime as dt
from typing import TYPE_CHECKING, Any, NewType

import strawberry

from gateway.api import Connection, DateTime, PluginHost, build_connection
from plugins.callcenter import exports, reports, series, services
from plugins.callcenter import statistics as stats
from plugins.callcenter.models import AccountInfoPage


def _serialize_offset(value: dt.datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.isoformat()


def _parse_offset(value: str) -> dt.datetime:
    parsed = dt.datetime.fromisoformat(str(value))
    if parsed.tzinfo is None:
        raise ValueError("an OffsetDateTime has a UTC offset, e.g. 2026-11-23T07:00:00-05:00")
    return parsed


# Report rows show when a call happened where the account is: the same instant as a UTC
# DateTime, written in the account's time zone with its offset (downloads show the same).
_OffsetDateTime = strawberry.scalar(
    NewType("OffsetDateTime", dt.datetime),
    name="OffsetDateTime",
    description="An instant, ISO 8601, written in the account's local time with its UTC "
    "offset (e.g. 2026-11-23T07:00:00-05:00): the report's local time, and still one exact "
    "instant for any ISO 8601 parser.",
    serialize=_serialize_offset,
    parse_value=_parse_offset,
)

# The Python type to type checkers, the GraphQL scalar to strawberry.
if TYPE_CHECKING:
    OffsetDateTime = dt.datetime
else:
    OffsetDateTime = _OffsetDateTime


# ---- statistics -----------------------------------------------------------------------------

@strawberry.type(description="One statistic: its count or average, its percentage where it "
                 "has one, and its definition in the caller's language.")
class CallMetric:
    # Worked out only for the fields asked (a series holds up to 1,000 times sixteen).
    source: strawberry.Private[stats.Metric]
    language: strawberry.Private[str]

    @strawberry.field(
        description="The count, or the average rounded as its definition says (seconds to "
        "the second or the tenth, minutes to the tenth); null when its denominator is empty.")
    def value(self) -> float | None:
        return self.source.value

    @strawberry.field(
        description="0-100, rounded to a tenth, where the metric has one; null when its "
        "denominator is empty.")
    def percent(self) -> float | None:
        return self.source.percent

    @strawberry.field(
        description="What the metric counts or averages, then its unit and rounding, in the "
        "caller's language (the seed's Explication).")
    def definition(self) -> str:
        return self.source.definition(self.language)


def metric(metric: stats.Metric, language: str) -> CallMetric:
    return CallMetric(source=metric, language=language)


@strawberry.type(description="Statistiques: the sixteen metrics, in the seed's order. \"Total "
                 "inbound\" calls are inbound calls longer than 6 seconds; each percent says "
                 "what it is a share of.")
class CallStatistics:
    total_inbound: CallMetric = strawberry.field(
        description="1. Total des appels entrants: inbound calls longer than 6 seconds "
        "(outbound calls and disconnect time excluded); percent 100.")
    automated: CallMetric = strawberry.field(
        description="2. Appels automatisés: inbound calls handled by the voice system alone, or "
        "connected to an agent for less than 10 seconds; percent of total inbound.")
    agent_calls: CallMetric = strawberry.field(
        description="3. Appels agents: total inbound minus automated calls (a real conversation "
        "with an agent); percent of total inbound.")
    abandoned: CallMetric = strawberry.field(
        description="4. Appels abandonnés par le système: agent calls whose caller hung up "
        "before they were assigned to an agent; percent of agent calls.")
    assigned: CallMetric = strawberry.field(
        description="5. Appels assignés à un agent: agent calls minus abandoned calls; percent "
        "of total inbound.")
    unanswered: CallMetric = strawberry.field(
        description="6. Appels sans réponse: calls assigned to an agent but not answered (the "
        "caller hung up first); percent of assigned calls.")
    answered: CallMetric = strawberry.field(
        description="7. % des appels répondus par un agent: assigned minus unanswered calls; "
        "percent of total inbound.")
    assigned_answered: CallMetric = strawberry.field(
        description="8. % des appels attribués répondus par un agent: the same answered calls; "
        "percent of assigned calls.")
    average_work_time: CallMetric = strawberry.field(
        description="9. Temps de travail moyen par appel répondu: agent talk time (answered "
        "inbound and outbound calls) plus disconnect/wrap-up time, per answered call; seconds, "
        "to the second; no percent.")
    on_hold: CallMetric = strawberry.field(
        description="10. Appels en attente: inbound calls the agent put on hold for more than "
        "10 seconds; percent of total inbound.")
    average_hold_time: CallMetric = strawberry.field(
        description="11. Temps d'attente moyen: average total hold time of the calls on hold; "
        "seconds, to the second; no percent.")
    average_answer_wait: CallMetric = strawberry.field(
        description="12. Temps d'attente moyen avant la réponse d'un agent: average wait before "
        "an agent answered, over answered calls; seconds, to a tenth; no percent.")
    answered_within_30s: CallMetric = strawberry.field(
        name="answeredWithin30s",
        description="13. Appels répondus dans les 30 secondes: answered calls answered within "
        "30 seconds or less; percent of answered calls.")
    transfers: CallMetric = strawberry.field(
        description="14. Transferts: inbound calls (of the total inbound) during which the "
        "caller was transferred to another number or an extension; a count, no percent.")
    average_transfer_time: CallMetric = strawberry.field(
        description="15. Temps moyen des transferts: average time a transfer took, over the "
        "transfers of those calls; minutes, to a tenth; no percent.")
    busy: CallMetric = strawberry.field(
        description="16. Signal occupé: inbound calls where the caller heard a busy signal, "
        "whatever their duration; a count, no percent.")


def call_statistics(metrics: dict[str, stats.Metric], language: str) -> CallStatistics:
    return CallStatistics(**{name: metric(metrics[name], language) for name in stats.METRICS})


@strawberry.type(description="The statistics of one hour, day, week or month (account-local), "
                 "with the previous period's bucket beside it when asked.")
class CallStatisticsBucket:
    start: str = strawberry.field(description="Account-local start, \"YYYY-MM-DDTHH:MM\" "
                                  "(midnight for a day; Monday midnight for a week; the 1st "
                                  "for a month). The hour repeated when DST ends appears twice "
                                  "with the same start: startsAt tells them apart.")
    starts_at: OffsetDateTime = strawberry.field(
        description="The same start as an instant with its UTC offset in the series' time "
        "zone (e.g. 2026-11-01T01:00:00-05:00), for charting tools.")
    statistics: CallStatistics = strawberry.field(
        description="The sixteen metrics over the bucket's calls that match the filter (zeros "
        "when it has none).")
    account_number: int | None = strawberry.field(
        description="The account of this bucket's series when grouped by ACCOUNT; else null.")
    agent: str | None = strawberry.field(
        description="The agent's initials of this bucket's series when grouped by AGENT; else "
        "null.")
    previous_start: str | None = strawberry.field(
        description="Account-local start of the matching bucket of the previous period (the "
        "range shifted back by its length), when comparePrevious is true; else null.")
    previous: CallStatistics | None = strawberry.field(
        description="The sixteen metrics of the matching bucket of the previous period, when "
        "comparePrevious is true; else null.")


def series_bucket(bucket: series.Bucket, language: str) -> CallStatisticsBucket:
    return CallStatisticsBucket(
        start=bucket.start.strftime("%Y-%m-%dT%H:%M"), starts_at=bucket.starts_at,
        statistics=call_statistics(bucket.metrics, language),
        account_number=bucket.account_number, agent=bucket.agent,
        previous_start=None if bucket.previous_start is None
        else bucket.previous_start.strftime("%Y-%m-%dT%H:%M"),
        previous=None if bucket.previous is None else call_statistics(bucket.previous, language))


# ---- recorder, messages, billable calls ------------------------------------------------------

@strawberry.type(description="A row of the call recorder (Enregistreur d'appels): one call, "
                 "kept sixty days by default.")
class RecordedCall:
    call_number: str = strawberry.field(description="Appel: the platform's call number.")
    started_at: OffsetDateTime = strawberry.field(
        description="Date/Heure: when the call started, in the account's time zone.")
    account_number: int = strawberry.field(
        description="Compte: the account's number (CID/UID).")
    account_name: str = strawberry.field(
        description="Nom du compte: the account's name as recorded with the call.")
    caller_id: str = strawberry.field(
        description="Identification de l'appelant: the caller's number (caller ID); empty when "
        "unknown.")
    caller_name: str = strawberry.field(
        description="Nom de l'appelant: the caller's name from caller ID; empty when unknown.")
    agent: str = strawberry.field(
        description="Agent: initials of the agent who handled the call (upper case); empty when "
        "no agent did.")
    station: str = strawberry.field(
        description="Station: the agent's station number; empty when none.")
    direction: str = strawberry.field(
        description="\"inbound\" (someone called the account's number) or \"outbound\" (an "
        "agent called out).")
    duration_seconds: float = strawberry.field(
        description="The call's length in seconds (durationMinutes shows it as the seed does).")
    quality: int | None = strawberry.field(
        description="Niveau de qualité: the call's quality rating, 0-100; null when not rated.")
    recording_url: str | None = strawberry.field(
        description="Signed URL of the call's audio, valid for a short time (15 minutes by "
        "default; HTTP Range supported); null when the call has no recording.")

    @strawberry.field(description="Durée, in minutes with one decimal as the seed shows it.")
    def duration_minutes(self) -> float:
        return round(self.duration_seconds / 60, 1)


@strawberry.type(description="The recorder's page of calls, newest first, and its totals.")
class CallRecorderConnection(Connection[RecordedCall]):
    total_duration_minutes: float = strawberry.field(
        description="Total Duration of every matching call, in minutes.")


@strawberry.type(description="One step of a taken message's delivery (Envoi de l'histoire), "
                 "as the answering platform reported it.")
class MessageEvent:
    at: str = strawberry.field(
        description="When it happened, as the platform wrote it (free text, e.g. \"03/22/17 "
        "9:20:08 AM\"); may be empty.")
    event: str = strawberry.field(
        description="What happened, e.g. \"email completed to info@compagnie.ca\", "
        "\"Delivered\", \"Taken\".")


@strawberry.type(description="A message taken by an agent (Messages textes), with its delivery "
                 "history.")
class TakenMessage:
    message_id: str = strawberry.field(
        description="Message ID: the platform's message number.")
    taken_at: OffsetDateTime = strawberry.field(
        description="Taken: when the agent took it, in the account's time zone.")
    account_number: int = strawberry.field(
        description="The account's number (CID/UID).")
    call_number: str = strawberry.field(
        description="The platform's number of the call it was taken during; empty when unknown.")
    agent: str = strawberry.field(
        description="Initials of the agent who took it (upper case).")
    body: str = strawberry.field(
        description="The message as the agent wrote it (plain text, line breaks kept).")
    history: list[MessageEvent] = strawberry.field(
        description="Envoi de l'histoire: its delivery steps (emails, texts...), in the "
        "platform's order.")


@strawberry.type(description="A billable call (Billable Call Activity): an answered inbound "
                 "call or an outbound call, which an agent worked on, of a billed cycle.")
class BillableCall:
    started_at: OffsetDateTime = strawberry.field(
        description="Date/Time: when the call started, in the account's time zone.")
    description: str = strawberry.field(
        description="Description: the call's direction, \"inbound\" or \"outbound\".")
    number: str = strawberry.field(
        description="Number: the caller's number (caller ID); empty when unknown.")
    caller_name: str = strawberry.field(
        description="Caller Name: from caller ID; empty when unknown.")
    agent: str = strawberry.field(
        description="Agent: initials of the agent who worked on the call.")
    statistic_seconds: float = strawberry.field(
        description="Statistic in seconds: the agent's talk time plus wrap-up time.")
    statistic: str = strawberry.field(
        description="Statistic as mm:ss (talk plus wrap-up time), as the seed shows it.")


@strawberry.type(description="Appels facturables: a page of the billable calls, oldest "
                 "first (nodes, edges, pageInfo; `first` at most the page cap), and the seed's "
                 "totals over every one of them.")
class BillableCalls(Connection[BillableCall]):
    date_from: dt.date = strawberry.field(
        name="from", description="The first account-local day reported (the cycle's 20th, or "
        "the filter's `from`).")
    date_to: dt.date = strawberry.field(
        name="to", description="The last account-local day reported (the cycle's 19th, or the "
        "filter's `to`).")
    total_calls: int = strawberry.field(description="Total Calls: every billable call of the "
                                        "dates, not only this page's.")
    total_stat_minutes: float = strawberry.field(
        description="Total Stats: talk plus wrap-up time of every billable call of the dates, "
        "in minutes (to a hundredth, e.g. 6.5).")
    average_stat_minutes: float | None = strawberry.field(
        description="Average Stat/Call: totalStatMinutes per call, in minutes (to a "
        "hundredth); null when there is no billable call.")


def _describe_inherited(cls: type, descriptions: dict[str, str]) -> None:
    """Describe fields ``cls`` inherits (a connection's ``edges``, ``pageInfo``...): each is
    replaced in ``cls`` by a described copy, so that other types keep theirs. (The core
    describes the connections named ``...Connection``; ``BillableCalls`` keeps its name.)"""
    definition = getattr(cls, "__strawberry_definition__")
    for index, inherited in enumerate(definition.fields):
        if inherited.python_name in descriptions and not inherited.description:
            described = copy.copy(inherited)
            described.description = descriptions[inherited.python_name]
            definition.fields[index] = described


_describe_inherited(BillableCalls, {
    "edges": "This page's billable calls, oldest first, each with its cursor.",
    "nodes": "This page's billable calls, oldest first (the edges' nodes).",
    "page_info": "Where this page lies: its cursors and whether more calls follow.",
    "total_count": "How many billable calls the dates hold (the same as totalCalls).",
})


@strawberry.type(description="An information page the agents read for the account "
                 "(Informations générales du compte client).")
class AccountInformationPage:
    id: int = strawberry.field(
        description="The page's number, to change it with saveAccountInformationPage.")
    title: str = strawberry.field(description="The page's title.")
    body: str = strawberry.field(description="The page's text as agents read it (plain text).")
    position: int = strawberry.field(
        description="Display order: pages are listed by position (lower first), then by "
        "creation.")
    updated_at: DateTime = strawberry.field(description="When the page was last changed.")


@strawberry.type(description="A line of the account's billing history (Historique de "
                 "facturation), as the billing plugins report it.")
class BillingHistoryEntry:
    date: dt.date = strawberry.field(description="Date of the line (YYYY-MM-DD).")
    description: str = strawberry.field(
        description="Description, e.g. \"Services centre d'appels\" or \"8 minutes du 20 "
        "octobre au 19 novembre\".")
    amount: str = strawberry.field(
        description="Montant: a decimal number as a string (e.g. \"12.50\"), in `currency`.")
    currency: str = strawberry.field(
        description="ISO 4217 code of the amount's currency, e.g. CAD.")


def recorded_call(row: dict[str, Any], host: PluginHost) -> RecordedCall:
    return RecordedCall(
        call_number=row["call_id"], started_at=row["started_at"], account_number=row["account_id"],
        account_name=row["account_name"], caller_id=row["caller_id"],
        caller_name=row["caller_name"], agent=row["agent"], station=row["station"],
        direction=row["direction"], duration_seconds=row["duration"], quality=row["quality"],
        recording_url=exports.recording_url(host, row["id"], row["reseller_id"])
        if row["recording"] else None,
    )


def taken_message(row: dict[str, Any]) -> TakenMessage:
    return TakenMessage(message_id=row["message_id"], taken_at=row["taken_at"],
                        account_number=row["account_id"], call_number=row["call_id"],
                        agent=row["agent"], body=row["body"],
                        history=[MessageEvent(at=h.get("at", ""), event=h.get("event", ""))
                                 for h in row["history"] or []])


def billable_call(row: dict[str, Any]) -> BillableCall:
    seconds = services.statistic_seconds(row)
    return BillableCall(started_at=row["started_at"], description=row["direction"],
                        number=row["caller_id"], caller_name=row["caller_name"],
                        agent=row["agent"], statistic_seconds=seconds,
                        statistic=reports.minutes_seconds(seconds))


def billable_calls(start: dt.date, end: dt.date, report: services.BillableReport, offset: int,
                   limit: int) -> BillableCalls:
    """The page (``report.rows``: ``limit`` + 1 rows from ``offset``) and the totals."""
    page = build_connection(report.rows, offset, limit, report.total_calls, billable_call)
    return BillableCalls(
        edges=page.edges, page_info=page.page_info, total_count=page.total_count,
        date_from=start, date_to=end, total_calls=report.total_calls,
        total_stat_minutes=round(report.total_minutes, 2),
        average_stat_minutes=None if report.average_minutes is None
        else round(report.average_minutes, 2))


def information_page(page: AccountInfoPage) -> AccountInformationPage:
    return AccountInformationPage(id=page.id, title=page.title, body=page.body,
                                  position=page.position, updated_at=page.updated_at)


def billing_entry(entry: dict[str, Any]) -> BillingHistoryEntry:
    return BillingHistoryEntry(date=entry["date"], description=entry["description"],
                               amount=str(entry["amount"]),
                               currency=entry.get("currency", "CAD"))
