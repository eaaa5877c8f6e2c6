"""Per-request DataLoaders of the core's account fields (one SQL query per batch), so an
account's ``userCount`` or ``extension`` read on many nodes outside a list page that prefetched
them (the audit log, delegate candidates, ``node``) costs one query, not one per node."""

from __future__ import annotations

from typing import Any

from strawberry.dataloader import DataLoader
from tortoise.functions import Count

from gateway.identity.models import User, UserRole


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
    return {
        "core.account_user_count": DataLoader(load_fn=lambda ids: _user_counts(list(ids))),
        "core.account_extension": DataLoader(load_fn=lambda ids: _extensions(list(ids))),
    }
