"""A soak: concurrent clients against a real `gateway serve` on loopback (every plugin of
plugins.toml), for a bounded time, mixing reads and writes across two resellers.

Each client is a reseller admin of reseller A or B (half each) and loops over: `me`, the
Compagnies list, the sign-up drafts, an account's shared contacts (reads); saving a draft,
completing a sign-up into a new account, adding a shared contact (writes). Each reseller has
two directory accounts: one with a small shared-contacts limit, so that concurrent additions
race for its last places, and one whose limit is out of reach. Afterwards:
- no request failed (every answer 200, no GraphQL error, no payload error but the refusal at
  the small limit);
- every acknowledged write is in the database, with the right reseller, and nothing else was
  written (no phantom rows);
- the small-limit account holds no more contacts than its limit allows;
- no list ever showed, and none shows now, another reseller's object;
- the server logged no error.

Small in CI (8 clients for 5 seconds). Bigger: ``SOAK_CLIENTS=32 SOAK_SECONDS=120
.venv/bin/python -m pytest -q -s tests/hostile/test_soak.py`` (``-s`` shows the figures)."""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from strawberry.relay import from_base64, to_base64

from gateway.identity.models import Account, AccountKind, BillingStatus, User, UserRole
from gateway.plugins import PluginHost, read_plugin_specs
from plugins.account_settings.models import Contact
from plugins.clients.models import SignupDraft
from tests.conftest import ROOT, Gateway, make_settings, start_gateway
from tests.gateway.test_cli import gateway_env
from tests.gateway.test_serve import (  # noqa: F401  (spawn is a fixture)
    free_port,
    http_ok,
    spawn,
    wait_until,
)
from tests.support.identity_factory import bearer_for, make_account, make_reseller, make_user

SOAK_CLIENTS = int(os.environ.get("SOAK_CLIENTS", "8"))
SOAK_SECONDS = float(os.environ.get("SOAK_SECONDS", "5"))
SMALL_LIMIT = 10  # one directory's shared contacts (its user counts too): reached in CI
LARGE_LIMIT = 3000  # the most an account may have
REQUEST_TIMEOUT = 60.0

ME = "{ me { role reseller { id name } user { id } } }"
ACCOUNTS = """{ accounts(kind: COMPANY, first: 100) { totalCount nodes { id name } } }"""
DRAFTS = """{ signupDrafts(first: 100) { totalCount nodes { id customer { name } } } }"""
CONTACTS = """query($id: ID!) { contacts(accountId: $id, shared: true, first: 100) {
  totalCount nodes { id name } } }"""
SAVE_DRAFT = """mutation($input: SaveSignupDraftInput!) { saveSignupDraft(input: $input) {
  draft { id ready } errors { code field message } } }"""
COMPLETE = """mutation($input: CompleteSignupInput!) { completeSignup(input: $input) {
  account { id name } errors { code field message } } }"""
ADD_CONTACT = """mutation($input: AddContactInput!) { addContact(input: $input) {
  contact { id name } errors { code field message } } }"""
SET_LIMIT = """mutation($input: UpdateAccountOptionsInput!) { updateAccountOptions(input: $input)
  { errors { code field message } } }"""


@dataclass
class Tenant:
    tag: str  # every name this reseller's objects get starts with it
    reseller_id: int
    headers: dict[str, str]
    directories: dict[int, int]  # account id -> its shared contacts limit
    drafts: list[str] = field(default_factory=list)  # acknowledged writes, by global id
    accounts: list[str] = field(default_factory=list)
    contacts: list[str] = field(default_factory=list)
    refused_contacts: int = 0


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    operations: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    leaks: list[str] = field(default_factory=list)


@pytest.fixture
async def here(migrated: str, tmp_path: Path) -> AsyncIterator[Gateway]:
    """The test's own connection to the database (no job runtime): it seeds and checks."""
    settings = make_settings(migrated, tmp_path)
    host = PluginHost(settings, specs=read_plugin_specs(ROOT / "plugins.toml", ()))
    async for running in start_gateway(settings, host=host, run_jobs=False):
        yield running


