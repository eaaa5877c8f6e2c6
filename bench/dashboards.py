"""Dashboards (issue 23): a 90-day daily statistics series over every account of a reseller
holding 1,000,000 calls, through GraphQL, against the hand-written SQL of the same answer
served by a hand-written HTTP endpoint in the same app (target: at least 0.7x its speed); and a
cached request (If-None-Match, answered 304 after reading the calls' change stamp) against
/healthz.

    .venv/bin/python -m bench.dashboards [--quick] [--database postgres]
        [--set calls=N] [--set repeat=N]

Sizes: calls (1,000,000; quick 50,000) over 200 accounts and 90 days; repeat (30; quick 10).
Both sides are requests to the same app in-process (httpx over ASGI: middleware, routing, JSON),
alternating, the median after a warm-up. GraphQL's side also authenticates the reseller
admin's session, checks permissions and builds every bucket's metrics; the hand-written
endpoint runs its one GROUP BY and fills the empty days, nothing else. Both answers must
agree on every day's inbound calls.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from bench.support import (
    Options,
    Row,
    analyze,
    fresh_database,
    main_for,
    note,
    settings_for,
    timed_pair,
)

BENCHMARK = "Dashboards"
DAYS = 90
ACCOUNTS = 200
SERIES = """query Dashboard($filter: CallStatisticsFilter!) {
  callStatisticsSeries(filter: $filter, interval: DAY) { start
    statistics { totalInbound { value } answered { value percent }
                 averageAnswerWait { value } } } }"""
INBOUND = "direction = 'inbound' AND duration > 6"
ANSWERED = (f"{INBOUND} AND queued_at IS NOT NULL AND duration - queued_at >= 10 "
            "AND assigned_at IS NOT NULL AND answered_at IS NOT NULL")
HAND_SERIES = f"""
SELECT local_date AS day,
  SUM(CASE WHEN {INBOUND} THEN 1 ELSE 0 END) AS inbound,
  SUM(CASE WHEN {ANSWERED} THEN 1 ELSE 0 END) AS answered,
  SUM(CASE WHEN {ANSWERED} THEN answered_at - queued_at ELSE 0 END) AS wait
FROM callcenter_call
WHERE reseller_id = {{reseller}} AND local_date >= '{{start}}' AND local_date <= '{{end}}'
  AND started_at >= '{{earliest}}' AND started_at < '{{latest}}'
GROUP BY local_date ORDER BY local_date
"""


def hand_endpoint(sql: str, start: dt.date, days: int) -> Any:
    """The baseline: one hand-written GROUP BY, the empty days filled, JSON."""
    from starlette.responses import JSONResponse
    from tortoise import connections

    async def endpoint(request: Any) -> Any:
        rows = await connections.get("default").execute_query_dict(sql)
        by_day = {str(r["day"])[:10]: r for r in rows}
        out = []
        for n in range(days):
            day = (start + dt.timedelta(days=n)).isoformat()
            r = by_day.get(day) or {}
            inbound, answered = int(r.get("inbound") or 0), int(r.get("answered") or 0)
            out.append({"start": f"{day}T00:00", "totalInbound": inbound,
                        "answered": answered,
                        "percent": round(answered * 100 / inbound, 1) if inbound else None,
                        "wait": round(float(r["wait"]) / answered, 1) if answered else None})
        return JSONResponse(out)

    return endpoint


async def _measure(options: Options, calls: int, repeat: int) -> list[Row]:
    import httpx

    from bench.callcenter import _bench_accounts, _literal, _token, write_calls
    from gateway.app import create_app
    from gateway.plugins import PluginHost
    from plugins.callcenter import statistics as stats
    from plugins.callcenter.importer import Importer, read_records

    folder = options.workdir / "dashboards"
    settings = settings_for(options.database_url("dashboards"), folder)
    host = PluginHost(settings)
    await fresh_database(host)
    app = create_app(settings, host, run_jobs=False, migrate_on_start=False)
    async with app.router.lifespan_context(app):
        reseller_id, account_ids = await _bench_accounts(ACCOUNTS)
        path = folder / "calls.jsonl"
        note(f"dashboards: {calls:,} calls over {ACCOUNTS} accounts and {DAYS} days...")
        write_calls(path, calls, account_ids, DAYS)
        with path.open(encoding="utf-8") as handle:
            report = await Importer().run(read_records(handle, "jsonl"))
        assert report.calls == calls and not report.errors, report.errors[:3]
        path.unlink()
        await analyze()
        token = await _token(reseller_id)
        end = dt.datetime.now(dt.UTC).date()
        start = end - dt.timedelta(days=DAYS - 1)
        sql = HAND_SERIES.format(reseller=reseller_id, start=start, end=end,
                                 earliest=_literal(stats.earliest_utc(start)),
                                 latest=_literal(stats.after_utc(end)))
        app.add_route("/bench/series", hand_endpoint(sql, start, DAYS), methods=["GET"])
        variables = {"filter": {"from": start.isoformat(), "to": end.isoformat()}}
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url=settings.public_url) as client:

            async def graphql() -> Any:
                response = await client.post("/graphql", headers=headers,
                                             json={"query": SERIES, "variables": variables})
                return response.json()

            async def hand() -> Any:
                return (await client.get("/bench/series")).json()

            ours_days = (await graphql())["data"]["callStatisticsSeries"]
            theirs = await hand()
            if [d["statistics"]["totalInbound"]["value"] for d in ours_days] != [
                    d["totalInbound"] for d in theirs]:
                raise RuntimeError("GraphQL's series and the hand-written one differ")
            series_ours, series_hand = await timed_pair(graphql, hand, repeat)

            first = await client.post("/graphql", headers=headers,
                                      json={"query": SERIES, "variables": variables})
            tag = first.headers["etag"]

            async def cached() -> Any:
                response = await client.post(
                    "/graphql", headers={**headers, "If-None-Match": tag},
                    json={"query": SERIES, "variables": variables})
                assert response.status_code == 304, response.status_code
                return response

            async def healthz() -> Any:
                return await client.get("/healthz")

            cached_ours, cached_hand = await timed_pair(cached, healthz, repeat)
    size = f"{calls:,} calls, {ACCOUNTS} accounts"
    return [
        Row(BENCHMARK, f"daily series, {DAYS} days, every account of a reseller ({size}), "
            "GraphQL", f"{series_ours * 1000:.1f} ms",
            f"{series_hand * 1000:.1f} ms (hand-written SQL + endpoint)",
            series_hand / series_ours, "ratio = speed against the baseline; target >= 0.7"),
        Row(BENCHMARK, "the same request again with If-None-Match (304, stamp only)",
            f"{cached_ours * 1000:.2f} ms", f"{cached_hand * 1000:.2f} ms (/healthz)",
            cached_hand / cached_ours, "ratio = speed against /healthz"),
    ]


def run(options: Options) -> list[Row]:
    calls = int(options.size("calls", 1_000_000, 50_000))
    repeat = int(options.size("repeat", 30, 10))
    return asyncio.run(_measure(options, calls, repeat))


def main(argv: list[str] | None = None) -> None:
    main_for("dashboards", run, __doc__ or BENCHMARK, argv)


if __name__ == "__main__":
    main()
