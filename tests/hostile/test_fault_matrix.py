"""The fault matrix (``bench/faults``, issue 24) at CI size: each fault injected into private
components (PostgreSQL, Redis, a RabbitMQ node, SMTP, `gateway serve` and `gateway worker`
processes, a small tmpfs for SQLite) while a steady load runs (contacts, settings, reads,
emails, call-center imports, chat messages, signed Twilio webhooks and their replays, billing
cycle closes), then the database and the SMTP server compared with what the clients were told.
One test per fault, so a failure names it.

It starts its own components and takes a few minutes: skipped unless ``GATEWAY_FAULTS=1``
(CI runs it as a stage of its own). A fault is skipped only when the machine lacks what it
needs (a binary, the right to mount a tmpfs), with that reason."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

from bench.faults.matrix import FAULTS, WRITES
from bench.support import ROOT, child_env

pytestmark = [
    pytest.mark.faults,
    pytest.mark.skipif(os.environ.get("GATEWAY_FAULTS") != "1",
                       reason="the fault matrix runs only with GATEWAY_FAULTS=1 (its CI stage)"),
]

MATRIX_TIMEOUT = 15 * 60


@pytest.fixture(scope="module")
def matrix(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """The quick matrix, run once as an operator runs it (``python -m bench.faults``)."""
    folder = tmp_path_factory.mktemp("faults")
    report = folder / "faults.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench.faults", "--quick", "--json", str(report),
         "--markdown", str(folder / "faults.md")],
        # Its components live in the system's temporary folder (pytest's is private to root:
        # PostgreSQL runs as its own user there).
        cwd=ROOT, env=child_env(), capture_output=True, text=True,
        timeout=MATRIX_TIMEOUT)
    print(done.stdout)
    assert report.exists(), f"no report (exit {done.returncode}):\n{done.stderr[-4000:]}"
    results = json.loads(report.read_text())["results"]
    return {r["fault"]: r for r in results}


@pytest.mark.parametrize("fault", [f.name for f in FAULTS])
def test_a_fault_under_load_loses_nothing_and_recovers(
        matrix: dict[str, dict[str, Any]], fault: str) -> None:
    result = matrix[fault]
    if result["skipped"]:
        pytest.skip(result["skipped"])
    assert result["failures"] == [], "\n".join(
        result["failures"] + result["samples"] + result["notes"])
    # The load really ran through the fault and wrote: an idle matrix proves nothing.
    assert result["requests"] > 0 and result["writes_acked"] > 0, result
    assert result["writes_found"] == result["writes_acked"]
    assert result["bad"] == 0 and result["duplicates"] == 0
    assert result["emails_queued"] > 0, "the load queued no email"
    # Every area's acknowledged writes found (imports, chat, webhooks as much as contacts).
    for area in WRITES:
        acked, found = result["areas"][area]
        assert found == acked, f"{area}: {acked} acknowledged, {found} found"


def test_every_area_of_the_load_was_acknowledged_through_the_faults(
        matrix: dict[str, dict[str, Any]]) -> None:
    """A short row may see no chat message or billing close acknowledged (one every few
    seconds); over the matrix, each area must have been written and found."""
    ran = [r for r in matrix.values() if not r["skipped"]]
    if not ran:
        pytest.skip("no fault ran")
    for area in WRITES:
        assert sum(r["areas"][area][0] for r in ran) > 0, f"no {area} write acknowledged"
    assert sum(r["closes_acked"] for r in ran) > 0, "no billing cycle close acknowledged"
    assert sum(r["closes_done"] for r in ran) > 0, "no billing cycle closed"


def test_the_matrix_lists_every_fault_of_the_issue() -> None:
    names = {f.name for f in FAULTS}
    assert {"postgres-restart", "postgres-connections-killed", "redis-restart",
            "rabbitmq-restart", "smtp-down", "worker-killed", "serve-killed",
            "one-of-two-api-killed", "disk-full", "clock-jump"} <= names
    # The README's reliability section describes each of them.
    section = (ROOT / "README.md").read_text().split("### Reliability: the fault matrix")[1]
    assert all(f"`{name}`" in section for name in names)
