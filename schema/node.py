"""The Relay ``Node`` interface, the root ``node(id:)`` field scoped like everything else, and
the pieces every area's nodes share: :class:`RowNode`, :func:`node_pk`, :func:`global_id`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any, ClassVar, Self

import strawberry
from strawberry import relay
from tortoise.queryset import QuerySet

from gateway.contributions import Principal
from gateway.i18n import Text
from gateway.problems import NOT_FOUND, Field, Problem
from gateway.roles import SIGNED_IN
from gateway.validation import MAX_DATABASE_ID, database_id  # noqa: F401  (shared with nodes)
from schema.permissions import allow

Node = relay.Node
GlobalID = relay.GlobalID


def object_pk(raw: Any, type_name: str, *, plain: bool = True) -> int | None:
    """The primary key that ``raw`` names: a global id of ``type_name`` or, unless ``plain`` is
    false, a plain number (the seeds show CIDs and UIDs); None for anything else, which callers
    answer as "not found"."""
    text = str(raw).strip()
    number = database_id(text)
    if number is not None:
        return number if plain else None
    try:
        global_id = relay.GlobalID.from_id(text)
    except Exception:
        return None
    return database_id(global_id.node_id) if global_id.type_name == type_name else None


MALFORMED_ID = Text(
    en="{value} is not an id of {type_name}: ids are the id field of a {type_name} read "
       "from this API{plain}.",
    fr="{value} n'est pas un identifiant de {type_name} : les identifiants sont le champ id "
       "d'un {type_name} lu dans cette API{plain_fr}.",
)


def listed_pk(raw: Any, type_name: str, field: Field | None = None, *,
              plain: bool = True) -> int:
    """The row id a list's filter names, for a query field: a malformed id (neither a number
    nor a global id ``Type:number``) raises ``BAD_USER_INPUT`` at ``field``, rather than
    answering an empty list that looks like "nothing there". A well-formed id of no row the
    caller may see is -1, which finds nothing (not found, as another tenant's id is): a global
    id of another type, a number no row can have, a plain number where ``plain`` is false."""
    text = str(raw).strip()
    if text.isdigit():
        return (database_id(text) or -1) if plain else -1
    try:
        named = relay.GlobalID.from_id(text)
    except Exception:
        named = None
    if named is None or not named.type_name or not str(named.node_id).isdigit():
        shown = text if len(text) <= 40 else text[:39] + "…"
        raise Problem("BAD_USER_INPUT", MALFORMED_ID, field, value=repr(shown),
                      type_name=type_name,
                      plain=" or its plain number" if plain else "",
                      plain_fr=" ou son numéro" if plain else "")
    if named.type_name != type_name:
        return -1
    return database_id(named.node_id) or -1


def node_pk(raw: Any, type_name: str, field: Field | None = None,
            text: Text = NOT_FOUND, *, plain: bool = True) -> int:
    """The row id behind ``raw`` (a global id of ``type_name`` or, unless ``plain`` is false, a
    plain number); anything else raises the ``NOT_FOUND`` problem at ``field``, with ``text``
    as its message."""
    number = object_pk(raw, type_name, plain=plain)
    if number is None:
        raise Problem("NOT_FOUND", text, field)
    return number


def global_id(type_name: str, pk: int) -> strawberry.ID:
    """The global id of row ``pk`` of the node type ``type_name``."""
    return strawberry.ID(relay.to_base64(type_name, pk))


class RowNode(relay.Node):
    """A Node read as plain rows of one query: ``visible`` scopes it to the caller (another
    tenant's id is simply not found), ``COLUMNS`` selects, ``from_row`` builds.

    A subclass declares ``id: relay.NodeID[int]``, its fields, ``COLUMNS`` and ``visible``;
    ``from_row`` takes the row's values for the fields of the same name, and may be
    overridden for computed or private fields."""

    COLUMNS: ClassVar[tuple[str, ...]]

    @classmethod
    def visible(cls, principal: Principal | None) -> QuerySet[Any]:
        raise NotImplementedError(f"{cls.__name__}.visible")

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Self:
        return cls(**{name: row[name] for name in cls.COLUMNS})

    @classmethod
    async def load(cls, principal: Principal | None, pks: list[int | None]) -> list[Self | None]:
        """The nodes of ``pks`` the caller may see, in order; None where not found."""
        wanted = {pk for pk in pks if pk is not None}
        if not wanted:
            return [None] * len(pks)
        rows = await cls.visible(principal).filter(id__in=wanted).values(*cls.COLUMNS)
        found = {row["id"]: cls.from_row(row) for row in rows}
        return [found.get(pk) if pk is not None else None for pk in pks]

    @classmethod
    async def resolve_nodes(  # type: ignore[override]  # async: relay's signature is sync
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        return await cls.load(info.context.principal, [database_id(i) for i in node_ids])


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
    async def node(
        self, info: strawberry.Info,
        id: Annotated[strawberry.ID, strawberry.argument(
            description="The object's global ID, as its `id` field gives it.")],
    ) -> relay.Node | None:
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
