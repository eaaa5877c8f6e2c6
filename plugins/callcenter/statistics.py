"""The statistics report (seed: "Statistiques"): the issue's sixteen definitions, computed by the
database in one pass over the calls that match the filter, on SQLite and PostgreSQL alike.

Days, hours and weekdays are the account's local time: the importer stores each call's
account-local date, minute of day, weekday and week, so every filter here is a plain column
comparison and the query is one ``SELECT SUM(CASE ...)`` (no per-call Python loop).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from tortoise import connections

from gateway.api import Text

TABLE = "callcenter_call"

# The conditions every metric is built from (SQL over one row of callcenter_call).
TOTAL_INBOUND = "(direction = 'inbound' AND duration > 6)"
AUTOMATED = f"({TOTAL_INBOUND} AND (queued_at IS NULL OR duration - queued_at < 10))"
AGENT = f"({TOTAL_INBOUND} AND queued_at IS NOT NULL AND duration - queued_at >= 10)"
ABANDONED = f"({AGENT} AND assigned_at IS NULL)"
ASSIGNED = f"({AGENT} AND assigned_at IS NOT NULL)"
UNANSWERED = f"({ASSIGNED} AND answered_at IS NULL)"
ANSWERED = f"({ASSIGNED} AND answered_at IS NOT NULL)"
ON_HOLD = f"({TOTAL_INBOUND} AND hold_max > 10)"
WORKED = f"({ANSWERED} OR direction = 'outbound')"
# Seed, items 14 and 15: calls "during which a caller is transferred", among the total inbound
# calls (an outbound or a 6-second call with a transfer does not count).
TRANSFERRED = f"({TOTAL_INBOUND} AND transfer_count > 0)"


def _count(condition: str) -> str:
    return f"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END)"


def _sum(condition: str, expression: str) -> str:
    return f"SUM(CASE WHEN {condition} THEN {expression} ELSE 0 END)"


AGGREGATES: dict[str, str] = {
    "calls": "COUNT(*)",
    "total_inbound": _count(TOTAL_INBOUND),
    "automated": _count(AUTOMATED),
    "abandoned": _count(ABANDONED),
    "unanswered": _count(UNANSWERED),
    "answered": _count(ANSWERED),
    "work_seconds": _sum(WORKED, "COALESCE(agent_seconds, 0) + COALESCE(wrap_seconds, 0)"),
    "on_hold": _count(ON_HOLD),
    "hold_seconds": _sum(ON_HOLD, "hold_total"),
    "answer_wait_seconds": _sum(ANSWERED, "answered_at - queued_at"),
    "answered_within_30s": _count(f"({ANSWERED} AND answered_at - queued_at <= 30)"),
    "transfers": _count(TRANSFERRED),
    "transfer_count": _sum(TRANSFERRED, "transfer_count"),
    "transfer_seconds": _sum(TRANSFERRED, "transfer_total"),
    "busy": _count("(direction = 'inbound' AND busy)"),
}

METRICS = ("total_inbound", "automated", "agent_calls", "abandoned", "assigned", "unanswered",
           "answered", "assigned_answered", "average_work_time", "on_hold",
           "average_hold_time", "average_answer_wait", "answered_within_30s", "transfers",
           "average_transfer_time", "busy")

DEFINITIONS: dict[str, Text] = {
    "total_inbound": Text(
        en="Inbound calls of the account lasting more than 6 seconds; outbound calls and "
           "activity without a call (disconnect time) are not included.",
        fr="Appels entrants du compte client dont la durée est de plus de 6 secondes; les "
           "appels sortants et l'activité sans appel (temps « Disconnect ») n'en font pas partie."),
    "automated": Text(
        en="Inbound calls handled entirely by the voice system, with no agent, including calls "
           "connected to an agent for less than 10 seconds (caller hangs up...). Percentage of "
           "total inbound calls.",
        fr="Appels entrants entièrement gérés par le système de traitement de la voix, sans "
           "agent, y compris les appels connectés à un agent moins de 10 secondes (appelant qui "
           "raccroche...). Pourcentage du total des appels entrants."),
    "agent_calls": Text(
        en="Total inbound calls minus automated calls: calls where a real conversation with an "
           "agent took place. Percentage of total inbound calls.",
        fr="Différence entre le total des appels entrants et les appels automatisés : appels où "
           "une conversation véritable avec un agent a eu lieu. Pourcentage du total des appels "
           "entrants."),
    "abandoned": Text(
        en="Agent calls that could not be assigned to an agent because the caller hung up. "
           "Percentage of agent calls.",
        fr="Appels agents n'ayant pu être attribués à un agent suite à une fin de la "
           "communication par l'appelant. Pourcentage des appels agents."),
    "assigned": Text(
        en="Agent calls minus calls abandoned by the system. Percentage of total inbound calls.",
        fr="Différence entre les « appels agents » et les « appels abandonnés par le système ». "
           "Pourcentage du total des appels entrants."),
    "unanswered": Text(
        en="Calls assigned to an agent but not answered: the caller hung up before being "
           "connected to the agent. Percentage of assigned calls.",
        fr="Appels attribués à un agent mais n'ayant pas été répondus : l'appelant raccroche "
           "avant d'être mis en relation avec un agent. Pourcentage des appels assignés."),
    "answered": Text(
        en="Calls assigned to an agent and answered: assigned calls minus unanswered calls. "
           "Percentage of total inbound calls.",
        fr="Appels assignés à un agent et répondus : différence entre les « appels assignés à "
           "un agent » et les « appels sans réponse ». Pourcentage du total des appels entrants."),
    "assigned_answered": Text(
        en="Calls answered by an agent, as a percentage of the calls assigned to an agent.",
        fr="Appels répondus par un agent, en pourcentage des appels assignés à un agent."),
    "average_work_time": Text(
        en="Average time (seconds) an agent spent on the account per answered call: talk time "
           "of answered inbound calls and of outbound calls, plus disconnect / wrap-up time, "
           "divided by the answered calls.",
        fr="Durée moyenne (en secondes) passée par un agent sur votre compte par appel répondu : "
           "temps de conversation des appels entrants répondus et des appels sortants, plus le "
           "temps « disconnect » / « wrap time », divisé par les appels répondus."),
    "on_hold": Text(
        en="Inbound calls where the agent put the caller on hold for more than 10 seconds. "
           "Percentage of total inbound calls.",
        fr="Appels entrants où l'appelant est mis en attente pendant plus de 10 secondes par "
           "l'agent. Pourcentage du total des appels entrants."),
    "average_hold_time": Text(
        en="Average total hold time (seconds) of the calls on hold.",
        fr="Moyenne de la durée totale (en secondes) de mise en attente des appels en attente."),
    "average_answer_wait": Text(
        en="Average wait (seconds) before an agent answers, over answered calls.",
        fr="Moyenne de la durée d'attente (en secondes) avant qu'un appelant soit répondu par un "
           "agent, sur les appels répondus."),
    "answered_within_30s": Text(
        en="Answered calls answered within 30 seconds or less. Percentage of answered calls.",
        fr="Appels répondus dans un délai de 30 secondes ou moins. Pourcentage des appels "
           "répondus."),
    "transfers": Text(
        en="Inbound calls (of the total inbound calls: longer than 6 seconds) during which the "
           "caller was transferred to another number or an extension; outbound calls are not "
           "counted.",
        fr="Nombre d'appels entrants (du total des appels entrants : plus de 6 secondes) lors "
           "desquels un appelant est transféré vers un autre numéro ou sur un poste; les appels "
           "sortants n'en font pas partie."),
    "average_transfer_time": Text(
        en="Average time (minutes) a transfer took, over the transfers of the transferred "
           "inbound calls (of the total inbound calls).",
        fr="Moyenne de la durée (en minutes) requise pour effectuer un transfert, sur les "
           "transferts des appels entrants transférés (du total des appels entrants)."),
    "busy": Text(
        en="Inbound calls where the caller heard a busy signal, whatever their duration.",
        fr="Appels entrants où l'appelant a entendu un signal occupé, quelle que soit leur durée."),
}


# How a figure is rounded for people (the seed's report: "8.2%", "111" seconds of work time,
# "31.0" seconds of wait): percentages to a tenth, averages as below, counts are whole.
PERCENT_DECIMALS = 1
AVERAGE_DECIMALS = {"average_work_time": 0, "average_hold_time": 0, "average_answer_wait": 1,
                    "average_transfer_time": 1}

_COUNT_AND_PERCENT = Text(en="Value: a number of calls; percent: 0-100, rounded to a tenth.",
                          fr="Valeur : un nombre d'appels; pourcentage : de 0 à 100, arrondi au "
                             "dixième.")
_COUNT = Text(en="Value: a number of calls.", fr="Valeur : un nombre d'appels.")
UNITS = {
    "average_work_time": Text(en="Value: seconds, rounded to the second.",
                              fr="Valeur : en secondes, arrondie à la seconde."),
    "average_hold_time": Text(en="Value: seconds, rounded to the second.",
                              fr="Valeur : en secondes, arrondie à la seconde."),
    "average_answer_wait": Text(en="Value: seconds, rounded to a tenth of a second.",
                                fr="Valeur : en secondes, arrondie au dixième de seconde."),
    "average_transfer_time": Text(en="Value: minutes, rounded to a tenth of a minute.",
                                  fr="Valeur : en minutes, arrondie au dixième de minute."),
    "transfers": _COUNT,
    "busy": _COUNT,
}


def rounded(figure: float | None, decimals: int) -> float | None:
    """``figure`` as a person reads it: half rounds up (31.05 s is 31.1 s), as on paper."""
    if figure is None:
        return None
    if float(figure).is_integer():  # counts, mostly: nothing to round
        return float(figure)
    step = Decimal(1).scaleb(-decimals)
    return float(Decimal(repr(figure)).quantize(step, rounding=ROUND_HALF_UP))


@dataclass(slots=True)
class Metric:
    """A metric's exact figures; ``value`` and ``percent`` round them as people read them
    (when asked: a dashboard's series asks for few of the sixteen)."""

    exact_value: float | None
    exact_percent: float | None
    name: str

    @property
    def value(self) -> float | None:
        return rounded(self.exact_value, AVERAGE_DECIMALS.get(self.name, 0))

    @property
    def percent(self) -> float | None:
        return rounded(self.exact_percent, PERCENT_DECIMALS)

    def definition(self, language: str) -> str:
        """The metric's definition, then its unit and rounding, in ``language``."""
        unit = UNITS.get(self.name, _COUNT_AND_PERCENT)
        return f"{DEFINITIONS[self.name].render(language)} {unit.render(language)}"


@dataclass
class CallFilter:
    """What the statistics (and the recorder's shared filters) keep. ``reseller_id`` None and
    ``account_ids`` None mean no restriction (a system admin); an empty ``account_ids`` keeps
    nothing."""

    reseller_id: int | None = None
    account_ids: list[int] | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    after_minute: int | None = None
    before_minute: int | None = None
    weekdays: list[int] = field(default_factory=list)  # 0 = Monday
    agent: str | None = None
    hold_longer_than: float | None = None
    answer_delay_longer_than: float | None = None
    include_account_groups: list[int] = field(default_factory=list)
    exclude_account_groups: list[int] = field(default_factory=list)
    include_distribution_groups: list[int] = field(default_factory=list)
    exclude_distribution_groups: list[int] = field(default_factory=list)


class Sql:
    """Builds one statement's WHERE clause with placeholders in the connection's style."""

    def __init__(self, dialect: str) -> None:
        self.dialect = dialect
        self.values: list[Any] = []

    def p(self, value: Any) -> str:
        if isinstance(value, dt.date) and self.dialect == "postgres":
            # A typed literal, not a parameter: asyncpg reuses a prepared statement, and after
            # its fifth run PostgreSQL plans it once for any range (a bitmap scan of every call
            # instead of a parallel scan of the period's: a 90-day series on 1,000,000 calls
            # took 730 ms instead of 220 ms). An isoformat() holds no quote.
            if isinstance(value, dt.datetime):
                moment = value if value.tzinfo else value.replace(tzinfo=dt.UTC)  # as asyncpg
                return f"TIMESTAMPTZ '{moment.isoformat(' ')}'"
            return f"DATE '{value.isoformat()}'"
        if isinstance(value, dt.date):
            # SQLite keeps dates and times as the text Tortoise writes (a space, not a "T").
            value = value.isoformat(" ") if isinstance(value, dt.datetime) else value.isoformat()
        self.values.append(value)
        return f"${len(self.values)}" if self.dialect == "postgres" else "?"

    def many(self, values: list[Any]) -> str:
        return ", ".join(self.p(v) for v in values)


# Every time zone's offset lies between UTC-12 and UTC+14: the calls of local days lie between
# these UTC moments, a range the (account_id, started_at) and (started_at) indexes can serve.
EARLIEST_OFFSET = dt.timedelta(hours=14)
LATEST_OFFSET = dt.timedelta(hours=12)


def earliest_utc(day: dt.date) -> dt.datetime:
    """No call of local ``day``, in any time zone, started before this UTC moment."""
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC) - EARLIEST_OFFSET


