"""The list's raw rows converted by ``listing.to_python`` are what the ORM gives for the same
accounts, column by column and type by type (enums, moments of every kind, nulls), on both
databases: the list reads plain SQL for speed and must not drift from the models."""

from __future__ import annotations

import datetime as dt
from typing import Any

from gateway.identity.models import ACCOUNT_COLUMNS, Account, AccountKind, BillingStatus
from plugins.clients import listing
from tests.conftest import Gateway
from tests.plugins.clients.factory import make_clients


async def test_converted_rows_are_the_orms_values(gateway: Gateway) -> None:
    clients = await make_clients()
    reseller = clients.tenant.reseller.id
    trial = clients.companies[0]
    # A trial end with microseconds, another zone's offset, a whole second: each kept exact.
    trial.trial_ends_at = dt.datetime(2027, 3, 1, 4, 5, 6, 789, tzinfo=dt.UTC)
    await trial.save(update_fields=["trial_ends_at"])
    other = clients.companies[1]
    other.trial_ends_at = dt.datetime(2027, 1, 2, 3, 4, 5,
                                      tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    await other.save(update_fields=["trial_ends_at"])
    for kind in (AccountKind.COMPANY, AccountKind.PROFESSIONAL):
        query = listing.AccountListQuery(kind=kind, reseller_id=reseller, status=None)
        rows, total = await listing.fetch_page(query, 0, 100)
        orm = {row["id"]: row for row in await Account.filter(
            reseller_id=reseller, kind=kind).values(*ACCOUNT_COLUMNS)}
        assert total == len(orm) == len(rows) > 0
        for row in rows:
            expected: dict[str, Any] = orm[row["id"]]
            for column in ACCOUNT_COLUMNS:
                assert row[column] == expected[column], column
                assert type(row[column]) is type(expected[column]), column
                if isinstance(expected[column], dt.datetime):
                    assert row[column].utcoffset() == expected[column].utcoffset(), column
                    assert str(row[column].tzinfo) == str(expected[column].tzinfo), column
    converted = listing.to_python({"billing_status": "FREE_TRIAL", "kind": "COMPANY",
                                   "created_at": "2026-12-08 02:37:02.796150+00:00",
                                   "trial_ends_at": None, "user_count": "3"})
    assert converted["billing_status"] is BillingStatus.FREE_TRIAL
    assert converted["created_at"] == dt.datetime(2026, 12, 8, 2, 37, 2, 796150, tzinfo=dt.UTC)
    assert converted["trial_ends_at"] is None and converted["user_count"] == 3


async def test_a_list_rows_node_is_what_its_init_builds(gateway: Gateway) -> None:
    """``account_node`` sets the node's fields without ``AccountNode.__init__``: the same
    fields, the same values, none left out (a field added to the node fails here)."""
    import dataclasses

    from gateway.identity.types import AccountNode
    from plugins.clients.schema import account_node

    clients = await make_clients()
    query = listing.AccountListQuery(kind=AccountKind.COMPANY,
                                     reseller_id=clients.tenant.reseller.id, status=None)
    rows, _ = await listing.fetch_page(query, 0, 100)
    assert {f.name for f in dataclasses.fields(AccountNode) if f.init} == {
        *ACCOUNT_COLUMNS, "prefetched"}
    assert not hasattr(AccountNode, "__post_init__")
    for row in rows:
        built = AccountNode(**{k: row[k] for k in ACCOUNT_COLUMNS},
                            prefetched={"user_count": row["user_count"],
                                        "extension": row["extension"]})
        fast = account_node(row)
        assert type(fast) is AccountNode and fast == built and vars(fast) == vars(built)
        assert fast.org_id() == built.org_id() and fast.account_number() == row["id"]
