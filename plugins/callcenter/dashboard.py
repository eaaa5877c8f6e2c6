"""The dashboard page's figures for one statistics filter (the same ``CallFilter`` GraphQL's
``callStatistics`` builds, so the same rules): the period's metrics, calls by account-local
hour of day, the answer-time distribution, the abandon rate by day (``series``, as
``callStatisticsSeries`` answers it) and a per-agent table. Five aggregations, whatever the
period's length; the agents are capped."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from plugins.callcenter import series
from plugins.callcenter import statistics as stats

# Answer-time classes, in seconds: (0, 10], (10, 20], (20, 30], (30, 60], (60, 120], over 120.
# The first three add up to ``answeredWithin30s``; each is what ``answerDelayLongerThan``
# keeps at its lower edge minus what it keeps at its upper one.
ANSWER_EDGES = (10, 20, 30, 60, 120)
# At most this many agents in the table (the busiest first); ``more_agents`` says so.
MAX_AGENTS = 50
WAIT = "answered_at - queued_at"
HOUR_METRICS = {"total_inbound", "answered", "abandoned"}
AGENT_METRICS = {"total_inbound", "answered", "abandoned", "average_answer_wait",
                 "answered_within_30s", "average_work_time"}


@dataclass
class AnswerClass:
    low: int  # seconds, exclusive (0: from the first second)
    high: int | None  # seconds, inclusive; None: no upper bound
    calls: int


@dataclass
class Dashboard:
    totals: dict[str, stats.Metric]
    hours: list[dict[str, stats.Metric]]  # 24, hour of day 0..23 (account-local)
    answer_times: list[AnswerClass]
    days: list[series.Bucket]  # one per day of the period, empty days included
    agents: list[tuple[str, dict[str, stats.Metric]]]
    more_agents: bool


def _classes() -> list[tuple[int, int | None]]:
    lows = [0, *ANSWER_EDGES]
    highs: list[int | None] = [*ANSWER_EDGES, None]
    return list(zip(lows, highs, strict=True))


def _answer_select() -> str:
    parts = []
    for n, (low, high) in enumerate(_classes()):
        upper = f" AND {WAIT} <= {high}" if high is not None else ""
        parts.append(f"SUM(CASE WHEN {stats.ANSWERED} AND {WAIT} > {low}{upper} THEN 1 ELSE 0 "
                     f"END) AS c{n}")
    # A wait of exactly 0 s (answered at once) is in the first class too.
    parts[0] = parts[0].replace(f"{WAIT} > 0 AND ", f"{WAIT} >= 0 AND ")
    return ", ".join(parts)


async def _rows(f: stats.CallFilter, select: str, tail: str = "") -> list[dict[str, object]]:
    conn = stats.connection()
    sql = stats.Sql(conn.capabilities.dialect)
    query = f"SELECT {select} FROM {stats.TABLE} WHERE {stats.where(f, sql)}{tail}"
    rows: list[dict[str, object]] = await conn.execute_query_dict(query, sql.values)
    return rows


async def answer_times(f: stats.CallFilter) -> list[AnswerClass]:
    rows = await _rows(f, _answer_select())
    row = rows[0] if rows else {}
    return [AnswerClass(low, high, int(str(row.get(f"c{n}") or 0)))
            for n, (low, high) in enumerate(_classes())]


async def by_hour(f: stats.CallFilter) -> list[dict[str, stats.Metric]]:
    """The metrics of each account-local hour of day (integer division of the local minute,
    the same in SQLite and PostgreSQL)."""
    sums = stats.select(stats.sums_for(HOUR_METRICS))
    rows = await _rows(f, f"local_minute / 60 AS hour, {sums}", " GROUP BY local_minute / 60")
    found = {int(str(r["hour"])): r for r in rows}
    return [stats.metrics(dict(found.get(hour, {}))) for hour in range(24)]


async def by_agent(f: stats.CallFilter) -> tuple[list[tuple[str, dict[str, stats.Metric]]], bool]:
    """The busiest agents first (then by initials), at most ``MAX_AGENTS``."""
    rows = await _rows(
        f, f"agent, {stats.select(stats.sums_for(AGENT_METRICS))}",
        f" GROUP BY agent ORDER BY total_inbound DESC, agent LIMIT {MAX_AGENTS + 1}")
    agents = [(str(r["agent"] or ""), stats.metrics(dict(r))) for r in rows[:MAX_AGENTS]]
    return agents, len(rows) > MAX_AGENTS


async def dashboard(f: stats.CallFilter, zone: ZoneInfo) -> Dashboard:
    """Every figure of the page for ``f`` (its days set, at most ``MAX_SERIES_BUCKETS``)."""
    totals = await stats.statistics(f)
    agents, more = await by_agent(f)
    days = await series.series(f, "DAY", zone, metrics={"abandoned", "agent_calls"})
    return Dashboard(totals, await by_hour(f), await answer_times(f), days, agents, more)
