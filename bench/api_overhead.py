"""API overhead: requests/s and p50/p99 latency of a real `gateway serve` process (one uvicorn
process) under a load generator on loopback, for four endpoints of the same run:

- a raw Starlette JSON endpoint answering the accounts page's JSON from memory (the ceiling);
- the trivial GraphQL query ``{ __typename }``;
- the accounts page (50 companies: CAN, ORGID, users count, phone number, billing status)
  served by one hand-written SQL statement into JSON (the physical limit for that payload);
- the same page through GraphQL (``bench.accounts_page.QUERY``), signed in as the reseller;
- that page half-way down the list, after a keyset cursor (deep pages cost what the first does);
- a filtered page (name contains "alpha", in production: ``FILTERED_QUERY``), by hand-written
  SQL + JSON and through GraphQL.

It also counts the SQL statements each request sends, for a 5-row and a 50-row page: the
count must not grow with the page. The reference endpoints come from the bench-only plugin
(``bench/plugin.py``), loaded by a plugins file written for this run only.

The load generator is wrk when it is installed (``apt-get install wrk``), else
``bench.loadgen`` (Python, slower: the output says so).

    .venv/bin/python -m bench.api_overhead [--quick] [--database postgres] [--set accounts=N]

Sizes (``--set``): accounts (100,000; quick 2,000), seconds per endpoint (5; quick 1),
connections (10; quick 4); ``load=python`` uses the Python load generator even where wrk is.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench.support import (
    PYTHON,
    ROOT,
    Options,
    Row,
    ServeProcess,
    child_env,
    main_for,
    note,
    settings_for,
    write_plugins_file,
)

BENCHMARK = "API overhead"


@dataclass(frozen=True)
class Endpoint:
    key: str
    label: str
    method: str
    path: str
    body: dict[str, Any] | None = None
    signed_in: bool = False


def _endpoints(deep_cursor: str = "") -> list[Endpoint]:
    from bench.accounts_page import AFTER_QUERY, FILTERED_QUERY, QUERY

    return [
        Endpoint("raw", "raw Starlette JSON, the page from memory", "GET", "/bench/raw"),
        Endpoint("typename", "GraphQL { __typename }", "POST", "/graphql",
                 {"query": "{ __typename }"}),
        Endpoint("hand", "accounts page, hand-written SQL + JSON", "GET", "/bench/accounts"),
        Endpoint("page", "accounts page, GraphQL", "POST", "/graphql",
                 {"query": QUERY, "operationName": "Page"}, signed_in=True),
        Endpoint("deep", "accounts page half-way down the list (keyset cursor), GraphQL",
                 "POST", "/graphql",
                 {"query": AFTER_QUERY, "operationName": "Page",
                  "variables": {"after": deep_cursor}},
                 signed_in=True),
        Endpoint("hand_filtered", "filtered accounts page (name contains, billing status), "
                 "hand-written SQL + JSON", "GET", "/bench/accounts?filtered=1"),
        Endpoint("filtered", "filtered accounts page, GraphQL", "POST", "/graphql",
                 {"query": FILTERED_QUERY, "operationName": "Page"}, signed_in=True),
    ]


@dataclass
class Load:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int

    def describe(self) -> str:
        return (f"{self.requests_per_second:,.0f} req/s · p50 {self.p50_ms:.1f} ms · "
                f"p99 {self.p99_ms:.1f} ms")


# --- Load generators -------------------------------------------------------------------------

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not match:
        raise ValueError(f"wrk latency {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse_wrk(output: str) -> Load:
    """Requests/s, the 50th and 99th percentile latencies and the failures wrk reports."""
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", output, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", output, re.M).group(1))  # type: ignore[union-attr]
    errors = 0
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    if non_2xx:
        errors += int(non_2xx.group(1))
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                        output)
    if sockets:
        errors += sum(int(n) for n in sockets.groups())
    return Load(rps, p50, p99, errors)


def _headers(endpoint: Endpoint, token: str) -> dict[str, str]:
    headers = {}
    if endpoint.body is not None:
        headers["Content-Type"] = "application/json"
    if endpoint.signed_in:
        headers["Authorization"] = f"Bearer {token}"
    return headers


def run_wrk(base: str, endpoint: Endpoint, token: str, connections: int, seconds: int,
            folder: Path) -> Load:
    script = folder / f"{endpoint.key}.lua"
    lines = [f'wrk.method = "{endpoint.method}"']
    if endpoint.body is not None:
        lines.append(f"wrk.body = [==[{json.dumps(endpoint.body)}]==]")
    for key, value in _headers(endpoint, token).items():
        lines.append(f'wrk.headers["{key}"] = "{value}"')
    script.write_text("\n".join(lines) + "\n")
    done = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script),
         base + endpoint.path],
        capture_output=True, text=True, timeout=seconds + 60, check=True)
    return parse_wrk(done.stdout)


def run_python_load(base: str, endpoint: Endpoint, token: str, connections: int,
                    seconds: int) -> Load:
    args = [PYTHON, "-m", "bench.loadgen", base + endpoint.path, "--method", endpoint.method,
            "-c", str(connections), "-d", str(seconds)]
    if endpoint.body is not None:
        args += ["--body", json.dumps(endpoint.body)]
    for key, value in _headers(endpoint, token).items():
        args += ["-H", f"{key}: {value}"]
    done = subprocess.run(args, capture_output=True, text=True, cwd=ROOT, env=child_env(),
                          timeout=seconds + 60, check=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return Load(result["requests"] / result["seconds"], result["p50_ms"], result["p99_ms"],
                result["errors"])


# --- The data and the server -----------------------------------------------------------------

async def prepare(settings: Any, accounts: int) -> tuple[int, str]:
    """A fresh database with ``accounts`` companies of one reseller, and a session of its
    admin; returns the reseller's id and the session's bearer token."""
    from bench.accounts_page import generate
    from bench.support import analyze, fresh_database
    from gateway import db
    from gateway.identity.models import User, UserRole
    from gateway.identity.secrets import hash_secret
    from gateway.identity.sessions import open_session
    from gateway.plugins import PluginHost

    host = PluginHost(settings)
    await fresh_database(host)
    await db.init_db(host)
    try:
        reseller_id = await generate(accounts)
        await analyze()
        admin = await User.create(role=UserRole.RESELLER_ADMIN, reseller_id=reseller_id,
                                  login="bench-admin@bench.example",
                                  email="bench-admin@bench.example",
                                  password_hash=hash_secret("Bench-pass1"))
        _, token = await open_session(admin)
    finally:
        await db.close_db()
    return reseller_id, token


# --- The benchmark -----------------------------------------------------------------------------

async def check_answers(client: httpx.AsyncClient, token: str, accounts: int) -> str:
    """Every endpoint answers, and the GraphQL pages list what the hand-written ones do;
    returns the cursor of the row half-way down the list (for the deep page)."""
    from bench.accounts_page import AFTER_QUERY, FILTERED_QUERY, QUERY

    page = (await client.post("/graphql", json={"query": QUERY},
                              headers={"Authorization": f"Bearer {token}"})).json()
    assert "errors" not in page, page
    hand = (await client.get("/bench/accounts")).json()
    raw = (await client.get("/bench/raw")).json()
    typename = (await client.post("/graphql", json={"query": "{ __typename }"})).json()
    assert typename == {"data": {"__typename": "Query"}}, typename
    graph = page["data"]["accounts"]
    assert hand == raw
    assert hand["totalCount"] == graph["totalCount"]
    assert [n["name"] for n in hand["nodes"]] == [e["node"]["name"] for e in graph["edges"]]
    assert [n["userCount"] for n in hand["nodes"]] == [e["node"]["userCount"]
                                                       for e in graph["edges"]]
    filtered = (await client.post("/graphql", json={"query": FILTERED_QUERY},
                                  headers={"Authorization": f"Bearer {token}"})).json()
    assert "errors" not in filtered, filtered
    hand_filtered = (await client.get("/bench/accounts?filtered=1")).json()
    assert hand_filtered["totalCount"] == filtered["data"]["accounts"]["totalCount"]
    assert [n["name"] for n in hand_filtered["nodes"]] == [
        e["node"]["name"] for e in filtered["data"]["accounts"]["edges"]]
    # Half-way down: an offset cursor (read once), whose page gives keyset cursors.
    import base64

    middle = base64.urlsafe_b64encode(f"o:{accounts // 2 - 1}".encode()).decode()
    query = AFTER_QUERY
    start = (await client.post("/graphql", json={"query": query, "variables": {"after": middle}},
                               headers={"Authorization": f"Bearer {token}"})).json()
    edges = start["data"]["accounts"]["edges"]
    deep = (await client.post("/graphql", json={
        "query": query, "variables": {"after": edges[0]["cursor"]}},
        headers={"Authorization": f"Bearer {token}"})).json()
    assert [e["node"]["name"] for e in deep["data"]["accounts"]["edges"][:49]] == [
        e["node"]["name"] for e in edges[1:]]
    assert deep["data"]["accounts"]["totalCount"] == graph["totalCount"]
    return str(edges[0]["cursor"])


async def count_statements(client: httpx.AsyncClient, token: str) -> dict[str, list[int]]:
    """SQL statements of each request: GraphQL pages of 5 and 50 rows, the hand-written page."""
    from bench.accounts_page import QUERY

    await client.post("/bench/sql-count", json={"on": True})
    try:
        for i in range(5):
            for first in (5, 50):
                query = QUERY.replace("first: 50", f"first: {first}")
                response = await client.post(
                    "/graphql", json={"query": query},
                    headers={"Authorization": f"Bearer {token}",
                             "X-Request-ID": f"count-page{first}-{i}"})
                assert "errors" not in response.json()
            await client.get("/bench/accounts", headers={"X-Request-ID": f"count-hand-{i}"})
        counts = (await client.get("/bench/sql-count")).json()
    finally:
        await client.post("/bench/sql-count", json={"on": False})
    grouped: dict[str, list[int]] = {"page5": [], "page50": [], "hand": []}
    for request_id, count in counts.items():
        if request_id.startswith("count-"):
            grouped[request_id.split("-")[1]].append(count)
    return grouped


@dataclass(frozen=True)
class PageRun:
    """What a benchmark of the accounts page under load starts from: its sizes, a database of
    ``accounts`` companies, the admin's session and the plugins file with the bench plugin."""

    accounts: int
    seconds: int
    connections: int
    folder: Path
    settings: Any
    reseller_id: int
    token: str
    plugins_file: Path


