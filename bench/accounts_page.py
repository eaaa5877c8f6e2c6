"""Benchmark: the Clients list's 50-row page on N accounts, GraphQL vs hand-written SQL + JSON.

Both are served by the same app in this process and called through the same ASGI client, so
the ratio is what the GraphQL stack (parsing, validation, permissions, resolvers, the listing
service) costs on top of the physical limit for that payload. Run it:

    .venv/bin/python -m bench.accounts_page --accounts 100000 [--requests 200]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench .venv/bin/python -m bench.accounts_page

The data set is generated (seeded) into a fresh SQLite file under a temp folder, or into the
PostgreSQL database named by DATABASE_URL (its tables are emptied first). Nothing is committed.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from tortoise import connections
from tqdm import tqdm

from gateway.app import create_app
from gateway.identity.codes import new_can
from gateway.identity.models import Reseller, User, UserRole
from gateway.identity.secrets import hash_secret
from gateway.identity.sessions import open_session
from gateway.settings import Settings

QUERY = """query Page { accounts(kind: COMPANY, first: 50, orderBy: {field: NAME}) {
  totalCount edges { cursor node { id accountNumber name orgId userCount can phoneNumber
  language billingStatus } } } }"""

# The same page by hand, as a senior engineer would write it: one statement walking the name
# index (reseller, kind, LOWER(name), id) for 50 rows, the users counted for those rows only,
# and the total read from the per-reseller, kind and status counts that triggers keep exact
# (clients_account_count), not counted over 100,000 rows; rows straight to JSON.
HAND_SQL = """SELECT page.*, (SELECT COUNT(*) FROM core_user u WHERE u.account_id = page.id)
  AS user_count FROM (
  SELECT a.id, a.name, COALESCE(a.organization_id, a.id) AS org_id, a.can, a.phone_number,
    a.language, a.billing_status,
    (SELECT COALESCE(SUM(c.n), 0) FROM clients_account_count c WHERE c.reseller_id = {p1}
      AND c.kind = 'COMPANY' AND c.billing_status <> 'UNSUBSCRIBED') AS total_count
  FROM core_account a WHERE a.reseller_id = {p1} AND a.kind = 'COMPANY'
    AND a.billing_status <> 'UNSUBSCRIBED'
  ORDER BY LOWER(a.name), a.id LIMIT 50) page ORDER BY LOWER(page.name), page.id"""


# The same page after a cursor (the deep page: half-way down the list).
AFTER_QUERY = QUERY.replace("query Page {", "query Page($after: String) {").replace(
    "first: 50", "first: 50, after: $after")

# The filtered page (name contains, billing status), by the list's own SQL: on PostgreSQL
# pg_trgm's GIN index on LOWER(name) (plugins/clients/name_index.py) gives the exact total's
# candidates; on SQLite no index serves "contains", so the total reads every in-production
# account's name. The page walks the name index until 50 match.
FILTERED_QUERY = QUERY.replace(
    "orderBy: {field: NAME}",
    'orderBy: {field: NAME}, filter: {name: "alpha", billingStatus: IN_PRODUCTION}')
FILTERED_SQL = """SELECT page.*, (SELECT COUNT(*) FROM core_user u WHERE u.account_id = page.id)
  AS user_count FROM (
  SELECT a.id, a.name, COALESCE(a.organization_id, a.id) AS org_id, a.can, a.phone_number,
    a.language, a.billing_status,
    (SELECT COUNT(*) FROM core_account c WHERE c.reseller_id = {p1} AND c.kind = 'COMPANY'
      AND c.billing_status = 'IN_PRODUCTION' AND LOWER(c.name) LIKE '%alpha%') AS total_count
  FROM core_account a WHERE a.reseller_id = {p1} AND a.kind = 'COMPANY'
    AND a.billing_status = 'IN_PRODUCTION' AND LOWER(a.name) LIKE '%alpha%'
  ORDER BY LOWER(a.name), a.id LIMIT 50) page ORDER BY LOWER(page.name), page.id"""


async def hand_written_body(reseller: int, filtered: bool = False) -> dict[str, Any]:
    """The page's data by one hand-written statement, rows straight into dicts."""
    conn = connections.get("default")
    postgres = conn.capabilities.dialect == "postgres"
    text = FILTERED_SQL if filtered else HAND_SQL
    sql = text.replace("{p1}", "$1") if postgres else text.replace("{p1}", "?")
    rows = await conn.execute_query_dict(sql, [reseller] if postgres else [reseller, reseller])
    total = int(rows[0]["total_count"]) if rows else 0
    return {"totalCount": total, "nodes": [
        {"accountNumber": r["id"], "name": r["name"], "orgId": r["org_id"],
         "userCount": r["user_count"], "can": r["can"], "phoneNumber": r["phone_number"],
         "language": r["language"], "billingStatus": r["billing_status"]} for r in rows]}


async def hand_written_page(request: Request) -> Response:
    body = await hand_written_body(request.app.state.bench_reseller)
    return Response(json.dumps(body), media_type="application/json")


