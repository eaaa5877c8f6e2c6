"""The name keyword's filter, served on PostgreSQL by pg_trgm's index (``name_index``): the
lists answer as a plain LIKE would after every kind of write, with literal % and _, short
keywords, non-ASCII names and exact totals (the statements of a filtered page are counted in
``test_account_counts``); the index is what the planner takes for it."""

from __future__ import annotations

from typing import Any

import pytest
from tortoise import connections
from tortoise.transactions import in_transaction

from gateway.identity.models import Account, AccountKind, BillingStatus
from plugins.clients import name_index
from tests.conftest import Gateway
from tests.plugins.clients.factory import add_account, make_clients
from tests.plugins.clients.test_listing import _list, _names
from tests.support.identity_factory import Tenant, bearer_for


def _postgres() -> bool:
    return connections.get("default").capabilities.dialect == "postgres"


def _lower(text: str) -> str:
    """The database's LOWER(): SQLite lowers ASCII letters only, PostgreSQL every letter."""
    if _postgres():
        return text.lower()
    return "".join(c.lower() if c.isascii() else c for c in text)


async def _expected(tenant: Tenant, keyword: str) -> set[str]:
    """What a plain LIKE on every active company's name finds (the list before the index)."""
    accounts = await Account.filter(reseller_id=tenant.reseller.id, kind=AccountKind.COMPANY,
                                    billing_status__not=BillingStatus.UNSUBSCRIBED)
    return {a.name for a in accounts if keyword.strip().lower() in _lower(a.name)}


async def _found(gateway: Gateway, headers: dict[str, str], keyword: str,
                 **variables: Any) -> set[str]:
    page = await _list(gateway, headers, kind="COMPANY", filter={"name": keyword}, **variables)
    assert page["totalCount"] == len(page["nodes"]), keyword
    return set(_names(page))


async def _same_as_like(gateway: Gateway, tenant: Tenant, keywords: list[str]) -> None:
    headers = await bearer_for(tenant.admin)
    for keyword in keywords:
        assert await _found(gateway, headers, keyword) == await _expected(tenant, keyword), \
            keyword


async def test_the_filter_follows_renames_deletes_and_new_accounts(gateway: Gateway) -> None:
    clients = await make_clients()
    tenant = clients.tenant
    keywords = ["plomb", "bravo", "acme", "renomm", "nouvelle", "inc"]
    await _same_as_like(gateway, tenant, keywords)
    acme, lower_bravo = clients.companies[0], clients.companies[2]  # the latter: no users
    # The ORM: a rename, a delete, a new account.
    acme.name = "Plomberie renommée"
    await acme.save()
    await lower_bravo.delete()
    await add_account(tenant, AccountKind.COMPANY, "Nouvelle Plomberie", users=1)
    await _same_as_like(gateway, tenant, keywords)
    headers = await bearer_for(tenant.admin)
    assert await _found(gateway, headers, "plomb") == {"Plomberie renommée",
                                                       "Nouvelle Plomberie"}
    assert await _found(gateway, headers, "acme") == {"Charlie ACME"}  # the old name is gone
    assert await _found(gateway, headers, "bravo") == {"Bravo Inc"}
    # Raw SQL, as an import or an operator writes: a rename, a delete, a bulk rename.
    disposable = await add_account(tenant, AccountKind.COMPANY, "Jetable Acme")
    assert await _found(gateway, headers, "acme") == {"Charlie ACME", "Jetable Acme"}
    conn = connections.get("default")
    one, two = ("$1", "$2") if _postgres() else ("?", "?")
    await conn.execute_query(f"UPDATE core_account SET name = {one} WHERE id = {two}",
                             ["Bravo renommé", clients.companies[1].id])
    await conn.execute_query(f"DELETE FROM core_account WHERE id = {one}", [disposable.id])
    await Account.filter(reseller_id=tenant.reseller.id, name__startswith="Nouvelle").update(
        name="Nouvelle Inc")
    await _same_as_like(gateway, tenant, [*keywords, "charlie", "bravo r", "jetable"])
    assert await _found(gateway, headers, "acme") == {"Charlie ACME"}
    assert await _found(gateway, headers, "bravo") == {"Bravo renommé"}
    assert await _found(gateway, headers, "nouvelle inc") == {"Nouvelle Inc"}


