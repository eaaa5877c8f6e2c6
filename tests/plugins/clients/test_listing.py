"""The Compagnies and Professionnels lists: every column, keyword filters, the status
drop-down, sorting on every column both ways, pages, tenancy, and one SQL statement a page."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.identity.models import AccountKind, UserRole
from gateway.observability import request_id_var
from plugins.clients import listing
from tests.conftest import Gateway
from tests.plugins.clients.conftest import StatementLog
from tests.plugins.clients.factory import ACCOUNT_FIELDS, add_account, make_clients
from tests.support.identity_factory import bearer_for, make_user

LIST = f"""query($kind: AccountKind!, $filter: AccountFilter, $order: AccountOrder,
                 $first: Int, $after: String) {{
  accounts(kind: $kind, filter: $filter, orderBy: $order, first: $first, after: $after) {{
    totalCount
    pageInfo {{ hasNextPage endCursor }}
    nodes {{ {ACCOUNT_FIELDS} }}
  }}
}}"""


async def _list(gateway: Gateway, headers: dict[str, str], **variables: Any) -> dict[str, Any]:
    """One ``accounts`` page (first: 100 unless told)."""
    variables.setdefault("first", 100)
    result = await gateway.graphql(LIST, variables, **headers)
    assert "errors" not in result, result
    return result["data"]["accounts"]


def _names(page: dict[str, Any]) -> list[str]:
    return [node["name"] for node in page["nodes"]]


async def test_company_rows_carry_every_column_of_the_seed(gateway: Gateway) -> None:
    clients = await make_clients()
    headers = await bearer_for(clients.tenant.admin)
    page = await _list(gateway, headers, kind="COMPANY")
    rows = {node["name"]: node for node in page["nodes"]}
    acme, charlie = clients.companies[0], clients.companies[3]
    assert rows["Charlie ACME"] == {
        "id": rows["Charlie ACME"]["id"],
        "accountNumber": charlie.id,
        "name": "Charlie ACME",
        "orgId": acme.id,  # affiliated: ORGID is the organisation's id
        "userCount": 2,
        "can": charlie.can,
        "phoneNumber": "+15145550199",
        "receptionistNumber": "+15145550199",
        "language": "fr",
        "timeZone": "America/Toronto",
        "billingStatus": "BILLING_SUSPENDED",
        "extension": None,
    }
    assert rows["acme Plomberie"]["orgId"] == acme.id  # unaffiliated: its own id
    assert rows["acme Plomberie"]["userCount"] == 3
    # The make_tenant company: its admin and its employee.
    assert rows[clients.tenant.company.name]["userCount"] == 2
    # Active by default: the unsubscribed company is not on the list.
    assert "Delta Désabonné" not in rows
    assert page["totalCount"] == 5


async def test_professional_rows_show_the_extension(gateway: Gateway) -> None:
    clients = await make_clients()
    page = await _list(gateway, await bearer_for(clients.tenant.admin), kind="PROFESSIONAL")
    rows = {node["name"]: node for node in page["nodes"]}
    assert rows["Dr Acme"]["extension"] == "205"
    assert rows["Me Bouchard"]["extension"] == "101"
    assert rows["Dre Tremblay"]["extension"] is None
    assert {node["userCount"] for node in page["nodes"]} == {1}
    assert rows["Dr Acme"]["language"] == "en"


@pytest.mark.parametrize(
    ("kind", "filter", "expected"),
    [
        ("COMPANY", {"name": "ACME"}, {"acme Plomberie", "Charlie ACME"}),
        ("COMPANY", {"name": "bravo"}, {"Bravo Inc", "bravo inc"}),
        ("COMPANY", {"userCount": 0}, {"bravo inc"}),
        ("COMPANY", {"phoneNumber": "(514) 555"}, {"acme Plomberie", "Charlie ACME"}),
        ("COMPANY", {"phoneNumber": "418-555-0102"}, {"Bravo Inc"}),
        ("COMPANY", {"language": "EN"}, {"acme Plomberie"}),
        ("COMPANY", {"billingStatus": "FREE_TRIAL"}, {"acme Plomberie", "<tenant company>"}),
        ("COMPANY", {"search": "acme"}, {"acme Plomberie", "Charlie ACME"}),
        ("COMPANY", {"search": "418555"}, {"Bravo Inc"}),
        ("COMPANY", {"name": "100%"}, set()),  # % is a character, not a wildcard
        ("COMPANY", {"name": "_"}, set()),
        ("PROFESSIONAL", {"extension": "20"}, {"Dr Acme"}),
        ("PROFESSIONAL", {"search": "101"}, {"Me Bouchard"}),
        ("PROFESSIONAL", {"name": "acme", "language": "en"}, {"Dr Acme"}),
        ("PROFESSIONAL", {"name": "acme", "language": "fr"}, set()),
    ],
)
async def test_keyword_filter_per_column(
    gateway: Gateway, kind: str, filter: dict[str, Any], expected: set[str]
) -> None:
    clients = await make_clients()
    page = await _list(gateway, await bearer_for(clients.tenant.admin), kind=kind,
                       filter=filter)
    expected = {clients.tenant.company.name if name == "<tenant company>" else name
                for name in expected}
    assert set(_names(page)) == expected
    assert page["totalCount"] == len(expected)


async def test_keyword_filters_on_numbers_and_codes(gateway: Gateway) -> None:
    clients = await make_clients()
    headers = await bearer_for(clients.tenant.admin)
    acme, charlie = clients.companies[0], clients.companies[3]
    by_cid = await _list(gateway, headers, kind="COMPANY",
                         filter={"accountNumber": str(charlie.id)})
    assert charlie.name in _names(by_cid)
    by_org = await _list(gateway, headers, kind="COMPANY", filter={"orgId": str(acme.id)})
    assert {"acme Plomberie", "Charlie ACME"} <= set(_names(by_org))
    by_can = await _list(gateway, headers, kind="COMPANY",
                         filter={"can": charlie.can[-4:].lower()})
    assert _names(by_can) == ["Charlie ACME"]


async def test_status_drop_down(gateway: Gateway) -> None:
    clients = await make_clients()
    headers = await bearer_for(clients.tenant.admin)
    unsubscribed = await _list(gateway, headers, kind="COMPANY",
                               filter={"status": "UNSUBSCRIBED"})
    assert _names(unsubscribed) == ["Delta Désabonné"]
    assert unsubscribed["nodes"][0]["billingStatus"] == "UNSUBSCRIBED"
    both = await _list(gateway, headers, kind="COMPANY", filter={"status": None})
    assert both["totalCount"] == 6
    searched = await _list(gateway, headers, kind="COMPANY",
                           filter={"search": "delta", "status": "UNSUBSCRIBED"})
    assert _names(searched) == ["Delta Désabonné"]


SORT_KEYS = {
    "ACCOUNT_NUMBER": lambda n: n["accountNumber"],
    "NAME": lambda n: n["name"].lower(),
    "ORG_ID": lambda n: n["orgId"],
    "USER_COUNT": lambda n: n["userCount"],
    "CAN": lambda n: n["can"],
    "PHONE_NUMBER": lambda n: n["receptionistNumber"] or "",
    "LANGUAGE": lambda n: n["language"],
    "EXTENSION": lambda n: n["extension"] or "",
    "BILLING_STATUS": lambda n: n["billingStatus"],
}


@pytest.mark.parametrize("kind", ["COMPANY", "PROFESSIONAL"])
async def test_sorting_on_every_column_both_ways(gateway: Gateway, kind: str) -> None:
    clients = await make_clients()
    headers = await bearer_for(clients.tenant.admin)
    everything = {"status": None}
    rows = (await _list(gateway, headers, kind=kind, filter=everything))["nodes"]
    assert len(rows) >= 3
    for field, key in SORT_KEYS.items():
        expected = [n["accountNumber"] for n in sorted(
            rows, key=lambda n: (key(n), n["accountNumber"]))]  # noqa: B023
        for direction in ("ASC", "DESC"):
            page = await _list(gateway, headers, kind=kind, filter=everything,
                               order={"field": field, "direction": direction})
            got = [n["accountNumber"] for n in page["nodes"]]
            want = expected if direction == "ASC" else expected[::-1]
            assert got == want, (field, direction)


async def test_sorting_ties_are_broken_by_the_account_number(gateway: Gateway) -> None:
    clients = await make_clients()
    bravo_upper, bravo_lower = clients.companies[1], clients.companies[2]
    page = await _list(gateway, await bearer_for(clients.tenant.admin), kind="COMPANY",
                       filter={"name": "bravo"}, order={"field": "NAME", "direction": "ASC"})
    assert [n["accountNumber"] for n in page["nodes"]] == [bravo_upper.id, bravo_lower.id]


async def test_pages_follow_each_other(gateway: Gateway) -> None:
    clients = await make_clients()
    headers = await bearer_for(clients.tenant.admin)
    order = {"field": "NAME", "direction": "ASC"}
    first = await _list(gateway, headers, kind="COMPANY", order=order, first=2)
    assert first["totalCount"] == 5 and first["pageInfo"]["hasNextPage"]
    second = await _list(gateway, headers, kind="COMPANY", order=order, first=2,
                         after=first["pageInfo"]["endCursor"])
    third = await _list(gateway, headers, kind="COMPANY", order=order, first=2,
                        after=second["pageInfo"]["endCursor"])
    assert not third["pageInfo"]["hasNextPage"]
    whole = await _list(gateway, headers, kind="COMPANY", order=order)
    assert _names(first) + _names(second) + _names(third) == _names(whole)
    assert third["totalCount"] == 5
    past_the_end = await _list(gateway, headers, kind="COMPANY", order=order, first=2,
                               after=third["pageInfo"]["endCursor"])
    assert past_the_end["nodes"] == [] and past_the_end["totalCount"] == 5


async def test_each_reseller_sees_its_own_accounts_and_system_admins_all(
    gateway: Gateway,
) -> None:
    alpha = await make_clients("Alpha")
    beta = await make_clients("Beta")
    alpha_names = set(_names(await _list(gateway, await bearer_for(alpha.tenant.admin),
                                         kind="COMPANY")))
    assert alpha.tenant.company.name in alpha_names
    assert beta.tenant.company.name not in alpha_names
    admin = await make_user(UserRole.SYSTEM_ADMIN)
    everyone = await _list(gateway, await bearer_for(admin), kind="COMPANY")
    assert everyone["totalCount"] == 10
    # An integrator token of beta sees beta's only.
    from gateway.identity.models import ApiToken
    from gateway.identity.secrets import API_TOKEN_PREFIX, new_token, token_digest

    token = new_token(API_TOKEN_PREFIX)
    await ApiToken.create(reseller=beta.tenant.reseller, name="crm", prefix=token[:8],
                          token_hash=token_digest(token))
    integrator = await _list(gateway, {"Authorization": f"Bearer {token}"}, kind="COMPANY")
    assert beta.tenant.company.name in _names(integrator)
    assert alpha.tenant.company.name not in _names(integrator)


async def test_subscribers_and_strangers_cannot_list(gateway: Gateway) -> None:
    clients = await make_clients()
    for user in (clients.tenant.company_admin, clients.tenant.professional):
        result = await gateway.graphql(LIST, {"kind": "COMPANY"}, **await bearer_for(user))
        assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    anonymous = await gateway.graphql(LIST, {"kind": "COMPANY"})
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def _list_statements(statements: list[str]) -> list[str]:
    return [s for s in statements if "core_account" in s and "core_session" not in s]


async def test_one_statement_per_page_whatever_its_size(
    gateway: Gateway, sql_log: StatementLog
) -> None:
    clients = await make_clients()
    tenant = clients.tenant
    for n in range(60):
        await add_account(tenant, AccountKind.COMPANY, f"Filler {n:02d}", users=n % 3,
                          phone=f"+1514555{n:04d}")
    headers = await bearer_for(tenant.admin)
    counts = {}
    for size in (5, 50):
        sql_log.watch(f"page-of-{size}")
        page = await _list(gateway, {**headers, "X-Request-ID": f"page-of-{size}"},
                           kind="COMPANY", first=size,
                           order={"field": "USER_COUNT", "direction": "DESC"})
        assert len(page["nodes"]) == size
        counts[size] = len(sql_log.statements)
        # The page itself: one statement that reads accounts, counts users, and totals.
        reading = _list_statements(sql_log.statements)
        assert len(reading) == 1, reading
        assert "AS total_count" in reading[0]  # the total comes with the page
    assert counts[5] == counts[50]

    sql_log.watch("direct")
    token = request_id_var.set("direct")
    try:
        query = listing.AccountListQuery(kind=AccountKind.PROFESSIONAL,
                                         reseller_id=tenant.reseller.id, search="a")
        rows, total = await listing.fetch_page(query, 0, 50)
    finally:
        request_id_var.reset(token)
    assert len(sql_log.statements) == 1
    assert total == len(rows) and all("extension" in row for row in rows)
