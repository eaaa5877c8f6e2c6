"""Issue 23, persisted queries: Apollo's automatic persisted queries by SHA-256 (POST and GET),
stored in the database so that every process shares them, the allowlist mode fed by
``gateway persisted-queries add``, the limits, and the usual checks still running."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from tortoise import connections

from gateway.persisted_queries import TABLE, sha256
from tests.conftest import Gateway
from tests.gateway.test_http_errors import ADMIN, ops_gateway_for, the_error
from tests.support import ops_plugin

ROOT = Path(__file__).resolve().parents[2]


def apq(digest: str, query: str | None = None, **more: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": digest}},
                            **more}
    if query is not None:
        body["query"] = query
    return body


async def empty_store() -> None:
    await connections.get("default").execute_query(f"DELETE FROM {TABLE}")


@pytest.fixture
async def ops(migrated: str, tmp_path: Path) -> AsyncIterator[Gateway]:
    ops_plugin.echoed.clear()
    async for running in ops_gateway_for(migrated, tmp_path, persisted_queries_max=3):
        await empty_store()
        yield running


async def test_automatic_persisted_queries_over_post_and_get(ops: Gateway, migrated: str,
                                                             tmp_path: Path) -> None:
    query = "query Twice($n: Int!) { double(n: $n) }"
    digest = sha256(query)
    first = await ops.client.post("/graphql", json=apq(digest, variables={"n": 2}))
    error = the_error(first, 200, "PERSISTED_QUERY_NOT_FOUND")
    assert error["message"].startswith("PersistedQueryNotFound")
    # The client sends hash and text once; the server checks and stores them.
    second = await ops.client.post("/graphql", json=apq(digest, query, variables={"n": 2}))
    assert second.json() == {"data": {"double": 4}}
    third = await ops.client.post("/graphql", json=apq(digest, variables={"n": 5}))
    assert third.json() == {"data": {"double": 10}}
    # GET: the hash in the URL, no text.
    params = {"extensions": json.dumps(apq(digest)["extensions"]),
              "variables": json.dumps({"n": 7})}
    got = await ops.client.get("/graphql", params=params)
    assert got.json() == {"data": {"double": 14}}
    # Another process serving the same database knows it (a fresh app, empty memory).
    async for other in ops_gateway_for(migrated, tmp_path / "other"):
        again = await other.client.post("/graphql", json=apq(digest, variables={"n": 1}))
        assert again.json() == {"data": {"double": 2}}


async def test_a_hash_must_match_its_text_and_the_extension_its_shape(ops: Gateway) -> None:
    query = "{ double(n: 3) }"
    wrong = await ops.client.post("/graphql", json=apq(sha256("{ double(n: 4) }"), query))
    assert "does not match" in the_error(wrong, 400, "PERSISTED_QUERY_HASH_MISMATCH")["message"]
    # Nothing was stored under the wrong hash.
    after = await ops.client.post("/graphql", json=apq(sha256("{ double(n: 4) }")))
    the_error(after, 200, "PERSISTED_QUERY_NOT_FOUND")
    for extension in ({"version": 2, "sha256Hash": sha256(query)},
                      {"version": 1, "sha256Hash": "ABC"}, "not an object"):
        response = await ops.client.post("/graphql", json={
            "query": query, "extensions": {"persistedQuery": extension}})
        the_error(response, 400, "PERSISTED_QUERY_INVALID")
    french = await ops.client.post("/graphql", json=apq(sha256("{ folder { name } }")),
                                   headers={"Accept-Language": "fr"})
    assert "aucune requête" in the_error(french, 200, "PERSISTED_QUERY_NOT_FOUND")["message"]


async def test_permissions_limits_and_methods_still_apply(ops: Gateway) -> None:
    # A system admins' field by hash: the hash only replaces the text, the roles still run.
    jobs = "{ outboxJobs(first: 1) { totalCount } }"
    await ops.client.post("/graphql", json=apq(sha256(jobs), jobs))
    anonymous = (await ops.client.post("/graphql", json=apq(sha256(jobs)))).json()
    assert anonymous["data"] is None
    assert anonymous["errors"][0]["extensions"]["code"] in ("FORBIDDEN", "UNAUTHENTICATED")
    admin = (await ops.client.post("/graphql", json=apq(sha256(jobs)), headers=ADMIN)).json()
    assert "errors" not in admin
    # A mutation stored by POST still cannot run over GET.
    echo = 'mutation { echo(text: "x") }'
    await ops.client.post("/graphql", json=apq(sha256(echo), echo))
    ops_plugin.echoed.clear()
    got = await ops.client.get("/graphql", params={
        "extensions": json.dumps(apq(sha256(echo))["extensions"])})
    assert got.status_code == 405 and ops_plugin.echoed == []


async def test_at_most_the_configured_number_of_automatic_documents(ops: Gateway) -> None:
    queries = [f"{{ double(n: {n}) }}" for n in range(5)]
    for query in queries:
        stored = await ops.client.post("/graphql", json=apq(sha256(query), query))
        assert "errors" not in stored.json()
    rows = await connections.get("default").execute_query_dict(f"SELECT sha256 FROM {TABLE}")
    assert len(rows) == 3  # persisted_queries_max
    # The newest stay; this process still remembers the others, another would not.
    assert {r["sha256"] for r in rows} <= {sha256(q) for q in queries}
    # A text longer than GRAPHQL_MAX_QUERY_LENGTH is refused before anything is stored.
    huge = "{ double(n: 1) }" + " " * 200_000
    response = await ops.client.post("/graphql", json=apq(sha256(huge), huge))
    assert response.status_code == 413


async def test_production_get_carries_hashes_not_text(migrated: str, tmp_path: Path) -> None:
    query = "{ double(n: 21) }"
    async for prod in ops_gateway_for(migrated, tmp_path, env="production",
                                      public_url="http://testserver"):
        await empty_store()
        text = await prod.client.get("/graphql", params={"query": query})
        the_error(text, 405, "METHOD_NOT_ALLOWED")
        await prod.client.post("/graphql", json=apq(sha256(query), query))
        got = await prod.client.get("/graphql", params={
            "extensions": json.dumps(apq(sha256(query))["extensions"])})
        assert got.json() == {"data": {"double": 42}}


async def test_persisted_queries_can_be_turned_off(migrated: str, tmp_path: Path) -> None:
    query = "{ double(n: 1) }"
    async for off in ops_gateway_for(migrated, tmp_path, persisted_queries="off"):
        response = await off.client.post("/graphql", json=apq(sha256(query), query))
        the_error(response, 200, "PERSISTED_QUERY_NOT_SUPPORTED")
        plain = await off.client.post("/graphql", json={"query": query})
        assert plain.json() == {"data": {"double": 2}}


async def register(database_url: str, tmp_path: Path, *documents: str) -> str:
    """``gateway persisted-queries add FILE...`` in a process of its own."""
    files = []
    for n, document in enumerate(documents):
        path = tmp_path / f"q{n}.graphql"
        path.write_text(document, encoding="utf-8")
        files.append(str(path))
    env = {**os.environ, "DATABASE_URL": database_url, "GATEWAY_VAR_DIR": str(tmp_path),
           "GATEWAY_LOAD_PLUGINS": "", "SECRET_KEY": "x" * 40,
           "GATEWAY_PLUGINS_FILE": str(ROOT / "plugins.toml")}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "gateway.cli", "persisted-queries", "add", *files, cwd=ROOT,
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    return out.decode()


async def test_the_allowlist_runs_only_registered_documents(migrated: str,
                                                            tmp_path: Path) -> None:
    allowed = "query Allowed { double(n: 4) }"
    other = "{ double(n: 5) }"
    async for listed in ops_gateway_for(migrated, tmp_path, persisted_queries="allowlist"):
        await empty_store()
        refused = await listed.client.post("/graphql", json={"query": allowed})
        error = the_error(refused, 200, "PERSISTED_QUERY_NOT_ALLOWED")
        assert "allowlist" in error["message"]
        # Clients cannot register documents themselves.
        sent = await listed.client.post("/graphql", json=apq(sha256(other), other))
        the_error(sent, 200, "PERSISTED_QUERY_NOT_ALLOWED")
        printed = await register(migrated, tmp_path, allowed)
        assert printed.startswith(sha256(allowed))
        by_hash = await listed.client.post("/graphql", json=apq(sha256(allowed)))
        assert by_hash.json() == {"data": {"double": 8}}
        by_text = await listed.client.post("/graphql", json={"query": allowed})
        assert by_text.json() == {"data": {"double": 8}}
        the_error(await listed.client.post("/graphql", json={"query": other}), 200,
                  "PERSISTED_QUERY_NOT_ALLOWED")
        the_error(await listed.client.post("/graphql", json=apq(sha256(other))), 200,
                  "PERSISTED_QUERY_NOT_FOUND")
        # Registering again says so; a file that is not a document is refused (status 2).
        assert "already registered" in await register(migrated, tmp_path, allowed)


def test_the_command_refuses_a_file_that_is_not_a_document(tmp_path: Path) -> None:
    import subprocess

    bad = tmp_path / "bad.graphql"
    bad.write_text("{ not closed", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "gateway.cli", "persisted-queries", "add", str(bad)], cwd=ROOT,
        env={**os.environ, "GATEWAY_LOAD_PLUGINS": "", "GATEWAY_VAR_DIR": str(tmp_path),
             "DATABASE_URL": f"sqlite://{tmp_path / 'x.sqlite3'}"},
        capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert "bad.graphql: not a readable GraphQL document" in done.stderr



def test_the_settings_are_checked(tmp_path: Path) -> None:
    from gateway.settings import Settings, SettingsError

    base = {"GATEWAY_VAR_DIR": str(tmp_path), "SECRET_KEY": "k" * 40}
    assert Settings.from_env(base).persisted_queries == "auto"
    assert Settings.from_env({**base, "PERSISTED_QUERIES": "AllowList",
                              "PERSISTED_QUERIES_MAX": "50"}).persisted_queries_max == 50
    for name, value in (("PERSISTED_QUERIES", "always"), ("PERSISTED_QUERIES_MAX", "0")):
        with pytest.raises(SettingsError) as refused:
            Settings.from_env({**base, name: value})
        assert refused.value.problems[0].startswith(name)