async def page_run(options: Options, name: str, quick_seconds: int) -> PageRun:
    accounts = options.size("accounts", 100_000, 2_000)
    seconds = int(options.size("seconds", 5, quick_seconds))
    connections = int(options.size("connections", 10, 4))
    folder = options.workdir / name
    settings = settings_for(options.database_url(name), folder)
    note(f"{name}: generating {accounts:,} accounts on {options.database}")
    reseller_id, token = await prepare(settings, accounts)
    plugins_file = write_plugins_file(folder, bench_config={"reseller_id": reseller_id})
    return PageRun(accounts, seconds, connections, folder, settings, reseller_id, token,
                   plugins_file)


async def _run(options: Options) -> list[Row]:
    run_ = await page_run(options, "api_overhead", quick_seconds=1)
    accounts, seconds, connections, folder = (run_.accounts, run_.seconds, run_.connections,
                                              run_.folder)
    settings, token, plugins_file = run_.settings, run_.token, run_.plugins_file
    wrk = shutil.which("wrk") if options.size("load", "auto", "auto") != "python" else None
    generator = "wrk" if wrk else (
        "Python load generator" + ("" if shutil.which("wrk") else " (wrk not installed)"))
    note(f"api_overhead: load by {generator}, {connections} connections, {seconds}s each")
    loads: dict[str, Load] = {}
    async with ServeProcess(settings, folder, plugins_file) as server:
        async with httpx.AsyncClient(base_url=server.base, timeout=60) as client:
            deep_cursor = await check_answers(client, token, accounts)
            statements = await count_statements(client, token)
        for endpoint in _endpoints(deep_cursor):
            warm = max(1, seconds // 3)
            if wrk:
                run_wrk(server.base, endpoint, token, connections, warm, folder)
                loads[endpoint.key] = run_wrk(server.base, endpoint, token, connections,
                                              seconds, folder)
            else:
                run_python_load(server.base, endpoint, token, connections, warm)
                loads[endpoint.key] = run_python_load(server.base, endpoint, token,
                                                      connections, seconds)
            note(f"api_overhead: {endpoint.label}: {loads[endpoint.key].describe()}")
    failed = {k: v.errors for k, v in loads.items() if v.errors}
    if failed:
        raise RuntimeError(f"requests failed under load: {failed}; see {server.log}")
    return rows(loads, statements, accounts, generator, options.database)


def rows(loads: dict[str, Load], statements: dict[str, list[int]], accounts: int,
         generator: str, database: str) -> list[Row]:
    labels = {e.key: e.label for e in _endpoints()}
    ceiling, hand, page = loads["raw"], loads["hand"], loads["page"]

    def ratio(a: Load, b: Load) -> float:
        return a.requests_per_second / b.requests_per_second

    where = f"{accounts:,} accounts, {database}, {generator}"
    out = [
        Row(BENCHMARK, labels["raw"], ceiling.describe(), "(the ceiling)", None, where),
        Row(BENCHMARK, labels["typename"], loads["typename"].describe(),
            f"ceiling {ceiling.requests_per_second:,.0f} req/s",
            ratio(loads["typename"], ceiling)),
        Row(BENCHMARK, labels["hand"], hand.describe(),
            f"ceiling {ceiling.requests_per_second:,.0f} req/s", ratio(hand, ceiling)),
        Row(BENCHMARK, labels["page"], page.describe(),
            f"hand-written {hand.requests_per_second:,.0f} req/s", ratio(page, hand)),
        Row(BENCHMARK, "accounts page, GraphQL, against the ceiling", page.describe(),
            f"ceiling {ceiling.requests_per_second:,.0f} req/s", ratio(page, ceiling),
            "goal ≥ 0.25×"),
        Row(BENCHMARK, labels["deep"], loads["deep"].describe(),
            f"first page {page.requests_per_second:,.0f} req/s", ratio(loads["deep"], page),
            "goal ≈ 1×"),
        Row(BENCHMARK, labels["hand_filtered"], loads["hand_filtered"].describe(),
            f"ceiling {ceiling.requests_per_second:,.0f} req/s",
            ratio(loads["hand_filtered"], ceiling)),
        Row(BENCHMARK, labels["filtered"], loads["filtered"].describe(),
            f"hand-written {loads['hand_filtered'].requests_per_second:,.0f} req/s · ceiling "
            f"{ceiling.requests_per_second:,.0f} req/s", ratio(loads["filtered"], ceiling),
            "ratio to the ceiling; goal ≥ 0.1×"),
    ]
    page5, page50, by_hand = (sorted(set(statements[k])) for k in ("page5", "page50", "hand"))
    constant = len(page5) == 1 and page5 == page50
    figure = (f"{page50[0]} at 5 and at 50 rows" if constant
              else f"5 rows: {page5}, 50 rows: {page50} (NOT constant)")
    out.append(Row(BENCHMARK, "SQL statements per request, GraphQL accounts page", figure,
                   f"hand-written {'/'.join(map(str, by_hand))}", None,
                   "incl. the session check"))
    return out


def run(options: Options) -> list[Row]:
    return asyncio.run(_run(options))


if __name__ == "__main__":
    main_for("api_overhead", run, __doc__.splitlines()[0])
