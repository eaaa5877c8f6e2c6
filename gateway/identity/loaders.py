"""Per-request DataLoaders of the core (one SQL query per batch, in key order): accounts as
nodes scoped to the caller, and the account fields a list page did not prefetch, so reading
them on many nodes (the audit log, delegate candidates, ``node``) costs one query, not one
per node."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.dataloader import DataLoader
from tortoise.functions import Count

from gateway.contributions import Principal
from gateway.identity import scoping
from gateway.identity.models import User, UserRole
from gateway.identity.types import ACCOUNT_COLUMNS, AccountNode

ACCOUNT = "core.account"


async def _accounts(principal: Principal | None, ids: list[int]) -> list[AccountNode | None]:
    rows = await scoping.accounts_visible(principal).filter(id__in=list(set(ids))).values(
        *ACCOUNT_COLUMNS)
    found = {row["id"]: AccountNode.from_row(row) for row in rows}
    return [found.get(i) for i in ids]


async def _user_counts(account_ids: list[int]) -> list[int]:
    rows = await User.filter(account_id__in=set(account_ids)).group_by("account_id").annotate(
        n=Count("id")).values("account_id", "n")
    counts = {row["account_id"]: row["n"] for row in rows}
    return [int(counts.get(i, 0)) for i in account_ids]


async def _extensions(account_ids: list[int]) -> list[str | None]:
    rows = await User.filter(account_id__in=set(account_ids), role=UserRole.PROFESSIONAL
                             ).order_by("-id").values_list("account_id", "extension")
    first: dict[int, str | None] = {}
    for account_id, extension in rows:  # the lowest id last: it wins
        first[account_id] = extension
    return [first.get(i) for i in account_ids]


def loaders(context: Any) -> dict[str, DataLoader[Any, Any]]:
    principal = context.principal
    return {
        ACCOUNT: DataLoader(load_fn=lambda ids: _accounts(principal, list(ids))),
        "core.account_user_count": DataLoader(load_fn=lambda ids: _user_counts(list(ids))),
        "core.account_extension": DataLoader(load_fn=lambda ids: _extensions(list(ids))),
    }


def account_loader(info: strawberry.Info) -> DataLoader[int, AccountNode | None]:
    """The request's accounts by id, scoped like every read: one query for a whole page."""
    loader: DataLoader[int, AccountNode | None] = info.context.loaders[ACCOUNT]
    return loader