@pytest.mark.parametrize(("keyword", "expected"), [
    ("100%", {"100% Bio"}),  # % is a character, not a wildcard: with the index (>= 3)...
    ("0%", {"100% Bio"}),  # ... and without (< 3 characters)
    ("%", {"100% Bio"}),
    ("x_f", {"Taux_fixe"}),  # _ is a character: "Taux fixe" does not match
    ("_f", {"Taux_fixe"}),
    ("_", {"Taux_fixe"}),
    ('"a', {'Le "a" de Bravo'}),
    ('le "a"', {'Le "a" de Bravo'}),
    ("a\\b", {"Chemin a\\b"}),  # the LIKE's escape character, literal too
    ("l'at", {"L'atelier"}),  # quotes: on PostgreSQL the pattern is written in the statement
    ("'", {"L'atelier", "Bout\\'s"}),
    ("\\'", {"Bout\\'s"}),
    ("''", set()),
])
async def test_percent_underscore_and_quotes_are_literal(
    gateway: Gateway, keyword: str, expected: set[str]
) -> None:
    clients = await make_clients()
    for name in ("100% Bio", "1000 Bio", "Taux_fixe", "Taux fixe", 'Le "a" de Bravo',
                 "Chemin a\\b", "Chemin ab", "L'atelier", "Bout\\'s"):
        await add_account(clients.tenant, AccountKind.COMPANY, name)
    headers = await bearer_for(clients.tenant.admin)
    assert await _found(gateway, headers, keyword) == expected


async def test_short_keywords_and_spaces(gateway: Gateway) -> None:
    clients = await make_clients()
    await add_account(clients.tenant, AccountKind.COMPANY, "Ab Cd")
    # One and two characters (no trigram: the plain LIKE), three with a space, padded ones.
    await _same_as_like(gateway, clients.tenant, ["a", "AC", "b c", " bravo ", "o i", "e"])


async def test_non_ascii_names(gateway: Gateway) -> None:
    clients = await make_clients()
    for name in ("Érable Café", "érable rouge", "Straße Müller", "Ærø Ålesund"):
        await add_account(clients.tenant, AccountKind.COMPANY, name)
    await _same_as_like(gateway, clients.tenant,
                        ["érable", "ÉRABLE", "café", "CAFÉ", "straße", "müller", "ærø", "ålesund",
                         "rable", "é"])
    headers = await bearer_for(clients.tenant.admin)
    # SQLite's LOWER folds ASCII letters only, PostgreSQL's every letter (as before the index).
    assert await _found(gateway, headers, "érable") == (
        {"Érable Café", "érable rouge"} if _postgres() else {"érable rouge"})
    assert await _found(gateway, headers, "CAFÉ") == {"Érable Café"}


async def test_totals_and_pages_under_a_name_filter(gateway: Gateway) -> None:
    clients = await make_clients()
    tenant = clients.tenant
    for n in range(23):
        await add_account(tenant, AccountKind.COMPANY, f"Filtre {n % 4} {n:02d}", users=n % 3,
                          status=[BillingStatus.IN_PRODUCTION, BillingStatus.FREE_TRIAL,
                                  BillingStatus.UNSUBSCRIBED][n % 3])
    headers = await bearer_for(tenant.admin)
    for case in ({"name": "filtre"}, {"name": "filtre 1"}, {"name": "fi"},
                 {"name": "filtre", "billingStatus": "FREE_TRIAL"},
                 {"name": "filtre", "status": "UNSUBSCRIBED"}, {"name": "filtre", "status": None},
                 {"name": "filtre 2", "userCount": 1}, {"name": "zzz"}):
        whole = await _list(gateway, headers, kind="COMPANY", filter=case, first=100)
        for order in (None, {"field": "NAME", "direction": "DESC"},
                      {"field": "USER_COUNT", "direction": "ASC"}):
            names: list[str] = []
            after = None
            while True:  # keyset pages of 4 walk the whole filtered list
                page = await _list(gateway, headers, kind="COMPANY", filter=case, first=4,
                                   after=after, order=order)
                assert page["totalCount"] == len(whole["nodes"]), (case, order)
                names += _names(page)
                if not page["pageInfo"]["hasNextPage"]:
                    break
                after = page["pageInfo"]["endCursor"]
            ordered = await _list(gateway, headers, kind="COMPANY", filter=case, order=order)
            assert names == _names(ordered), (case, order)
            assert sorted(names) == sorted(_names(whole))


async def test_postgresql_answers_a_name_keyword_from_the_trigram_index(
    gateway: Gateway,
) -> None:
    """The list's own condition, as it writes it, is served by the GIN index (the planner told
    to avoid a scan: with a handful of rows it would rather read them all); SQLite has none."""
    await make_clients()
    conn = connections.get("default")
    if not _postgres():
        rows = await conn.execute_query_dict(
            "SELECT name FROM sqlite_master WHERE name = ?", [name_index.POSTGRES_INDEX])
        assert rows == []
        return
    async with in_transaction() as tx:
        await tx.execute_script("SET LOCAL enable_seqscan = off")
        plan = await tx.execute_query_dict(
            "EXPLAIN SELECT COUNT(*) FROM core_account a "
            "WHERE LOWER(a.name) LIKE $1 ESCAPE '\\'", ["%plomb%"])
    text = "\n".join(row["QUERY PLAN"] for row in plan)
    assert name_index.POSTGRES_INDEX in text, text
