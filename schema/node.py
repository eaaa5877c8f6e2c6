"""The Relay ``Node`` interface and the root ``node(id:)`` field, scoped like everything else."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry import relay

from schema.permissions import SIGNED_IN, allow

Node = relay.Node
GlobalID = relay.GlobalID


def _node_type(info: strawberry.Info, type_name: str) -> Any:
    """The concrete Node type of that GraphQL name; None for an unknown type, a type that is
    not a Node, or an interface (``Node`` itself cannot resolve anything)."""
    definition = info.schema.get_type_by_name(type_name)
    origin = getattr(definition, "origin", None)
    if origin is None or not isinstance(origin, type) or not issubclass(origin, relay.Node):
        return None
    if getattr(definition, "is_interface", False):
        return None
    return origin


@strawberry.type
class NodeQuery:
    @strawberry.field(
        extensions=allow(*SIGNED_IN),
        description="Any object by its global id; another tenant's object is null (not found).",
    )
    async def node(self, info: strawberry.Info, id: strawberry.ID) -> relay.Node | None:
        try:
            global_id = relay.GlobalID.from_id(id)
        except Exception:  # a malformed id is simply not found
            return None
        node_type = _node_type(info, global_id.type_name)
        if node_type is None:
            return None
        result = node_type.resolve_nodes(info=info, node_ids=[global_id.node_id], required=False)
        if hasattr(result, "__await__"):
            result = await result
        found = list(result)
        return found[0] if found else None
