"""The Relay ``Node`` interface and the root ``node(id:)`` field, scoped like everything else."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry import relay

from schema.permissions import SIGNED_IN, allow

Node = relay.Node
GlobalID = relay.GlobalID

# The largest primary key an integer column holds on PostgreSQL (IntField): a larger number
# names no row, and handing it to the database driver fails with an overflow.
MAX_DATABASE_ID = 2**31 - 1


def database_id(value: object) -> int | None:
    """``value`` (a node id or a plain CID/UID, as text) as a primary key, or None when it
    cannot be one, which callers answer as "not found": only ASCII digits ("²".isdigit() is
    true, yet int() refuses it) of a number an integer column holds."""
    text = str(value)
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(MAX_DATABASE_ID)):
        return None
    number = int(text)
    return number if number <= MAX_DATABASE_ID else None


def object_pk(raw: Any, type_name: str) -> int | None:
    """The primary key that ``raw`` names: a plain number (the seeds show CIDs and UIDs) or a
    global id of ``type_name``; None for anything else, which callers answer as "not found"."""
    text = str(raw).strip()
    number = database_id(text)
    if number is not None:
        return number
    try:
        global_id = relay.GlobalID.from_id(text)
    except Exception:
        return None
    return database_id(global_id.node_id) if global_id.type_name == type_name else None


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
        if str(global_id.node_id).isdigit() and database_id(global_id.node_id) is None:
            return None  # a number no row can have: not found, before any type parses it
        result = node_type.resolve_nodes(info=info, node_ids=[global_id.node_id], required=False)
        if hasattr(result, "__await__"):
            result = await result
        found = list(result)
        return found[0] if found else None
