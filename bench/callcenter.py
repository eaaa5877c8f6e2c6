"""Call-center reports: importing the platform's records, then the statistics of one account over
one month and the recorder's first page, each against the equivalent hand-written SQL run on the
same connection (and, through GraphQL, against a hand-written endpoint of the same app serving
the same answer) (issue 8: 1,000,000 calls over 200 accounts; each report within 5x of the
hand-written query; the import at 20,000 lines/s or more on PostgreSQL).

    .venv/bin/python -m bench.callcenter [--calls 1000000] [--accounts 200] [--repeat 30]
    .venv/bin/python -m bench.callcenter --database-url postgres://postgres@127.0.0.1:5432/bench

SQLite in a temporary folder by default, or ``--database-url`` / ``DATABASE_URL`` (a
PostgreSQL database whose call-center tables this EMPTIES: never the `test` database).

What is measured:
- generating the JSON-lines file (not a figure of the gateway: how long the data set took);
- the import: ``Importer`` over that file, as ``gateway callcenter import`` runs it (lines/s);
- each report twice: through the service (``statistics.statistics``, ``services.recorder_page``:
  our SQL building, one round trip, the metrics) and through GraphQL (an HTTP request to the
  app in-process: authentication, parsing, permissions, resolvers, JSON), each against the
  hand-written SQL of the same answer (the same WHERE a person knowing the indexes would
  write); the GraphQL rows against that SQL served as JSON by a hand-written endpoint of the
  same app through the same client (``hand_endpoints``: like with like, answers checked
  equal). Ours and the baseline alternate, so a neighbour's load weighs on both; the figure is
  the median, after a warm-up.

Another module calls :func:`run_benchmark` (rows of name, figure, baseline, ratio) or runs
``python -m bench.callcenter --json`` (the rows as JSON, the last line of stdout).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import re
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any, NamedTuple

from tortoise import connections

from bench.support import timed_pair
from plugins.callcenter.demo import AGENTS

BENCH_RESELLER = "Bench call center"
SECRET_KEY = "bench-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"


class Result(NamedTuple):
    """One row of the table: ``figure`` and ``baseline`` in the unit the name ends with;
    ``ratio`` is figure / baseline (None without a baseline)."""

    name: str
    figure: float
    baseline: float | None
    ratio: float | None


# ---- the data set ------------------------------------------------------------------------------

def write_calls(path: Path, calls: int, accounts: list[int], days: int, seed: int = 7,
                now: dt.datetime | None = None) -> None:
    """``calls`` JSON lines over the last ``days`` days, spread over ``accounts``: the demo's
    distribution (plugins/callcenter/demo.py), written with string formatting (json.dumps of
    a dict per line took a minute for a million)."""
    rng = random.Random(seed)
    rand = rng.random
    end = int((now or dt.datetime.now(dt.UTC)).timestamp())
    span = days * 86400
    durations = (3, 6, 7, 15, 40, 90, 180, 400)
    utc = dt.UTC
    moment = dt.datetime.fromtimestamp
    with path.open("w", encoding="utf-8") as out:
        chunk: list[str] = []
        for n in range(calls):
            duration = durations[int(rand() * 8)]
            queued = assigned = answered = "null"
            if rand() >= 0.1:
                q = round(rand() * min(duration, 20), 1)
                queued = str(q)
                if rand() >= 0.1:
                    a = round(q + rand() * 5, 1)
                    assigned = str(a)
                    if rand() >= 0.1:
                        answered = str(round(a + rand() * 40, 1))
            holds = f"[{round(rand() * 60, 1)}]" if rand() < 0.1 else "[]"
            transfers = f"[{round(10 + rand() * 110, 1)}]" if rand() < 0.05 else "[]"
            account = accounts[int(rand() * len(accounts))]
            chunk.append(
                f'{{"call_id": "B{n:08d}", "account_number": {account}, '
                f'"direction": "{"inbound" if rand() < 0.85 else "outbound"}", '
                f'"started_at": "{moment(end - int(rand() * span), utc).isoformat()}", '
                f'"duration": {duration}, "caller_id": "514555{int(rand() * 10000):04d}", '
                f'"caller_name": "", "agent": "{AGENTS[int(rand() * len(AGENTS))]}", '
                f'"station": "{1 + int(rand() * 199)}", "queued_at": {queued}, '
                f'"assigned_at": {assigned}, "answered_at": {answered}, '
                f'"agent_seconds": {round(rand() * duration, 1)}, '
                f'"wrap_seconds": {round(rand() * 30, 1)}, "holds": {holds}, '
                f'"transfers": {transfers}, "busy": {"true" if rand() < 0.01 else "false"}, '
                f'"quality": {int(rand() * 101)}, "account_group": {int(rand() * 4)}, '
                f'"distribution_group": {int(rand() * 3)}}}\n')
            if len(chunk) == 10_000:
                out.write("".join(chunk))
                chunk = []
        out.write("".join(chunk))


async def _empty_call_tables() -> None:
    conn = connections.get("default")
    if conn.capabilities.dialect == "postgres":
        await conn.execute_script("TRUNCATE callcenter_call, callcenter_taken_message, "
                                  "callcenter_localised_account")
    else:
        await conn.execute_script("DELETE FROM callcenter_call; DELETE FROM "
                                  "callcenter_taken_message; DELETE FROM "
                                  "callcenter_localised_account")


async def _bench_accounts(count: int) -> tuple[int, list[int]]:
    """The bench reseller and ``count`` of its company accounts (made once, kept across runs
    on a PostgreSQL bench database)."""
    from gateway.identity.codes import new_can
    from gateway.identity.models import Account, AccountKind, Reseller

    reseller = await Reseller.filter(name=BENCH_RESELLER).first()
    if reseller is None:
        reseller = await Reseller.create(name=BENCH_RESELLER, can=new_can())
    ids = list(await Account.filter(reseller_id=reseller.id).order_by("id").limit(count)
               .values_list("id", flat=True))
    for i in range(len(ids), count):
        account = await Account.create(reseller=reseller, kind=AccountKind.COMPANY,
                                       name=f"Bench {i}", can=new_can(),
                                       time_zone="America/Toronto")
        ids.append(account.id)
    return reseller.id, ids


async def _token(reseller_id: int) -> str:
    from gateway.identity.models import User, UserRole
    from gateway.identity.secrets import hash_secret
    from gateway.identity.sessions import open_session

    login = "callcenter-admin@bench.example"
    user = await User.filter(login=login).first()
    if user is None:
        user = await User.create(role=UserRole.RESELLER_ADMIN, reseller_id=reseller_id,
                                 login=login, email=login,
                                 password_hash=hash_secret("Bench-pass1"))
    _, token = await open_session(user)
    return token


# ---- the hand-written queries ----------------------------------------------------------------

HAND_STATISTICS = """
SELECT COUNT(*),
  SUM(CASE WHEN direction = 'inbound' AND duration > 6 THEN 1 ELSE 0 END),
  SUM(CASE WHEN direction = 'inbound' AND duration > 6
           AND (queued_at IS NULL OR duration - queued_at < 10) THEN 1 ELSE 0 END),
  SUM(CASE WHEN direction = 'inbound' AND duration > 6 AND duration - queued_at >= 10
           AND assigned_at IS NULL THEN 1 ELSE 0 END),
  SUM(CASE WHEN direction = 'inbound' AND duration > 6 AND duration - queued_at >= 10
           AND assigned_at IS NOT NULL AND answered_at IS NULL THEN 1 ELSE 0 END),
  SUM(CASE WHEN direction = 'inbound' AND duration > 6 AND duration - queued_at >= 10
           AND assigned_at IS NOT NULL AND answered_at IS NOT NULL THEN 1 ELSE 0 END),
  SUM(CASE WHEN (direction = 'inbound' AND duration > 6 AND duration - queued_at >= 10
           AND assigned_at IS NOT NULL AND answered_at IS NOT NULL) OR direction = 'outbound'
           THEN COALESCE(agent_seconds, 0) + COALESCE(wrap_seconds, 0) ELSE 0 END),
  SUM(CASE WHEN direction = 'inbound' AND duration > 6 AND hold_max > 10 THEN 1 ELSE 0 END),
  SUM(CASE WHEN direction = 'inbound' AND duration > 6 AND hold_max > 10 THEN hold_total
           ELSE 0 END),
  SUM(CASE WHEN direction = 'inbound' AND duration > 6 AND duration - queued_at >= 10
           AND answered_at IS NOT NULL AND assigned_at IS NOT NULL
           THEN answered_at - queued_at ELSE 0 END),
  SUM(CASE WHEN direction = 'inbound' AND duration > 6 AND duration - queued_at >= 10
           AND assigned_at IS NOT NULL AND answered_at - queued_at <= 30 THEN 1 ELSE 0 END),
  SUM(CASE WHEN direction = 'inbound' AND duration > 6 AND transfer_count > 0 THEN 1 ELSE 0
           END),
  SUM(CASE WHEN direction = 'inbound' AND duration > 6 AND transfer_count > 0
           THEN transfer_count ELSE 0 END),
  SUM(CASE WHEN direction = 'inbound' AND duration > 6 AND transfer_count > 0
           THEN transfer_total ELSE 0 END),
  SUM(CASE WHEN direction = 'inbound' AND busy THEN 1 ELSE 0 END)
