"""The benchmarks' entry point still runs: its fastest path (the outbox's email benchmark on
tiny counts) end to end, as a person rerunning the README's command would. No figure is
asserted, only that the table comes out with the rows it promises."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT


def test_the_entry_point_prints_and_writes_its_table(tmp_path: Path) -> None:
    output = tmp_path / "last-run.md"
    brokers = "memory"
    redis_url = os.environ.get("TEST_BROKER_URL", "")
    if redis_url.startswith("redis://"):
        brokers += ",redis"  # on its own Redis namespace (env=test), beside the suites'
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    # SQLite whatever TEST_DATABASE_URL says: --database postgres empties its database.
    env.pop("DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--only", "jobs", "--set", "emails=10",
         "--set", f"brokers={brokers}", "--redis-url", redis_url or "redis://127.0.0.1:1/0",
         "--output", str(output)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    table = output.read_text()
    assert table.splitlines()[2] == "| benchmark | measure | figure | baseline | ratio |"
    assert "| Jobs | emails/s through the outbox, embedded broker (memory://)" in table
    if "redis" in brokers:
        assert "| Jobs | emails/s through the outbox, Redis broker" in table
    assert "FAILED" not in table and "skipped" not in table
    # The terminal gets the same rows.
    assert "emails/s through the outbox, embedded broker" in done.stdout


def test_an_unknown_benchmark_is_refused_with_the_names() -> None:
    done = subprocess.run([sys.executable, "-m", "bench", "--only", "nope"], cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "api_overhead" in done.stderr and "jobs" in done.stderr


def test_the_reports_benchmark_compares_like_with_like(tmp_path: Path) -> None:
    """Tiny sizes: the GraphQL reports against hand-written endpoints giving the same answers
    (the benchmark asserts them equal before timing), the import against the bulk load."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "bench.callcenter", "--calls", "3000", "--accounts", "3",
         "--days", "5", "--repeat", "2", "--json"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, (done.stdout[-2000:], done.stderr[-3000:])
    rows = {row["name"]: row for row in json.loads(done.stdout.strip().splitlines()[-1])}
    bulk = rows["import (lines/s)"]
    assert bulk["baseline"] > 0 and bulk["ratio"] == bulk["figure"] / bulk["baseline"]
    for name in ("statistics, 1 account, 1 month, GraphQL (ms)",
                 "recorder, first page (12 h), GraphQL (ms)"):
        assert rows[name]["baseline"] > 0 and rows[name]["figure"] > 0
    assert "hand-written endpoint" in done.stdout
