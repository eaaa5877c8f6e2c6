"""Scale-out: one `gateway serve` + one `gateway worker` against two of each, sharing one
PostgreSQL database and one Redis (broker and pub/sub), as the README's Scale-out section
deploys them.

First the processes must give the same answers: the accounts page is the same from both API
processes, a contact added through one is listed by the other, and an email queued through one
is delivered by whichever worker takes it, once. Then the signed-in accounts page (50
companies with their total, ``bench.accounts_page.QUERY``) is driven with wrk for the same time
against one process, then against two (half the connections each, at once); the ratio is the
throughput two processes give over one on this machine (on two cores the load generator and
PostgreSQL take their share too).

    .venv/bin/python -m bench.scale_out --database postgres [--quick] [--set accounts=N]

Needs PostgreSQL (``--database postgres``: the scale-out database) and Redis (``--redis-url``);
says so and measures nothing otherwise. Sizes: accounts (100,000; quick 2,000), seconds (5;
quick 2), connections (10; quick 4).
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx

from bench.api_overhead import Endpoint, Load, page_run, run_python_load, run_wrk
from bench.support import (
    BENCH_SECRET_KEY,
    ROOT,
    Options,
    Row,
    ServeProcess,
    child_env,
    gateway_command,
    main_for,
    note,
)

BENCHMARK = "Scale-out"
ADD_CONTACT = """mutation($input: AddContactInput!) { addContact(input: $input) {
  contact { id name } errors { code } } }"""
CONTACTS = """query($id: ID!) { contacts(accountId: $id, shared: true, first: 50) {
  totalCount nodes { name } } }"""
SEND = """mutation($input: SendAccountMessageInput!) { sendAccountMessage(input: $input) {
  messages { id } errors { code } } }"""
SUBJECT = "Scale-out check"


@asynccontextmanager
async def worker(settings: Any, folder: Path, plugins_file: Path, name: str,
                 **extra: str) -> AsyncIterator[subprocess.Popen[bytes]]:
    """`gateway worker` as an operator starts it, in a child process."""
    env = child_env(GATEWAY_ENV="production", SECRET_KEY=BENCH_SECRET_KEY,
                    DATABASE_URL=settings.database_url, GATEWAY_VAR_DIR=str(folder),
                    GATEWAY_PLUGINS_FILE=str(plugins_file), **extra)
    with (folder / f"{name}.log").open("wb") as log:
        process = subprocess.Popen([*gateway_command(), "worker", "--threads", "2"], cwd=ROOT,
                                   env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def _graphql(client: httpx.AsyncClient, token: str, query: str,
                   variables: dict[str, Any] | None = None) -> dict[str, Any]:
    answer = (await client.post("/graphql", json={"query": query, "variables": variables or {}},
                                headers={"Authorization": f"Bearer {token}"})).json()
    assert "errors" not in answer, answer
    return answer["data"]  # type: ignore[no-any-return]


async def same_answers(bases: list[str], token: str, admin: str, folder: Path) -> None:
    """Both API processes answer alike, a write through one is read through the other, and
    an email queued through one is delivered once by the workers."""
    from bench.accounts_page import QUERY

    async with httpx.AsyncClient(base_url=bases[0], timeout=60) as first, \
            httpx.AsyncClient(base_url=bases[1], timeout=60) as second:
        pages = [await _graphql(c, token, QUERY) for c in (first, second)]
        assert pages[0] == pages[1], "the two API processes list different pages"
        account = pages[0]["accounts"]["edges"][0]["node"]["id"]
        added = await _graphql(first, token, ADD_CONTACT, {"input": {
            "accountId": account, "shared": True, "name": "Scale-out check",
            "email": "scale-out@bench.example"}})
        assert added["addContact"]["errors"] == [], added
        listed = await _graphql(second, token, CONTACTS, {"id": account})
        assert "Scale-out check" in [n["name"] for n in listed["contacts"]["nodes"]], listed
        sent = await _graphql(second, token, SEND, {"input": {
            "accountIds": [account], "fromId": admin, "kind": "CUSTOM", "subject": SUBJECT,
            "body": "Sent through the second API process, delivered by a worker."}})
        assert sent["sendAccountMessage"]["errors"] == [], sent
    outbox = folder / "outbox"
    deadline = time.monotonic() + 60
    while not _delivered(outbox):
        if time.monotonic() > deadline:
            raise RuntimeError(f"the email queued through an API process was not delivered "
                               f"by a worker within 60 s (see {folder})")
        await asyncio.sleep(0.2)
    await asyncio.sleep(2)  # long enough for a second delivery to show, if there were one
    if _delivered(outbox) != 1:
        raise RuntimeError(f"the email was delivered {_delivered(outbox)} times")


def _delivered(outbox: Path) -> int:
    if not outbox.is_dir():
        return 0
    return sum(1 for path in outbox.glob("*.eml")
               if f"Subject: {SUBJECT}" in path.read_text(errors="replace"))


async def _drive(bases: list[str], token: str, connections: int, seconds: int,
                 folder: Path, wrk: bool) -> Load:
    """The accounts page driven against every base at once, ``connections`` in all; the
    loads' sum."""
    from bench.accounts_page import QUERY

    endpoint = Endpoint("page", "accounts page", "POST", "/graphql",
                        {"query": QUERY, "operationName": "Page"}, signed_in=True)
    share = max(1, connections // len(bases))

    def one(base: str) -> Load:
        if wrk:
            return run_wrk(base, endpoint, token, share, seconds, folder)
        return run_python_load(base, endpoint, token, share, seconds)

    loads = await asyncio.gather(*(asyncio.to_thread(one, base) for base in bases))
    total = sum(load.requests_per_second for load in loads)
    return Load(total, max(load.p50_ms for load in loads), max(load.p99_ms for load in loads),
                sum(load.errors for load in loads))


async def _admin_id(database_url: str) -> str:
    """The bench admin's global ID (the sender of the check's email)."""
    import asyncpg
    from strawberry.relay import to_base64

    conn = await asyncpg.connect(database_url.replace("postgres://", "postgresql://", 1))
    try:
        pk = await conn.fetchval("SELECT id FROM core_user WHERE login = $1",
                                 "bench-admin@bench.example")
    finally:
        await conn.close()
    return to_base64("User", pk)


def redis_answers(url: str) -> bool:
    from bench.jobs import redis_answers as answers

    return answers(url)


async def _run(options: Options) -> list[Row]:
    if options.database != "postgres":
        note("scale_out: needs PostgreSQL (--database postgres); nothing measured")
        return [Row(BENCHMARK, "two API processes and two workers against one of each",
                    "not run", "-", None, "needs --database postgres")]
    if not redis_answers(options.redis_url):
        note(f"scale_out: Redis does not answer at {options.redis_url}; nothing measured")
        return [Row(BENCHMARK, "two API processes and two workers against one of each",
                    "not run", "-", None, f"needs Redis at {options.redis_url}")]
    run_ = await page_run(options, "scale_out", quick_seconds=2)
    accounts, seconds, connections, folder = (run_.accounts, run_.seconds, run_.connections,
                                              run_.folder)
    settings, token, plugins_file = run_.settings, run_.token, run_.plugins_file
    admin = await _admin_id(settings.database_url)
    wrk = bool(shutil.which("wrk")) and options.size("load", "auto", "auto") != "python"
    shared = {"BROKER_URL": options.redis_url, "PUBSUB_URL": options.redis_url,
              "EMAIL_URL": f"file://{folder / 'outbox'}"}
    results: dict[int, Load] = {}
    for count in (1, 2):
        async with AsyncExitStack() as stack:
            servers = [await stack.enter_async_context(
                ServeProcess(settings, folder, plugins_file, **shared)) for _ in range(count)]
            for n in range(count):
                await stack.enter_async_context(
                    worker(settings, folder, plugins_file, f"worker-{count}-{n}", **shared))
            bases = [server.base for server in servers]
            if count == 2:
                await same_answers(bases, token, admin, folder)
            await _drive(bases, token, connections, max(1, seconds // 3), folder, wrk)  # warm
            results[count] = await _drive(bases, token, connections, seconds, folder, wrk)
            note(f"scale_out: {count} API process(es): {results[count].describe()}")
    failed = {count: load.errors for count, load in results.items() if load.errors}
    if failed:
        raise RuntimeError(f"requests failed under load: {failed}; see the logs in {folder}")
    one, two = results[1], results[2]
    generator = "wrk" if wrk else "Python load generator"
    where = (f"{accounts:,} accounts, postgres + Redis, {connections} connections, "
             f"{generator}")
    return [
        Row(BENCHMARK, "accounts page, 1 `gateway serve` + 1 worker", one.describe(),
            "(the baseline)", None, where),
        Row(BENCHMARK, "accounts page, 2 `gateway serve` + 2 workers (same answers checked)",
            two.describe(), f"one process {one.requests_per_second:,.0f} req/s",
            two.requests_per_second / one.requests_per_second,
            "2 CPUs shared with the load generator and PostgreSQL"),
    ]


def run(options: Options) -> list[Row]:
    return asyncio.run(_run(options))


if __name__ == "__main__":
    main_for("scale_out", run, __doc__ or "")