FROM callcenter_call
WHERE account_id = {account} AND local_date >= '{start}' AND local_date <= '{end}'
  AND started_at >= '{earliest}' AND started_at < '{latest}'
"""
HAND_RECORDER = ("SELECT id, reseller_id, call_id, account_id, account_name, started_at, "
                 "caller_id, caller_name, agent, station, duration, quality, recording, "
                 "direction FROM callcenter_call WHERE account_id = {account} AND "
                 "started_at >= '{since}' ORDER BY started_at DESC, id DESC LIMIT 21")
HAND_RECORDER_TOTAL = ("SELECT COUNT(*), SUM(duration) FROM callcenter_call "
                       "WHERE account_id = {account} AND started_at >= '{since}'")

STATISTICS_QUERY = """query Stats($filter: CallStatisticsFilter!) {
  callStatistics(filter: $filter) {
  totalInbound { value percent } automated { value percent } agentCalls { value percent }
  abandoned { value percent } assigned { value percent } unanswered { value percent }
  answered { value percent } assignedAnswered { value percent } averageWorkTime { value }
  onHold { value percent } averageHoldTime { value } averageAnswerWait { value }
  answeredWithin30s { value percent } transfers { value } averageTransferTime { value }
  busy { value } } }"""
RECORDER_QUERY = """query Recorder($filter: CallRecorderFilter) {
  callRecorder(filter: $filter, first: 20) { totalCount totalDurationMinutes
    nodes { callNumber startedAt accountNumber accountName callerId callerName agent station
            durationMinutes quality recordingUrl } } }"""


# The metrics of the statistics report from HAND_STATISTICS's sums: (name, value, base of its
# percentage) as the seed defines them; None: no percentage.
def _statistics_body(row: Any) -> dict[str, Any]:
    from plugins.callcenter.statistics import rounded  # half up, as people read figures

    (_, total, automated, abandoned, unanswered, answered, work, on_hold, hold, wait, within,
     transferred, transfers, transfer_seconds, busy) = (float(v or 0) for v in row)
    agent = total - automated
    assigned = agent - abandoned

    def ratio(a: float, b: float, scale: float = 1.0) -> float | None:
        return a / b * scale if b else None

    def metric(value: float | None, base: float | None = None, *, percent: bool = True,
               decimals: int = 0) -> dict[str, Any]:
        body: dict[str, Any] = {"value": rounded(value, decimals)}
        if percent:
            body["percent"] = rounded(ratio(value or 0, base or 0, 100), 1)
        return body

    return {
        "totalInbound": metric(total, total), "automated": metric(automated, total),
        "agentCalls": metric(agent, total), "abandoned": metric(abandoned, agent),
        "assigned": metric(assigned, total), "unanswered": metric(unanswered, assigned),
        "answered": metric(answered, total), "assignedAnswered": metric(answered, assigned),
        "averageWorkTime": metric(ratio(work, answered), percent=False),
        "onHold": metric(on_hold, total),
        "averageHoldTime": metric(ratio(hold, on_hold), percent=False),
        "averageAnswerWait": metric(ratio(wait, answered), percent=False, decimals=1),
        "answeredWithin30s": metric(within, answered),
        "transfers": metric(transferred, percent=False),
        "averageTransferTime": metric(ratio(transfer_seconds, transfers, 1 / 60),
                                      percent=False, decimals=1),
        "busy": metric(busy, percent=False),
    }


def hand_endpoints(statistics_sql: Any, page_sql: Any, total_sql: Any, host: Any,
                   zone: Any) -> list[Any]:
    """``GET /bench/statistics`` and ``GET /bench/recorder``: the GraphQL rows' answers by the
    hand-written SQL into JSON, as an endpoint of the same app (bench only)."""
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    from plugins.callcenter import exports

    def moment(value: Any) -> dt.datetime:
        parsed = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
        return parsed.replace(tzinfo=parsed.tzinfo or dt.UTC)

    async def statistics_endpoint(request: Request) -> Response:
        row = (await statistics_sql())[1][0]
        return Response(json.dumps(_statistics_body(row)), media_type="application/json")

    async def recorder_endpoint(request: Request) -> Response:
        rows = (await page_sql())[1][:20]
        count, seconds = (await total_sql())[1][0]
        nodes = [{
            "callNumber": r["call_id"],
            "startedAt": moment(r["started_at"]).astimezone(zone).isoformat(),
            "accountNumber": r["account_id"], "accountName": r["account_name"],
            "callerId": r["caller_id"], "callerName": r["caller_name"], "agent": r["agent"],
            "station": r["station"], "durationMinutes": round(float(r["duration"]) / 60, 1),
            "quality": r["quality"],
            "recordingUrl": exports.recording_url(host, r["id"], r["reseller_id"])
            if r["recording"] else None} for r in rows]
        body = {"totalCount": count, "totalDurationMinutes": round(float(seconds or 0) / 60, 1),
                "nodes": nodes}
        return Response(json.dumps(body), media_type="application/json")

    return [Route("/bench/statistics", statistics_endpoint),
            Route("/bench/recorder", recorder_endpoint)]


BULK_TABLE = "bench_bulk_call"


async def bulk_load_rate(conn: Any, dialect: str) -> float:
    """Rows/s of the database's own bulk load of the rows the import wrote, into an empty
    table of the same definition and indexes: PostgreSQL ``COPY``; SQLite one ``executemany``
    of a plain INSERT in one transaction (the rows read back first, not timed)."""
    from plugins.callcenter.models import Call

    table = Call._meta.db_table
    rows = (await conn.execute_query(f"SELECT * FROM {table} ORDER BY id"))[1]
    columns = [c for c in rows[0].keys() if c != "id"]
    records = [tuple(row[c] for c in columns) for row in rows]
    del rows
    if dialect == "postgres":
        await conn.execute_script(f"DROP TABLE IF EXISTS {BULK_TABLE}; CREATE TABLE "
                                  f"{BULK_TABLE} (LIKE {table} INCLUDING ALL)")
        async with conn.acquire_connection() as raw:
            start = time.perf_counter()
            await raw.copy_records_to_table(BULK_TABLE, records=records, columns=columns)
            elapsed = time.perf_counter() - start
    else:
        ddl = (await conn.execute_query(
            "SELECT sql FROM sqlite_master WHERE tbl_name = ? AND sql IS NOT NULL "
            "ORDER BY type DESC", [table]))[1]  # the table, then its indexes
        await conn.execute_script(f"DROP TABLE IF EXISTS {BULK_TABLE}")
        for (statement,) in ddl:
            statement = re.sub(rf'(?<![\w"]){table}(?![\w"])|"{table}"', BULK_TABLE, statement)
            await conn.execute_script(re.sub(r'INDEX (IF NOT EXISTS )?"?(\w+)"?',
                                             r'INDEX \1"bulk_\2"', statement))
        marks = ", ".join("?" for _ in columns)
        start = time.perf_counter()
        # Tortoise's SQLite execute_many: one executemany in one transaction.
        await conn.execute_many(
            f"INSERT INTO {BULK_TABLE} ({', '.join(columns)}) VALUES ({marks})", records)
        elapsed = time.perf_counter() - start
    await conn.execute_script(f"DROP TABLE {BULK_TABLE}")
    return len(records) / elapsed


def _literal(moment: dt.datetime) -> str:
    # What both databases compare with: SQLite keeps Tortoise's text (a space, not a "T").
    return moment.isoformat(sep=" ")


def _say(message: str) -> None:
    print(message, flush=True)


# ---- the run --------------------------------------------------------------------------------

async def benchmark(calls: int = 1_000_000, *, accounts: int = 200, days: int = 60,
                    repeat: int = 30, database_url: str | None = None,
                    graphql: bool = True) -> list[Result]:
    """Generate, import and time the reports; prints progress and one line per figure."""
    from gateway.app import create_app
    from gateway.settings import Settings

    folder = Path(tempfile.mkdtemp(prefix="bench-callcenter-"))
    url = database_url or os.environ.get("DATABASE_URL") or (
        f"sqlite://{folder / 'bench.sqlite3'}")
    if url.startswith("postgres") and url.rstrip("/").rsplit("/", 1)[-1] == "test":
        raise SystemExit("refusing to empty the `test` database: give a bench database")
    settings = Settings(env="test", database_url=url, broker_url="memory://",
                        secret_key=SECRET_KEY, var_dir=folder, public_url="http://bench",
                        email_url=f"file://{folder / 'outbox'}", load_plugins=(),
                        plugins_file=Path(__file__).resolve().parents[1] / "plugins.toml")
    app = create_app(settings, migrate_on_start=True, run_jobs=False)
    try:
        return await _measure(app, folder, calls, accounts, days, repeat, graphql)
    finally:
        shutil.rmtree(folder, ignore_errors=True)  # the SQLite file and the JSON lines


async def _graphql_checks(app: Any, client: Any, conn: Any, account: int, begin: dt.date,
                          end: dt.date, since: str, zone: Any, hand_statistics: Any,
                          ) -> list[tuple[str, Any, Any]]:
    """The reports through GraphQL, each with the hand-written endpoint of the same answer."""

    async def post(query: str, variables: dict[str, Any]) -> Any:
        answer = (await client.post("/graphql", json={"query": query,
                                                     "variables": variables})).json()
        assert "errors" not in answer, answer
        return answer

    async def graphql_statistics() -> Any:
        return await post(STATISTICS_QUERY, {"filter": {
            "accountNumber": account, "from": begin.isoformat(),
            "to": end.isoformat()}})

    async def graphql_recorder() -> Any:
        return await post(RECORDER_QUERY, {"filter": {
            "accountNumber": account, "preset": "LAST_12_HOURS"}})

    # Like with like: the same answers by hand-written endpoints of the same app, through the
    # same client (the hand-written SQL into JSON, no GraphQL).
    app.router.routes += hand_endpoints(
        hand_statistics,
        lambda: conn.execute_query(HAND_RECORDER.format(account=account, since=since)),
        lambda: conn.execute_query(HAND_RECORDER_TOTAL.format(account=account, since=since)),
        app.state.host, zone)

    async def endpoint_statistics() -> Any:
        return (await client.get("/bench/statistics")).json()

    async def endpoint_recorder() -> Any:
        return (await client.get("/bench/recorder")).json()

    checks = [("statistics, 1 account, 1 month, GraphQL", graphql_statistics,
               endpoint_statistics),
              ("recorder, first page (12 h), GraphQL", graphql_recorder, endpoint_recorder)]
    # The same answer both ways, or the comparison means nothing.
    mine = (await graphql_statistics())["data"]["callStatistics"]
    theirs = await endpoint_statistics()
    assert mine == theirs, (mine, theirs)
    page = (await graphql_recorder())["data"]["callRecorder"]
    hand_page = await endpoint_recorder()
    assert page["totalCount"] == hand_page["totalCount"], (page, hand_page)
    assert page["nodes"] == hand_page["nodes"], (page["nodes"][:1],
                                                 hand_page["nodes"][:1])
    return checks


async def _measure(app: Any, folder: Path, calls: int, accounts: int, days: int, repeat: int,
                   graphql: bool) -> list[Result]:
    import httpx

    from plugins.callcenter import services
    from plugins.callcenter import statistics as stats
    from plugins.callcenter.importer import Importer, read_records

    results: list[Result] = []
    async with app.router.lifespan_context(app):
        conn = connections.get("default")
        dialect = conn.capabilities.dialect
        await _empty_call_tables()
        reseller_id, account_ids = await _bench_accounts(accounts)
        path = folder / "calls.jsonl"
        start = time.perf_counter()
        write_calls(path, calls, account_ids, days)
        _say(f"database: {dialect}; generated {calls:,} calls over {accounts} accounts and "
             f"{days} days in {time.perf_counter() - start:.1f} s "
             f"({path.stat().st_size / 1e6:,.0f} MB of JSON lines)")
        start = time.perf_counter()
        cpu = time.process_time()
        with path.open(encoding="utf-8") as handle:
            report = await Importer().run(read_records(handle, "jsonl"))
        elapsed = time.perf_counter() - start
        cpu = time.process_time() - cpu
        assert report.calls == calls and not report.errors, report.errors[:3]
        path.unlink()
        _say(f"import: {report.calls / elapsed:,.0f} lines/s ({elapsed:.1f} s; this process "
             f"used {cpu:.1f} s of CPU)")
        bulk = await bulk_load_rate(conn, dialect)
        _say(f"the database's own bulk load of the same rows: {bulk:,.0f} rows/s "
             f"({report.calls / elapsed / bulk:.2f}x)")
        results.append(Result("import (lines/s)", report.calls / elapsed, bulk,
                              report.calls / elapsed / bulk))
        await conn.execute_script("ANALYZE")  # as autovacuum would have by then

        account = account_ids[0]
        zone = services.zone_of("America/Toronto")
        end = services.today(zone)
        begin = end - dt.timedelta(days=30)
        scope = services.Scope(None, [account], zone)  # what scope_for gives for one account
        month = services.call_filter(scope, date_from=begin, date_to=end)
        hand_statistics_sql = HAND_STATISTICS.format(
            account=account, start=begin.isoformat(), end=end.isoformat(),
            earliest=_literal(stats.earliest_utc(begin)),
            latest=_literal(stats.after_utc(end)))

        async def hand_statistics() -> Any:
            return await conn.execute_query(hand_statistics_sql)

        async def ours_statistics() -> Any:
            return await stats.statistics(month)

        now = dt.datetime.now(dt.UTC)
        recorder = services.RecorderQuery(scope=scope, preset="LAST_12_HOURS")
        since = _literal(now - dt.timedelta(hours=12))

        async def hand_recorder() -> Any:
            await conn.execute_query(HAND_RECORDER.format(account=account, since=since))
            return await conn.execute_query(HAND_RECORDER_TOTAL.format(account=account,
                                                                       since=since))

        async def ours_recorder() -> Any:
            return await services.recorder_page(recorder, 0, 20, now)

        checks = [("statistics, 1 account, 1 month", ours_statistics, hand_statistics),
                  ("recorder, first page (12 h)", ours_recorder, hand_recorder)]
        if graphql:
            token = await _token(reseller_id)
            client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                       base_url="http://bench",
                                       headers={"Authorization": f"Bearer {token}"})

            checks += await _graphql_checks(app, client, conn, account, begin, end, since,
                                            zone, hand_statistics)
        try:
            for name, ours, hand in checks:
                a, b = await timed_pair(ours, hand, repeat)
                against = "endpoint" if name.endswith("GraphQL") else "SQL"
                _say(f"{name}: ours {a * 1000:.2f} ms, hand-written {against} {b * 1000:.2f} "
                     f"ms ({a / b:.2f}x)")
                results.append(Result(f"{name} (ms)", a * 1000, b * 1000, a / b))
        finally:
            if graphql:
                await client.aclose()
    return results


def run_benchmark(calls: int = 1_000_000, *, accounts: int = 200, days: int = 60,
                  repeat: int = 30, database_url: str | None = None,
                  graphql: bool = True) -> list[Result]:
    """The whole benchmark on ``database_url`` (default: ``DATABASE_URL``, else a SQLite file
    in a temporary folder): rows of (name, figure, baseline, ratio)."""
    return asyncio.run(benchmark(calls, accounts=accounts, days=days, repeat=repeat,
                                 database_url=database_url, graphql=graphql))


def table(results: list[Result]) -> str:
    """The rows aligned for a terminal."""
    cells = [("", "figure", "hand-written", "ratio")] + [
        (r.name, f"{r.figure:,.0f}" if r.figure >= 1000 else f"{r.figure:.2f}",
         "-" if r.baseline is None else f"{r.baseline:.2f}",
         "-" if r.ratio is None else f"{r.ratio:.2f}x") for r in results]
    widths = [max(len(row[i]) for row in cells) for i in range(4)]
    return "\n".join("  ".join(cell.ljust(w) if i == 0 else cell.rjust(w)
                               for i, (cell, w) in enumerate(zip(row, widths, strict=True)))
                     for row in cells)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.callcenter",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--accounts", type=int, default=200)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--database-url", default=None,
                        help="default: DATABASE_URL, else SQLite in a temporary folder")
    parser.add_argument("--no-graphql", action="store_true",
                        help="only the service-level timings")
    parser.add_argument("--json", action="store_true",
                        help="also print the rows as JSON (the last line of stdout)")
    args = parser.parse_args(argv)
    results = run_benchmark(args.calls, accounts=args.accounts, days=args.days,
                            repeat=args.repeat, database_url=args.database_url,
                            graphql=not args.no_graphql)
    print()
    print(table(results))
    if args.json:
        print(json.dumps([r._asdict() for r in results]))


if __name__ == "__main__":
    main()
