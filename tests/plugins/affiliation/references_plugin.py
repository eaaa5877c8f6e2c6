"""A test plugin standing in for the future groups and call-forwarding plugins: it implements
``gateway_extension_references`` over ``GROUPS``, which the tests fill."""

from __future__ import annotations

from typing import Any

from gateway.hookimpl import hookimpl
from gateway.i18n import Text

# account id -> (kind, label) -> the extensions it sends calls to
GROUPS: dict[int, dict[tuple[str, str], list[str]]] = {}
FAIL: list[bool] = [False]
calls: list[tuple[list[int], list[str]]] = []


def reset() -> None:
    GROUPS.clear()
    FAIL[0] = False
    calls.clear()


@hookimpl
async def gateway_extension_references(account_ids: Any, extensions: Any) -> Any:
    calls.append((list(account_ids), list(extensions)))
    if FAIL[0]:
        raise RuntimeError("the groups table is not there")
    wanted = set(extensions)
    return [
        {"account_id": account_id, "extension": extension, "kind": kind,
         "message": Text(en=f"{label} sends calls to {extension}.",
                         fr=f"{label} achemine des appels au poste {extension}.")}
        for account_id in account_ids
        for (kind, label), targets in sorted(GROUPS.get(account_id, {}).items())
        for extension in targets if extension in wanted
    ]
