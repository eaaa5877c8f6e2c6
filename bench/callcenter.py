"""Call-center reports: the statistics of one account over one month, and the recorder's first
page, against the equivalent hand-written SQL run on the same database; and import speed.

    .venv/bin/python -m bench.callcenter [--calls 100000] [--accounts 200] [--repeat 5]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench .venv/bin/python -m bench.callcenter

The data set is generated (never committed) into a fresh SQLite file under a temporary folder,
or into DATABASE_URL's PostgreSQL database (its callcenter tables are emptied first). The issue's
target: 1,000,000 calls over 200 accounts, each report within 5x of the hand-written query.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import statistics as pystats
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from tortoise import connections

from gateway import db
from gateway.identity.codes import new_can
from gateway.identity.models import Account, AccountKind, Reseller
from gateway.plugins import PluginHost
from gateway.settings import Settings
from plugins.callcenter import demo, services
from plugins.callcenter import statistics as stats
from plugins.callcenter.importer import Importer, read_records

HAND_STATISTICS = """
SELECT
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
  SUM(CASE WHEN transfer_count > 0 THEN 1 ELSE 0 END), SUM(transfer_count),
  SUM(transfer_total),
  SUM(CASE WHEN direction = 'inbound' AND busy THEN 1 ELSE 0 END)
FROM callcenter_call
WHERE account_id = {account} AND local_date >= '{start}' AND local_date <= '{end}'
"""
HAND_RECORDER = ("SELECT id, call_id, account_id, account_name, started_at, caller_id, "
                 "caller_name, agent, station, duration, quality, recording FROM callcenter_call "
                 "WHERE account_id = {account} AND started_at >= '{since}' "
                 "ORDER BY started_at DESC, id DESC LIMIT 21")
HAND_RECORDER_TOTAL = ("SELECT COUNT(*), SUM(duration) FROM callcenter_call "
                       "WHERE account_id = {account} AND started_at >= '{since}'")


def generate(path: Path, calls: int, accounts: list[int], days: int, rng: random.Random) -> None:
    """JSON lines of plausible calls over the last ``days`` days (the demo's generator)."""
    with path.open("w") as out:
        for record in demo.calls(accounts, calls, days, rng, prefix="B"):
            out.write(json.dumps(record) + "\n")


async def timed(fn: Callable[[], Awaitable[Any]], repeat: int) -> float:
    await fn()  # warm the caches, as a server would be
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        await fn()
        samples.append(time.perf_counter() - start)
    return pystats.median(samples)


async def run(args: argparse.Namespace) -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench-callcenter-"))
    url = os.environ.get("DATABASE_URL") or f"sqlite://{folder / 'bench.sqlite3'}"
    settings = Settings(env="test", database_url=url, broker_url="memory://",
                        secret_key="bench", var_dir=folder, load_plugins=(),
                        plugins_file=Path(__file__).resolve().parents[1] / "plugins.toml")
    host = PluginHost(settings)
    await db.migrate(host)
    await db.init_db(host)
    try:
        conn = connections.get("default")
        await conn.execute_script(
            "DELETE FROM callcenter_call; DELETE FROM callcenter_taken_message")
        reseller = await Reseller.create(name="Bench", can=new_can())
        accounts = [(await Account.create(reseller=reseller, kind=AccountKind.COMPANY,
                                          name=f"Bench {i}", can=new_can())).id
                    for i in range(args.accounts)]
        rng = random.Random(7)
        path = folder / "calls.jsonl"
        generate(path, args.calls, accounts, args.days, rng)
        start = time.perf_counter()
        with path.open() as handle:
            report = await Importer().run(read_records(handle, "jsonl"))
        elapsed = time.perf_counter() - start
        print(f"database: {conn.capabilities.dialect}; {report.calls} calls over "
              f"{args.accounts} accounts, {args.days} days")
        print(f"import: {report.calls / elapsed:,.0f} lines/s ({elapsed:.1f} s)")
        account = accounts[0]
        zone = services.zone_of("America/Toronto")
        end = services.today(zone)
        begin = end - dt.timedelta(days=30)
        scope = services.Scope(None, [account], zone)  # as scope_for gives it
        month = services.call_filter(scope, date_from=begin, date_to=end)

        async def ours_statistics() -> Any:
            return await stats.statistics(month)

        async def hand_statistics() -> Any:
            return await conn.execute_query(HAND_STATISTICS.format(
                account=account, start=begin.isoformat(), end=end.isoformat()))

        since = dt.datetime.now(dt.UTC) - dt.timedelta(hours=12)
        query = services.RecorderQuery(scope=scope, preset="LAST_12_HOURS")

        async def ours_recorder() -> Any:
            return await services.recorder_page(query, 0, 20)

        literal = since.isoformat(sep=" ") if conn.capabilities.dialect == "postgres" else (
            since.isoformat())

        async def hand_recorder() -> Any:
            await conn.execute_query(HAND_RECORDER.format(account=account, since=literal))
            return await conn.execute_query(HAND_RECORDER_TOTAL.format(account=account,
                                                                       since=literal))

        for name, ours, hand in (("statistics, 1 account, 1 month", ours_statistics,
                                  hand_statistics),
                                 ("recorder, first page (12 h)", ours_recorder, hand_recorder)):
            a = await timed(ours, args.repeat)
            b = await timed(hand, args.repeat)
            print(f"{name}: ours {a * 1000:.2f} ms, hand-written SQL {b * 1000:.2f} ms "
                  f"({a / b:.2f}x)")
    finally:
        await db.close_db()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--accounts", type=int, default=200)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=5)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
