"""Standard descriptions of what means the same everywhere in the schema, given in one place.

Plugins describe their own types, fields and arguments. What follows a shared convention is
described here, once, for every plugin: the Relay connections and edges built from
``schema.pagination`` (named after their node type), the ``first``/``after``/``orderBy``
arguments of every list, a mutation's ``input`` argument and its payload's ``errors``, the
``id`` of every ``Node``, the root types, the shared error codes and the built-in scalars
strawberry describes too tersely. :func:`describe_conventions` runs on the built schema and
only fills what is still empty: a plugin's own description always wins (only strawberry's
terse ``Date`` is replaced).

:func:`describe_enum_values` describes the values of an enum that cannot carry
``strawberry.enum_value``s (a model's ``StrEnum``, an area's error codes).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import TypeVar

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLType,
)

E = TypeVar("E", bound=type[Enum])

ROOT_TYPES = {
    "Query": "What can be read: each field says who may call it (an API token also needs the "
    "scope of the field's area).",
    "Mutation": "What can be changed: each mutation says who may call it and answers a payload "
    "whose `errors` tell why nothing was done.",
    "Subscription": "Events pushed over a WebSocket (graphql-transport-ws) while the "
    "subscription is open; each field says who may subscribe.",
}

# schema.pagination.DEFAULT_PAGE_SIZE (not imported: schema.permissions, which this module's
# describe_enum_values serves, is imported by what schema.pagination imports).
FIRST = ("How many items to return from the start (or from `after`): 20 when left out; more "
         "than the server's maximum page size (100 unless configured) is refused.")
AFTER = ("Return the items after this cursor: the previous page's `pageInfo.endCursor` (or an "
         "edge's `cursor`); leave out for the first page.")
ORDER_BY = "How to sort the list; the list's default order when left out."
INPUT = "What the mutation needs, as one input object; a bad value is answered in `errors`."
PAYLOAD_ERRORS = ("Why nothing was done (each with a code, the input field at fault and a "
                  "message in the caller's language); empty when the mutation succeeded.")
NODE_ID = "Global ID of this object (opaque); `node(id:)` fetches it back."

CONNECTION_FIELDS = {
    "edges": "The items of this page in the list's order, each with its cursor.",
    "nodes": "The items of this page without their cursors (the same as the edges' nodes).",
    "pageInfo": "Where this page lies in the list: the cursors of its ends and whether more "
    "items follow or precede it.",
    "totalCount": "How many items the whole list holds (every page, with the same filters).",
}
EDGE_FIELDS = {
    "node": "The item at this position of the list.",
    "cursor": "Opaque position of this item in the list; pass it as `after` to get the items "
    "that follow it.",
}

# Codes the core's shared helpers raise with one meaning in every area (gateway.problems,
# gateway.validation); an area's own codes are described by the area.
SHARED_ERROR_CODES = {
    "NOT_FOUND": "No such object, or not one the caller may see (another tenant's IDs are not "
    "found either).",
    "REQUIRED": "A required value is missing or blank.",
    "TOO_LONG": "A text is longer than allowed; the message gives the maximum.",
}

SCALARS = {
    "Date": "A calendar day, ISO 8601 (e.g. 2026-11-23), with no time of day or time zone.",
}


def describe_enum_values(enum: E, descriptions: Mapping[str, str],
                         description: str | None = None) -> E:
    """Describe the values of ``enum``, already a GraphQL enum (``strawberry.enum(...)`` or an
    ``error_type``'s codes), by member name: for an enum that is not the schema's own (a model's
    ``StrEnum``), whose members cannot be ``strawberry.enum_value``s. Every name must be a
    member; ``description`` describes the enum itself when it has no description yet; returns
    ``enum``::

        strawberry.enum(BillingStatus, name="BillingStatus", description="...")
        describe_enum_values(BillingStatus, {"FREE_TRIAL": "...", ...})
    """
    definition = getattr(enum, "__strawberry_definition__", None)
    if definition is None:
        raise TypeError(f"{enum.__name__} is not a GraphQL enum yet: strawberry.enum it first")
    if description is not None and not definition.description:
        definition.description = description
    values = {value.name: value for value in definition.values}
    unknown = sorted(set(descriptions) - set(values))
    if unknown:
        raise KeyError(f"{enum.__name__} has no member {', '.join(unknown)}")
    for name, description in descriptions.items():
        values[name].description = description
    return enum


def describe_conventions(schema: GraphQLSchema) -> None:
    """Fill the standard descriptions of ``schema`` (a graphql-core schema, changed in place)
    wherever they are still missing."""
    for name, named in schema.type_map.items():
        if name.startswith("__"):
            continue
        if name in ROOT_TYPES:
            _fill_type(named, ROOT_TYPES[name])
        if isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
            _describe_fields(named)
        if isinstance(named, GraphQLEnumType) and name.endswith("ErrorCode"):
            for value_name, value in named.values.items():
                if not value.description and value_name in SHARED_ERROR_CODES:
                    value.description = SHARED_ERROR_CODES[value_name]
        if isinstance(named, GraphQLScalarType) and name in SCALARS:
            # Strawberry's own (e.g. "Date (isoformat)") says too little.
            named.description = SCALARS[name]


def _fill_type(named: GraphQLNamedType, description: str) -> None:
    if not named.description:
        named.description = description


def _describe_fields(named: GraphQLObjectType | GraphQLInterfaceType) -> None:
    fields = named.fields
    node_type = _connection_node(named)
    if node_type is not None:
        _fill_type(named, f"One page of a list of {node_type} (a Relay cursor connection); "
                   "ask for the next page with `after: pageInfo.endCursor`.")
        _fill_fields(fields, CONNECTION_FIELDS)
    edge_node = _edge_node(named)
    if edge_node is not None:
        _fill_type(named, f"One {edge_node} in a page of a list, with its cursor.")
        _fill_fields(fields, EDGE_FIELDS)
    if isinstance(named, GraphQLObjectType) and any(
        interface.name == "Node" for interface in named.interfaces
    ):
        _fill_fields(fields, {"id": NODE_ID})
    if named.name.endswith("Payload") and "errors" in fields:
        _fill_fields(fields, {"errors": PAYLOAD_ERRORS})
    for field in fields.values():
        _describe_arguments(named.name, field)


def _fill_fields(fields: dict[str, GraphQLField], descriptions: dict[str, str]) -> None:
    for name, description in descriptions.items():
        if name in fields and not fields[name].description:
            fields[name].description = description


def _describe_arguments(type_name: str, field: GraphQLField) -> None:
    for name, argument in field.args.items():
        if argument.description:
            continue
        named = _named(argument.type)
        if name == "first" and named.name == "Int":
            argument.description = FIRST
        elif name == "after" and named.name == "String":
            argument.description = AFTER
        elif name == "orderBy":
            argument.description = ORDER_BY
        elif (name == "input" and type_name == "Mutation"
              and isinstance(named, GraphQLInputObjectType)):
            argument.description = INPUT


def _connection_node(named: GraphQLObjectType | GraphQLInterfaceType) -> str | None:
    """The node type's name when ``named`` is a connection (edges, pageInfo, totalCount)."""
    fields = named.fields
    if not named.name.endswith("Connection") or not {"edges", "pageInfo"} <= set(fields):
        return None
    edge = _named(fields["edges"].type)
    if not isinstance(edge, GraphQLObjectType) or "node" not in edge.fields:
        return None
    return _named(edge.fields["node"].type).name


def _edge_node(named: GraphQLObjectType | GraphQLInterfaceType) -> str | None:
    """The node type's name when ``named`` is an edge (node and cursor)."""
    fields = named.fields
    if not named.name.endswith("Edge") or not {"node", "cursor"} <= set(fields):
        return None
    return _named(fields["node"].type).name


def _named(graphql_type: GraphQLType) -> GraphQLNamedType:
    while isinstance(graphql_type, GraphQLNonNull | GraphQLList):
        graphql_type = graphql_type.of_type
    assert isinstance(graphql_type, GraphQLNamedType)
    return graphql_type