async def generate(accounts: int, seed: int = 7, *, first_id: int = 1_000_000,
                   tag: str = "B") -> int:
    """One reseller with ``accounts`` companies of 1-3 users each; returns the reseller id.

    Several resellers fit in one database when each has its own ``first_id`` range and ``tag``
    (CANs and logins are unique)."""
    rng = random.Random(seed)
    conn = connections.get("default")
    postgres = conn.capabilities.dialect == "postgres"
    reseller = await Reseller.create(name="Bench Télécom", can=new_can())
    now = dt.datetime.now(dt.UTC)
    words = ["Alpha", "Boréal", "Cèdre", "Delta", "Érable", "Fjord", "Granit", "Héron", "Iris",
             "Jade", "Korrigan", "Lune", "Mistral", "Nordet", "Olivier", "Pluvier"]
    ph = (lambda n: ", ".join(f"${i}" for i in range(1, n + 1))) if postgres else (
        lambda n: ", ".join("?" * n))
    account_sql = (
        "INSERT INTO core_account (id, reseller_id, kind, name, can, language, time_zone, "
        "country, email, phone_number, billing_status, created_at, updated_at) "
        f"VALUES ({ph(13)})")
    user_sql = (
        "INSERT INTO core_user (role, reseller_id, account_id, login, email, first_name, "
        "last_name, language, is_active, created_at, updated_at) "
        f"VALUES ({ph(11)})")
    statuses = ["FREE_TRIAL", "IN_PRODUCTION", "IN_PRODUCTION", "BILLING_SUSPENDED"]
    batch = 5000
    with tqdm(total=accounts, desc="accounts", unit="acct", disable=None) as bar:
        for start in range(0, accounts, batch):
            account_rows, user_rows = [], []
            for i in range(start, min(start + batch, accounts)):
                account_id = first_id + i
                name = f"{rng.choice(words)} {rng.choice(words)} {i}"
                account_rows.append([
                    account_id, reseller.id, "COMPANY", name, f"CAN-{tag}{i:09d}",
                    rng.choice(["fr", "en"]), "America/Toronto", "CA",
                    f"contact{i}@bench.example", f"+1514{rng.randrange(2000000, 9999999)}",
                    rng.choice(statuses), now, now])
                for u in range(rng.randint(1, 3)):
                    login = f"u{i}-{u}@{tag.lower()}.bench.example"
                    user_rows.append([
                        "COMPANY_ADMIN" if u == 0 else "EMPLOYEE", reseller.id, account_id,
                        login, login, "Prénom", f"Nom{i}", "fr", True, now, now])
            await conn.execute_many(account_sql, account_rows)
            await conn.execute_many(user_sql, user_rows)
            bar.update(len(account_rows))
    return reseller.id


async def timed(client: httpx.AsyncClient, method: str, url: str, n: int,
                **kwargs: Any) -> list[float]:
    for _ in range(5):  # warm caches (parser, validation, database pages)
        (await client.request(method, url, **kwargs)).raise_for_status()
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        response = await client.request(method, url, **kwargs)
        samples.append(time.perf_counter() - started)
        response.raise_for_status()
    return samples


def _row(name: str, samples: list[float], baseline: float) -> str:
    ordered = sorted(samples)
    p50 = statistics.median(ordered) * 1000
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000
    return (f"| {name:<42} | {len(samples) / sum(samples):8.1f} | {p50:7.2f} | {p99:7.2f} | "
            f"{statistics.median(ordered) / baseline:6.2f} |")


async def main(accounts: int, requests: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench-accounts-"))
    database_url = os.environ.get("DATABASE_URL") or f"sqlite://{folder / 'bench.sqlite3'}"
    settings = Settings(env="test", database_url=database_url, var_dir=folder,
                        secret_key="bench-secret-key-0123456789-abcdefghij",
                        email_url=f"file://{folder / 'outbox'}", load_plugins=())
    app = create_app(settings, migrate_on_start=True, run_jobs=False)
    app.router.routes.append(Route("/bench/accounts", hand_written_page))
    async with app.router.lifespan_context(app):
        conn = connections.get("default")
        if conn.capabilities.dialect == "postgres":
            from tests.conftest import truncate_all

            await truncate_all()
        started = time.perf_counter()
        reseller_id = await generate(accounts)
        print(f"generated {accounts} accounts in {time.perf_counter() - started:.1f}s "
              f"on {conn.capabilities.dialect}")
        app.state.bench_reseller = reseller_id
        admin = await User.create(role=UserRole.RESELLER_ADMIN, reseller_id=reseller_id,
                                  login="bench-admin@bench.example",
                                  email="bench-admin@bench.example",
                                  password_hash=hash_secret("Bench-pass1"))
        _, token = await open_session(admin)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            headers = {"Authorization": f"Bearer {token}"}
            check = (await client.post("/graphql", json={"query": QUERY}, headers=headers)).json()
            assert "errors" not in check, check
            hand = (await client.get("/bench/accounts")).json()
            graph = check["data"]["accounts"]
            assert hand["totalCount"] == graph["totalCount"]
            assert [n["name"] for n in hand["nodes"]] == [e["node"]["name"] for e in graph["edges"]]
            sql_samples = await timed(client, "GET", "/bench/accounts", requests)
            gql_samples = await timed(client, "POST", "/graphql", requests,
                                      json={"query": QUERY, "operationName": "Page"},
                                      headers=headers)
            typename = await timed(client, "POST", "/graphql", requests,
                                   json={"query": "{ __typename }"})
    baseline = statistics.median(sql_samples)
    print(f"\n50-row Clients page on {accounts} accounts, {requests} sequential requests, "
          "in-process ASGI client\n")
    print("| endpoint                                   |    req/s | p50 ms | p99 ms | ×hand |")
    print("| --- | --- | --- | --- | --- |")
    print(_row("hand-written SQL + JSON (baseline)", sql_samples, baseline))
    print(_row("GraphQL accounts page", gql_samples, baseline))
    print(_row("GraphQL { __typename }", typename, baseline))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    os.environ.setdefault("GATEWAY_ARGON2_PROFILE", "test")
    asyncio.run(main(args.accounts, args.requests))
