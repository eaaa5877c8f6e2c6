"""The lists' totals kept by triggers (issue 22): exact after every kind of write, on SQLite
and PostgreSQL; keyset cursors (deep pages read from the sort index, cursors stay on their
row); and the SQL statements of list requests, counted (not timed)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from tortoise import connections
from tortoise.transactions import in_transaction

from gateway.identity.models import Account, AccountKind, BillingStatus, Reseller, UserRole
from plugins.clients import counts, listing
from plugins.clients.models import AccountMessage, MessageKind, MessageStatus
from tests.conftest import Gateway, QueryLog
from tests.plugins.clients.factory import add_account, make_clients
from tests.plugins.clients.test_listing import LIST, _list, _names
from tests.support.identity_factory import bearer_for, make_user


async def _kept() -> dict[tuple[int, str, str], int]:
    rows = await connections.get("default").execute_query_dict(
        f"SELECT reseller_id, kind, billing_status, n FROM {counts.TABLE}")
    return {(r["reseller_id"], r["kind"], r["billing_status"]): int(r["n"]) for r in rows
            if int(r["n"])}


async def _counted() -> dict[tuple[int, str, str], int]:
    rows = await connections.get("default").execute_query_dict(
        "SELECT reseller_id, kind, billing_status, COUNT(*) AS n FROM core_account "
        "GROUP BY reseller_id, kind, billing_status")
    return {(r["reseller_id"], r["kind"], r["billing_status"]): int(r["n"]) for r in rows}


async def test_counts_stay_exact_through_every_kind_of_write(gateway: Gateway) -> None:
    clients = await make_clients()
    tenant = clients.tenant
    assert await _kept() == await _counted() != {}
    # The ORM: create, change of status (save and bulk update), delete.
    account = await add_account(tenant, AccountKind.COMPANY, "Écho", users=1)
    account.billing_status = BillingStatus.BILLING_SUSPENDED
    await account.save()
    await Account.filter(id=clients.companies[0].id).update(
        billing_status=BillingStatus.UNSUBSCRIBED)
    await Account.filter(id=account.id).update(name="Écho renommé")  # no count changes
    assert await _kept() == await _counted()
    await (await add_account(tenant, AccountKind.COMPANY, "Supprimé")).delete()
    # Raw SQL, as an import or a migration writes: a kind change and a move of reseller.
    other = await Reseller.create(name="Autre", can="CAN-OTHER-1")
    conn = connections.get("default")
    mark = "$1" if conn.capabilities.dialect == "postgres" else "?"
    await conn.execute_query(f"UPDATE core_account SET kind = 'PROFESSIONAL' WHERE id = {mark}",
                             [clients.companies[1].id])
    second = "$2" if mark == "$1" else "?"
    await conn.execute_query(
        f"UPDATE core_account SET reseller_id = {mark} WHERE id = {second}",
        [other.id, clients.companies[2].id])
    assert await _kept() == await _counted()
    # A rolled-back transaction leaves the counts as they were.
    before = await _kept()
    with pytest.raises(RuntimeError):
        async with in_transaction():
            await add_account(tenant, AccountKind.COMPANY, "Annulé")
            raise RuntimeError("rollback")
    assert await _kept() == before
    # Deleted by raw SQL, as the purge or an operator does.
    gone = await Reseller.create(name="Partie", can="CAN-GONE-1")
    await Account.create(reseller=gone, kind=AccountKind.COMPANY, name="Partie", can="CAN-GONE-2",
                         email="partie@clients.test")
    assert (await _kept())[(gone.id, "COMPANY", "FREE_TRIAL")] == 1
    await conn.execute_query(f"DELETE FROM core_account WHERE reseller_id = {mark}", [gone.id])
    assert (gone.id, "COMPANY", "FREE_TRIAL") not in await _kept()
    assert await _kept() == await _counted()


async def test_a_missing_trigger_is_put_back_and_the_counts_redone(gateway: Gateway) -> None:
    clients = await make_clients()
    conn = connections.get("default")
    assert await counts.ensure() is False  # all in place: nothing to do
    await conn.execute_script("DROP TRIGGER clients_account_count_insert"
                              + (" ON core_account" if conn.capabilities.dialect == "postgres"
                                 else ""))
    await add_account(clients.tenant, AccountKind.COMPANY, "Sans déclencheur")
    assert await _kept() != await _counted()
    assert await counts.ensure() is True
    assert await _kept() == await _counted()
    await add_account(clients.tenant, AccountKind.COMPANY, "Avec déclencheur")
    assert await _kept() == await _counted()


async def test_totals_are_exact_with_and_without_the_counts(gateway: Gateway) -> None:
    clients = await make_clients()
    tenant = clients.tenant
    for n in range(7):
        await add_account(tenant, AccountKind.COMPANY, f"Total {n}",
                          status=[BillingStatus.FREE_TRIAL, BillingStatus.IN_PRODUCTION,
                                  BillingStatus.UNSUBSCRIBED][n % 3])
    headers = await bearer_for(tenant.admin)
    admin_headers = await bearer_for(await make_user(UserRole.SYSTEM_ADMIN))
    cases: list[dict[str, Any]] = [
        {}, {"status": "UNSUBSCRIBED"}, {"status": None}, {"billingStatus": "FREE_TRIAL"},
        {"billingStatus": "UNSUBSCRIBED"}, {"name": "total"},
        {"billingStatus": "IN_PRODUCTION", "name": "total"},
    ]
    for who in (headers, admin_headers):
        for case in cases:
            page = await _list(gateway, who, kind="COMPANY", filter=case, first=1)
            whole = await _list(gateway, who, kind="COMPANY", filter=case, first=100)
            assert page["totalCount"] == len(whole["nodes"]), case


async def _pages(gateway: Gateway, headers: dict[str, str], size: int,
                 **variables: Any) -> list[dict[str, Any]]:
    pages, after = [], None
    while True:
        page = await _list(gateway, headers, kind="COMPANY", first=size, after=after,
                           **variables)
        pages.append(page)
        if not page["pageInfo"]["hasNextPage"]:
            return pages
        after = page["pageInfo"]["endCursor"]


@pytest.mark.parametrize("order", [None, {"field": "NAME", "direction": "ASC"},
                                   {"field": "NAME", "direction": "DESC"},
                                   {"field": "ACCOUNT_NUMBER", "direction": "DESC"},
                                   {"field": "USER_COUNT", "direction": "ASC"},
                                   {"field": "EXTENSION", "direction": "ASC"}])
async def test_keyset_pages_walk_the_whole_list(gateway: Gateway,
                                                order: dict[str, str] | None) -> None:
    clients = await make_clients()
    for n in range(9):
        # Equal names and user counts: ties are broken by the account number.
        await add_account(clients.tenant, AccountKind.COMPANY, f"Même nom {n % 2}", users=n % 2)
    headers = await bearer_for(clients.tenant.admin)
    whole = await _list(gateway, headers, kind="COMPANY", order=order)
    pages = await _pages(gateway, headers, 3, order=order)
    assert [name for page in pages for name in _names(page)] == _names(whole)
    assert all(page["totalCount"] == whole["totalCount"] for page in pages)


async def test_a_cursor_stays_on_its_row_when_rows_come_and_go(gateway: Gateway) -> None:
    clients = await make_clients()
    headers = await bearer_for(clients.tenant.admin)
    order = {"field": "NAME", "direction": "ASC"}
    first = await _list(gateway, headers, kind="COMPANY", order=order, first=2)
    rest = _names(await _list(gateway, headers, kind="COMPANY", order=order,
                              after=first["pageInfo"]["endCursor"]))
    # Rows added before the cursor, and the first row removed: the next page is unchanged
    # (an offset would now skip or repeat rows).
    await add_account(clients.tenant, AccountKind.COMPANY, "0 premier")
    await add_account(clients.tenant, AccountKind.COMPANY, "00 premier")
    await Account.filter(name=_names(first)[0]).update(billing_status=BillingStatus.UNSUBSCRIBED)
    again = await _list(gateway, headers, kind="COMPANY", order=order,
                        after=first["pageInfo"]["endCursor"])
    assert _names(again) == rest


async def test_cursors_of_another_sort_and_forged_ones(gateway: Gateway) -> None:
    clients = await make_clients()
    headers = await bearer_for(clients.tenant.admin)
    by_name = await _list(gateway, headers, kind="COMPANY", first=2,
                          order={"field": "NAME", "direction": "ASC"})
    # Given with another sort, a cursor keeps its place in the list (its offset).
    by_number = await _list(gateway, headers, kind="COMPANY",
                            after=by_name["pageInfo"]["endCursor"])
    whole = await _list(gateway, headers, kind="COMPANY")
    assert _names(by_number) == _names(whole)[2:]
    # Forged: a text key for a numeric sort, a negative id, not JSON, another prefix.
    for payload in ('k:[0,"ACCOUNT_NUMBER",false,"1 OR 1=1",5]',
                    'k:[0,"NAME",false,"a",-1]', "k:nope", 'k:[0,"NAME",false,"a"]',
                    'k:[99999999999,"NAME",false,"a",1]', "o:-1"):
        cursor = base64.urlsafe_b64encode(payload.encode()).decode()
        result = await gateway.graphql(LIST, {"kind": "COMPANY", "after": cursor}, **headers)
        assert result["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", payload
    # An old offset cursor still works.
    old = base64.urlsafe_b64encode(b"o:1").decode()
    assert _names(await _list(gateway, headers, kind="COMPANY", after=old)) == \
        _names(whole)[2:]


async def test_a_keyset_cursor_holds_the_row_s_place_in_its_sort(gateway: Gateway) -> None:
    clients = await make_clients()
    headers = await bearer_for(clients.tenant.admin)
    page = await _list(gateway, headers, kind="COMPANY", first=1,
                       order={"field": "NAME", "direction": "ASC"})
    decoded = base64.urlsafe_b64decode(page["pageInfo"]["endCursor"]).decode()
    assert decoded.startswith("k:")
    offset, field, descending, key, row_id = json.loads(decoded[2:])
    assert (offset, field, descending) == (0, "NAME", False)
    assert key == _names(page)[0].lower() and row_id == page["nodes"][0]["accountNumber"]


# --- SQL statements per request -------------------------------------------------------------

ACCOUNT_READS = ("core_account", "clients_account_count")


def _reading(statements: list[str]) -> list[str]:
    return [s for s in statements if any(t in s for t in ACCOUNT_READS)
            and "core_session" not in s]


async def test_statements_of_a_page_do_not_grow_with_its_size_or_depth(
    gateway: Gateway, count_queries: QueryLog
) -> None:
    clients = await make_clients()
    for n in range(60):
        await add_account(clients.tenant, AccountKind.COMPANY, f"Rempli {n:02d}", users=n % 3)
    headers = await bearer_for(clients.tenant.admin)
    seen: dict[str, int] = {}
    # The plain tab in two orders, and a name keyword (its total counted by the filter).
    for order, keyword in ((None, None), ({"field": "NAME", "direction": "DESC"}, None),
                           (None, "rempli"), (None, "li 4")):
        where = {"filter": {"name": keyword}} if keyword else {}
        first = await _list(gateway, headers, kind="COMPANY", order=order, first=5, **where)
        for label, variables in (("5", {"first": 5}), ("50", {"first": 50}),
                                 ("deep", {"first": 5,
                                           "after": first["pageInfo"]["endCursor"]})):
            with count_queries() as statements:
                page = await _list(gateway, headers, kind="COMPANY", order=order, **where,
                                   **variables)
            totals = {None: 65, "rempli": 60, "li 4": 10}  # make_clients' five, and these
            assert page["nodes"] and page["totalCount"] == totals[keyword]
            reading = _reading(statements)
            # One statement: the rows, their users counted, and the total (from the counts
            # for the plain tab).
            assert len(reading) == 1, reading
            assert (counts.TABLE in reading[0]) == (keyword is None)
            seen[f"{order}-{keyword}-{label}"] = len(statements)
    assert len(set(seen.values())) == 1, seen


async def test_statements_of_a_filtered_page_and_of_the_export_count(
    gateway: Gateway, count_queries: QueryLog
) -> None:
    clients = await make_clients()
    headers = await bearer_for(clients.tenant.admin)
    with count_queries() as statements:
        await _list(gateway, headers, kind="PROFESSIONAL", filter={"search": "a"})
    reading = _reading(statements)
    assert len(reading) == 1 and counts.TABLE not in reading[0]  # counted by the filter
    with count_queries() as statements:
        total = await listing.count(listing.AccountListQuery(
            kind=AccountKind.COMPANY, reseller_id=clients.tenant.reseller.id))
    assert len(statements) == 1 and counts.TABLE in statements[0]
    assert total == await Account.filter(
        reseller_id=clients.tenant.reseller.id, kind=AccountKind.COMPANY,
        billing_status__not=BillingStatus.UNSUBSCRIBED).count()


MESSAGES = """query($id: ID!, $first: Int) { accountMessages(accountId: $id, first: $first) {
  totalCount nodes { id subject } } }"""
PURGE = """query($first: Int) { purgePreview(first: $first) { totalCount nodes { name } } }"""


async def test_statements_of_the_other_lists_do_not_grow_with_the_page(
    gateway: Gateway, count_queries: QueryLog
) -> None:
    clients = await make_clients()
    tenant = clients.tenant
    account = clients.companies[0]
    for n in range(12):
        await AccountMessage.create(reseller=tenant.reseller, account=account,
                                    kind=MessageKind.CUSTOM, status=MessageStatus.SENT,
                                    to_address="a@clients.test", subject=f"Sujet {n}")
    headers = await bearer_for(tenant.admin)
    admin = await bearer_for(await make_user(UserRole.SYSTEM_ADMIN))
    for query, variables, who in ((MESSAGES, {"id": str(account.id)}, headers),
                                  (PURGE, {}, admin)):
        sizes = {}
        for first in (1, 10):
            with count_queries() as statements:
                result = await gateway.graphql(query, {**variables, "first": first}, **who)
            assert "errors" not in result, result
            sizes[first] = len(statements)
        assert sizes[1] == sizes[10], (query, sizes)