async def make_tenant(tag: str) -> Tenant:
    """A reseller, its admin's session, and its two directory accounts (one user each)."""
    reseller = await make_reseller(f"{tag} Télécom")
    admin = await make_user(UserRole.RESELLER_ADMIN, reseller=reseller)
    reseller.primary_admin = admin
    await reseller.save()
    directories = {}
    for name, limit in (("Annuaire petit", SMALL_LIMIT), ("Annuaire grand", LARGE_LIMIT)):
        account = await make_account(reseller, AccountKind.COMPANY, f"{tag} {name}")
        await Account.filter(id=account.id).update(billing_status=BillingStatus.IN_PRODUCTION)
        await make_user(UserRole.COMPANY_ADMIN, reseller=reseller, account=account)
        directories[account.id] = limit
    return Tenant(tag, reseller.id, await bearer_for(admin), directories)


def ready_draft(tag: str, name: str, email: str) -> dict[str, Any]:
    return {"kind": "COMPANY",
            "customer": {"name": f"{tag} {name}", "email": email, "timeZone": "America/Toronto",
                         "phoneNumber": "+15145550100", "voiceLanguages": ["fr"]},
            "administrator": {"firstName": tag, "lastName": name, "email": email}}


class Client:
    """One simulated user: a reseller admin working through the Clients pages."""

    def __init__(self, number: int, tenant: Tenant, other: Tenant, http: httpx.AsyncClient,
                 tally: Tally) -> None:
        self.number, self.tenant, self.other = number, tenant, other
        self.http, self.tally = http, tally
        self.random = random.Random(number)
        self.sequence = 0

    async def call(self, operation: str, query: str,
                   variables: dict[str, Any] | None = None) -> dict[str, Any] | None:
        started = time.perf_counter()
        try:
            response = await self.http.post("/graphql", json={
                "query": query, "variables": variables or {}}, headers=self.tenant.headers)
        except httpx.HTTPError as exc:
            self.tally.failures.append(f"{operation}: {exc!r}")
            return None
        self.tally.latencies.append(time.perf_counter() - started)
        self.tally.operations[operation] += 1
        body = response.json() if response.headers.get("content-type", "").startswith(
            "application/json") else None
        if response.status_code != 200 or not body or body.get("errors"):
            self.tally.failures.append(f"{operation}: {response.status_code} {response.text}")
            return None
        data: dict[str, Any] = body["data"]
        self.check_names(operation, data)
        return data

    def check_names(self, operation: str, data: Any) -> None:
        """Every name in an answer is this tenant's: none is the other reseller's."""
        if isinstance(data, dict):
            for key, value in data.items():
                if key == "name" and isinstance(value, str) and value.startswith(self.other.tag):
                    self.tally.leaks.append(f"{operation} showed {value!r} to {self.tenant.tag}")
                self.check_names(operation, value)
        elif isinstance(data, list):
            for item in data:
                self.check_names(operation, item)

    def payload(self, operation: str, data: dict[str, Any] | None, key: str,
                allowed: tuple[str, ...] = ()) -> dict[str, Any] | None:
        if data is None:
            return None
        result: dict[str, Any] = data[key]
        codes = [error["code"] for error in result["errors"]]
        if codes and not set(codes) <= set(allowed):
            self.tally.failures.append(f"{operation}: {result['errors']}")
            return None
        return result

    async def step(self) -> None:
        tenant, n = self.tenant, self.sequence
        self.sequence += 1
        name = f"c{self.number}-{n}"
        email = f"{name}.{tenant.tag.lower().replace(' ', '')}@soak.test"
        steps = {"me": self.read_me, "accounts": self.read_accounts, "drafts": self.read_drafts,
                 "contacts": self.read_contacts, "draft": self.save_draft,
                 "account": self.sign_up, "contact": self.add_contact}
        choice = self.random.choices(list(steps), weights=[2, 3, 2, 2, 2, 1, 2])[0]
        await steps[choice](tenant, name, email)

    async def read_me(self, tenant: Tenant, name: str, email: str) -> None:
        data = await self.call("me", ME)
        if data and data["me"]["reseller"]["id"] != to_base64("Reseller", tenant.reseller_id):
            self.tally.leaks.append(f"me answered another reseller to {tenant.tag}")

    async def read_accounts(self, tenant: Tenant, name: str, email: str) -> None:
        await self.call("accounts", ACCOUNTS)

    async def read_drafts(self, tenant: Tenant, name: str, email: str) -> None:
        data = await self.call("drafts", DRAFTS)
        for node in (data or {}).get("signupDrafts", {}).get("nodes", []):
            self.check_names("drafts", {"name": node["customer"]["name"]})

    async def read_contacts(self, tenant: Tenant, name: str, email: str) -> None:
        directory = self.random.choice(sorted(tenant.directories))
        await self.call("contacts", CONTACTS, {"id": to_base64("Account", directory)})

    async def save_draft(self, tenant: Tenant, name: str, email: str) -> None:
        result = self.payload("draft", await self.call("draft", SAVE_DRAFT, {"input": {
            "kind": "COMPANY", "customer": {"name": f"{tenant.tag} brouillon {name}"}}}),
            "saveSignupDraft")
        if result:
            tenant.drafts.append(result["draft"]["id"])

    async def sign_up(self, tenant: Tenant, name: str, email: str) -> None:
        saved = self.payload("account draft", await self.call(
            "account draft", SAVE_DRAFT, {"input": ready_draft(tenant.tag, name, email)}),
            "saveSignupDraft")
        if not saved:
            return
        tenant.drafts.append(saved["draft"]["id"])
        done = self.payload("account", await self.call("account", COMPLETE, {"input": {
            "id": saved["draft"]["id"]}}), "completeSignup")
        if done:
            tenant.accounts.append(done["account"]["id"])

    async def add_contact(self, tenant: Tenant, name: str, email: str) -> None:
        directory = self.random.choice(sorted(tenant.directories))
        result = self.payload("contact", await self.call("contact", ADD_CONTACT, {"input": {
            "accountId": to_base64("Account", directory), "shared": True,
            "name": f"{tenant.tag} contact {name}", "email": email}}), "addContact",
            allowed=("LIMIT_REACHED",))
        if result and result["contact"]:
            tenant.contacts.append(result["contact"]["id"])
        elif result:
            tenant.refused_contacts += 1

    async def run(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            await self.step()


def _ids(global_ids: list[str]) -> list[int]:
    return [int(from_base64(value)[1]) for value in global_ids]


async def test_concurrent_clients_of_two_resellers_lose_nothing_and_leak_nothing(
    here: Gateway, migrated: str, tmp_path: Path, spawn: Any  # noqa: F811
) -> None:
    tenants = [await make_tenant("Soak Alpha"), await make_tenant("Soak Bravo")]

    broker_url = os.environ.get("TEST_BROKER_URL", "memory://")
    env = gateway_env(tmp_path, DATABASE_URL=migrated, BROKER_URL=broker_url,
                      GATEWAY_PLUGINS_FILE=str(ROOT / "plugins.toml"), GATEWAY_ENV="test",
                      SECRET_KEY="test-secret-key-not-for-production", LOG_LEVEL="WARNING")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = spawn("serve", "--port", str(port), env=env)
    await wait_until(http_ok(f"{base}/healthz"), server, "serve start")

    limits = httpx.Limits(max_connections=SOAK_CLIENTS, max_keepalive_connections=SOAK_CLIENTS)
    async with httpx.AsyncClient(base_url=base, timeout=REQUEST_TIMEOUT,
                                 limits=limits) as http:
        for tenant in tenants:
            for directory, limit in tenant.directories.items():
                response = await http.post("/graphql", headers=tenant.headers, json={
                    "query": SET_LIMIT, "variables": {"input": {
                        "accountId": to_base64("Account", directory),
                        "sharedContactsLimit": limit}}})
                assert response.json() == {"data": {"updateAccountOptions": {"errors": []}}}
        tally = Tally()
        clients = [Client(n, tenants[n % 2], tenants[(n + 1) % 2], http, tally)
                   for n in range(SOAK_CLIENTS)]
        started = time.monotonic()
        deadline = started + SOAK_SECONDS
        await asyncio.gather(*(client.run(deadline) for client in clients))
        elapsed = time.monotonic() - started

        # The lists as they stand now: each reseller's own objects only.
        for tenant, other in ((tenants[0], tenants[1]), (tenants[1], tenants[0])):
            checker = Client(-1, tenant, other, http, tally)
            for operation, query, variables in (
                    ("accounts", ACCOUNTS, None), ("drafts", DRAFTS, None),
                    *(("contacts", CONTACTS, {"id": to_base64("Account", directory)})
                      for directory in tenant.directories)):
                data = await checker.call(f"final {operation}", query, variables)
                assert data is not None, tally.failures[-1:]
                if operation == "drafts":
                    checker.check_names("drafts", [{"name": n["customer"]["name"]}
                                                   for n in data["signupDrafts"]["nodes"]])

    latencies = sorted(tally.latencies)
    total = len(latencies)
    print(f"\nsoak: {SOAK_CLIENTS} clients, {elapsed:.1f} s, {total} requests "
          f"({total / elapsed:.0f}/s), p50 {statistics.median(latencies) * 1000:.0f} ms, "
          f"p99 {latencies[int(total * 0.99) - 1] * 1000:.0f} ms; {dict(tally.operations)}; "
          + "; ".join(f"{t.tag}: {len(t.drafts)} drafts, {len(t.accounts)} accounts, "
                      f"{len(t.contacts)} contacts (+{t.refused_contacts} refused at the "
                      f"limit)" for t in tenants))
    assert server.process.poll() is None, server.output()
    assert tally.failures == [], tally.failures[:5]
    assert tally.leaks == [], tally.leaks[:5]
    writes = {op: tally.operations[op] for op in ("draft", "account", "contact")}
    assert all(writes.values()), f"every kind of write ran at least once: {writes}"

    for tenant in tenants:
        # Every acknowledged write is there, the reseller's; and nothing else was written.
        drafts = await SignupDraft.filter(reseller_id=tenant.reseller_id).values_list(
            "id", flat=True)
        assert sorted(drafts) == sorted(_ids(tenant.drafts))
        accounts = await Account.filter(reseller_id=tenant.reseller_id).exclude(
            id__in=list(tenant.directories)).values("id", "name")
        assert sorted(a["id"] for a in accounts) == sorted(_ids(tenant.accounts))
        assert all(a["name"].startswith(tenant.tag) for a in accounts)
        assert await User.filter(account_id__in=[a["id"] for a in accounts]).count() == len(
            accounts)  # each new account's first user
        contacts = await Contact.filter(account_id__in=list(tenant.directories)).values(
            "id", "name", "account_id")
        assert sorted(c["id"] for c in contacts) == sorted(_ids(tenant.contacts))
        assert all(c["name"].startswith(tenant.tag) for c in contacts)
        for directory, limit in tenant.directories.items():
            # The limit held under concurrent additions (the account's one user counts).
            held = [c for c in contacts if c["account_id"] == directory]
            assert len(held) + await User.filter(account_id=directory).count() <= limit

    assert server.terminate() == 0, server.output()
    errors = [r for r in server.log_records() if r["level"] in ("error", "critical")]
    assert errors == [], errors[:3]
