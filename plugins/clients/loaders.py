"""Per-request DataLoaders of the clients plugin (one SQL query per batch, in key order)."""

from __future__ import annotations

from typing import Any

from strawberry.dataloader import DataLoader

from gateway.contributions import Principal
from gateway.identity import scoping
from gateway.identity.types import ACCOUNT_COLUMNS, AccountNode


async def _accounts(principal: Principal | None, ids: list[int]) -> list[AccountNode | None]:
    rows = await scoping.accounts_visible(principal).filter(id__in=list(set(ids))).values(
        *ACCOUNT_COLUMNS)
    found = {row["id"]: AccountNode.from_row(row) for row in rows}
    return [found.get(i) for i in ids]


def loaders(context: Any) -> dict[str, DataLoader[Any, Any]]:
    principal = context.principal
    return {
        "clients.account": DataLoader(load_fn=lambda ids: _accounts(principal, list(ids))),
    }