def after_utc(day: dt.date) -> dt.datetime:
    """Every call of local ``day``, in any time zone, started before this UTC moment."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC) + (
        LATEST_OFFSET)


def where(f: CallFilter, sql: Sql) -> str:
    """The WHERE clause of ``f`` (without the keyword): whose calls, which days and times,
    then the other filters, in that order (the placeholders are numbered in it)."""
    parts = [*_scope_where(f, sql), *_time_where(f, sql), *_call_where(f, sql)]
    return " AND ".join(parts) or "1 = 1"


def _scope_where(f: CallFilter, sql: Sql) -> list[str]:
    parts: list[str] = []
    if f.account_ids is not None:
        parts.append(f"account_id IN ({sql.many(f.account_ids)})" if f.account_ids else "1 = 0")
    if f.reseller_id is not None:
        parts.append(f"reseller_id = {sql.p(f.reseller_id)}")
    return parts


def _time_where(f: CallFilter, sql: Sql) -> list[str]:
    """Account-local days, times of day and weekdays (days also bound the UTC start, for the
    indexes)."""
    parts: list[str] = []
    if f.date_from is not None:
        parts.append(f"local_date >= {sql.p(f.date_from)}")
        parts.append(f"started_at >= {sql.p(earliest_utc(f.date_from))}")
    if f.date_to is not None:
        parts.append(f"local_date <= {sql.p(f.date_to)}")
        parts.append(f"started_at < {sql.p(after_utc(f.date_to))}")
    if f.after_minute is not None:
        parts.append(f"local_minute >= {sql.p(f.after_minute)}")
    if f.before_minute is not None:
        parts.append(f"local_minute <= {sql.p(f.before_minute)}")
    if f.weekdays:
        parts.append(f"local_weekday IN ({sql.many(f.weekdays)})")
    return parts


def _call_where(f: CallFilter, sql: Sql) -> list[str]:
    """The agent, hold and answer-delay thresholds, and the account and distribution groups."""
    parts: list[str] = []
    if f.agent:
        parts.append(f"agent = {sql.p(f.agent.strip().upper())}")
    if f.hold_longer_than is not None:
        parts.append(f"hold_max > {sql.p(float(f.hold_longer_than))}")
    if f.answer_delay_longer_than is not None:
        parts.append(f"(answered_at IS NOT NULL AND queued_at IS NOT NULL AND "
                     f"answered_at - queued_at > {sql.p(float(f.answer_delay_longer_than))})")
    for column, include, exclude in (
        ("account_group", f.include_account_groups, f.exclude_account_groups),
        ("distribution_group", f.include_distribution_groups, f.exclude_distribution_groups),
    ):
        if include:
            parts.append(f"{column} IN ({sql.many(include)})")
        if exclude:
            parts.append(f"({column} IS NULL OR {column} NOT IN ({sql.many(exclude)}))")
    return parts


def _ratio(numerator: float | None, denominator: float | None, scale: float = 1.0) -> float | None:
    if not denominator or numerator is None:
        return None  # an empty denominator: no figure, neither 0 nor an error
    return numerator / denominator * scale


def metrics(row: dict[str, Any]) -> dict[str, Metric]:
    """The sixteen metrics from one row of sums (``AGGREGATES``)."""
    n = {k: float(row.get(k) or 0) for k in AGGREGATES}
    total = n["total_inbound"]
    agent = total - n["automated"]
    assigned = agent - n["abandoned"]
    # Its own sum when the row has it (the same calls as assigned - unanswered: a series that
    # reads the answered calls without the unanswered ones sums one condition, not three).
    answered = n["answered"] if "answered" in row else assigned - n["unanswered"]
    values: dict[str, tuple[float | None, float | None]] = {
        "total_inbound": (total, _ratio(total, total, 100)),
        "automated": (n["automated"], _ratio(n["automated"], total, 100)),
        "agent_calls": (agent, _ratio(agent, total, 100)),
        "abandoned": (n["abandoned"], _ratio(n["abandoned"], agent, 100)),
        "assigned": (assigned, _ratio(assigned, total, 100)),
        "unanswered": (n["unanswered"], _ratio(n["unanswered"], assigned, 100)),
        "answered": (answered, _ratio(answered, total, 100)),
        "assigned_answered": (answered, _ratio(answered, assigned, 100)),
        "average_work_time": (_ratio(n["work_seconds"], answered), None),
        "on_hold": (n["on_hold"], _ratio(n["on_hold"], total, 100)),
        "average_hold_time": (_ratio(n["hold_seconds"], n["on_hold"]), None),
        "average_answer_wait": (_ratio(n["answer_wait_seconds"], answered), None),
        "answered_within_30s": (n["answered_within_30s"],
                                _ratio(n["answered_within_30s"], answered, 100)),
        "transfers": (n["transfers"], None),
        "average_transfer_time": (_ratio(n["transfer_seconds"], n["transfer_count"], 1 / 60),
                                  None),
        "busy": (n["busy"], None),
    }
    return {name: Metric(value, percent, name) for name, (value, percent) in values.items()}


_ANSWERED_FROM = {"answered", "total_inbound"}
# The sums each metric is worked out from (see ``metrics``).
NEEDS: dict[str, set[str]] = {
    "total_inbound": {"total_inbound"},
    "automated": {"automated", "total_inbound"},
    "agent_calls": {"total_inbound", "automated"},
    "abandoned": {"abandoned", "total_inbound", "automated"},
    "assigned": {"total_inbound", "automated", "abandoned"},
    "unanswered": {"unanswered", "total_inbound", "automated", "abandoned"},
    "answered": _ANSWERED_FROM,
    "assigned_answered": {*_ANSWERED_FROM, "automated", "abandoned"},
    "average_work_time": {"work_seconds", *_ANSWERED_FROM},
    "on_hold": {"on_hold", "total_inbound"},
    "average_hold_time": {"hold_seconds", "on_hold"},
    "average_answer_wait": {"answer_wait_seconds", *_ANSWERED_FROM},
    "answered_within_30s": {"answered_within_30s", *_ANSWERED_FROM},
    "transfers": {"transfers"},
    "average_transfer_time": {"transfer_seconds", "transfer_count"},
    "busy": {"busy"},
}


def sums_for(metric_names: set[str] | None) -> list[str]:
    """The sums ``metric_names`` need (every sum for None), in ``AGGREGATES``' order."""
    if metric_names is None:
        return list(AGGREGATES)
    wanted = {"calls"}.union(*(NEEDS[name] for name in metric_names))
    return [name for name in AGGREGATES if name in wanted]


def select(names: list[str] | None = None) -> str:
    """The SELECT list of the sums ``names`` (default: all of them)."""
    return ", ".join(f"{AGGREGATES[name]} AS {name}" for name in names or AGGREGATES)


def statement(f: CallFilter, dialect: str) -> tuple[str, list[Any]]:
    sql = Sql(dialect)
    return f"SELECT {select()} FROM {TABLE} WHERE {where(f, sql)}", sql.values


def connection() -> Any:
    return connections.get("default")


async def statistics(f: CallFilter) -> dict[str, Metric]:
    """The sixteen metrics over the calls ``f`` keeps: one query."""
    conn = connection()
    query, values = statement(f, conn.capabilities.dialect)
    rows = await conn.execute_query_dict(query, values)
    return metrics(rows[0] if rows else {})
