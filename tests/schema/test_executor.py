"""schema.executor: the direct path gives graphql-core's answers, errors and nulls included,
and really skips its per-field machinery for plain fields."""

from __future__ import annotations

import asyncio
import enum
from typing import Any

import pytest
import strawberry
from graphql import ExecutionResult
from strawberry.permission import BasePermission

from schema.executor import GatewayExecutionContext


class Denied(BasePermission):
    message = "not for you"

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        return False


@strawberry.enum
class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Shade(enum.Enum):
    """Not in the schema: a member of it where Colour is expected is an error."""

    RED = "red"


@strawberry.interface
class Named:
    name: str


@strawberry.type
class Tag:
    label: str
    weight: int | None = None


@strawberry.type
class Item(Named):
    number: int
    colour: Colour
    note: str | None
    tags: list[Tag]
    missing: strawberry.Private[bool] = False
    big: strawberry.Private[bool] = False
    serial: int = 0  # an attribute: beyond 32 bits for one row

    @strawberry.field
    def double(self) -> int:
        return self.number * 2

    @strawberry.field
    def path_seen(self, info: strawberry.Info) -> str:
        return ".".join(str(key) for key in info.path.as_list())

    @strawberry.field
    def tint(self) -> Colour | None:
        """Colour's member on even rows, a Shade (not a Colour) on odd ones."""
        return Shade.RED if self.number % 2 else Colour.RED  # type: ignore[return-value]

    @strawberry.field
    def odd_path(self, info: strawberry.Info) -> str:
        """Reads its ``info`` on odd rows only."""
        return info.path.as_list()[-2] if self.number % 2 else "even"  # type: ignore[return-value]

    @strawberry.field
    def from_root(root: Item) -> str:  # noqa: N805 - strawberry's ``root`` parameter
        return f"root:{root.name}"

    @strawberry.field
    def required(self) -> str:
        return None if self.missing else "here"  # type: ignore[return-value]

    @strawberry.field
    def count(self) -> int:
        return 2**40 if self.big else 7  # beyond GraphQL's Int: a field error

    @strawberry.field
    def fails(self) -> str | None:
        if self.number == 2:
            raise ValueError("two is refused")
        return "fine"

    @strawberry.field
    def later(self) -> str:
        return asyncio.sleep(0, result=f"later {self.number}")  # type: ignore[return-value]

    @strawberry.field(permission_classes=[Denied])
    def secret(self) -> str | None:
        return "leaked"

    @strawberry.field
    def scaled(self, factor: int = 3) -> int:
        return self.number * factor

    @strawberry.field
    def first_tag(self) -> Tag | None:
        return self.tags[0] if self.tags else None


@strawberry.type
class Row(strawberry.relay.Node):
    row_id: strawberry.relay.NodeID[int]
    title: str


@strawberry.type
class Renamed(strawberry.relay.Node):
    code: strawberry.relay.NodeID[str]

    @classmethod
    def resolve_id(cls, root: Renamed, *, info: strawberry.Info) -> str:
        return f"{root.code}-{info.path.typename}"


READS: list[str] = []


class CountedTag:
    """A Tag's source whose attributes count their reads (a property may cost something)."""

    @property
    def label(self) -> str:
        READS.append("label")
        return "counted"

    @property
    def weight(self) -> int | None:
        READS.append("weight")
        return None


def _items() -> list[Item]:
    return [Item(name=f"item {n}", number=n, colour=Colour.RED if n % 2 else Colour.BLUE,
                 note=None if n % 3 else f"note {n}",
                 tags=[Tag(label=f"t{n}.{k}", weight=k or None) for k in range(n % 3)],
                 missing=n == 4, big=n == 5, serial=2**33 if n == 6 else n)
            for n in range(1, 7)]


@strawberry.type
class Query:
    @strawberry.field
    def items(self) -> list[Item]:
        return _items()

    @strawberry.field
    def named(self) -> list[Named]:
        return list(_items())

    @strawberry.field
    def maybe_items(self) -> list[Item | None] | None:
        return [None, *_items()[:2]]

    @strawberry.field
    def counted_tags(self) -> list[Tag]:
        return [CountedTag() for _ in range(3)]  # type: ignore[misc]

    @strawberry.field
    def odd_tags(self) -> list[Tag]:
        return [Tag(label="a", weight="heavy"), Tag(label="b", weight=3)]  # type: ignore[arg-type]

    @strawberry.field
    def rows(self) -> list[Row]:
        return [Row(row_id=n, title=f"row {n}") for n in (1, 20, 300)]

    @strawberry.field
    def renamed(self) -> list[Renamed]:
        return [Renamed(code=c) for c in ("a", "b")]

    @strawberry.field
    def strict_items(self) -> list[Item]:
        return [*_items()[:2], None]  # type: ignore[list-item]


def _run(query: str, executor: type | None, variables: dict[str, Any] | None = None,
         ) -> ExecutionResult:
    schema = strawberry.Schema(query=Query, execution_context_class=executor)
    return asyncio.run(schema.execute(query, variable_values=variables))


def _same(query: str, variables: dict[str, Any] | None = None) -> ExecutionResult:
    """The query's result through graphql-core's executor and through ours: identical."""
    plain = _run(query, None, variables)
    direct = _run(query, GatewayExecutionContext, variables)
    assert direct.data == plain.data
    assert [e.formatted for e in direct.errors or []] == [e.formatted for e in plain.errors or []]
    return direct


ALL_FIELDS = """{ items { __typename name number colour note double pathSeen fromRoot
  fails later secret scaled(factor: 2) tags { label weight } firstTag { label } } }"""


def test_plain_fields_resolvers_and_lists_answer_as_graphql_core() -> None:
    result = _same(ALL_FIELDS)
    first = result.data["items"][0]
    assert first == {
        "__typename": "Item", "name": "item 1", "number": 1, "colour": "RED", "note": None,
        "double": 2, "pathSeen": "items.0.pathSeen", "fromRoot": "root:item 1",
        "fails": "fine", "later": "later 1", "secret": None, "scaled": 2,
        "tags": [{"label": "t1.0", "weight": None}], "firstTag": {"label": "t1.0"}}
    messages = {(e.message, tuple(e.path)) for e in result.errors}
    assert ("two is refused", ("items", 1, "fails")) in messages
    assert ("not for you", ("items", 0, "secret")) in messages


def test_a_null_in_a_non_null_field_nulls_its_parent_as_graphql_core_does() -> None:
    result = _same("{ items { name required } }")
    assert result.data is None  # items: [Item!]! — the null goes up to the root
    assert result.errors[0].path == ["items", 3, "required"]
    assert "Cannot return null for non-nullable field Item.required." in result.errors[0].message


def test_an_int_beyond_32_bits_is_a_field_error() -> None:
    result = _same("{ maybeItems { name count } }")
    assert result.data == {"maybeItems": [None, {"name": "item 1", "count": 7},
                                          {"name": "item 2", "count": 7}]}
    result = _same("{ items { count } }")
    assert result.data is None
    assert result.errors[0].path == ["items", 4, "count"]
    result = _same("{ maybeItems { serial } }")  # an attribute, same rule
    assert result.data == {"maybeItems": [None, {"serial": 1}, {"serial": 2}]}
    result = _same("{ items { serial } }")
    assert result.data is None and result.errors[0].path == ["items", 5, "serial"]


def test_an_attribute_of_the_wrong_type_is_a_field_error() -> None:
    """A str where the schema says Int: graphql-core's coercion error, at its path."""
    result = _same("{ oddTags { label weight } }")
    assert result.data == {"oddTags": [{"label": "a", "weight": None},
                                       {"label": "b", "weight": 3}]}
    assert result.errors[0].path == ["oddTags", 0, "weight"]
    assert "Int cannot represent non-integer value" in result.errors[0].message


def test_nulls_in_lists_fragments_aliases_and_directives() -> None:
    _same("{ maybeItems { name } }")
    result = _same("{ strictItems { name } }")
    assert result.data is None and result.errors[0].path == ["strictItems", 2]
    _same("""query Q($skip: Boolean!) { first: items { ...F n: number @skip(if: $skip) }
      second: items { name @include(if: $skip) } }
      fragment F on Item { name colour }""", {"skip": True})
    _same("""query Q($skip: Boolean!) { items { ...F n: number @skip(if: $skip) } }
      fragment F on Item { name colour }""", {"skip": False})
    _same("{ named { __typename name ... on Item { number tags { label } } } }")


def test_an_enum_member_is_coerced_once_and_a_wrong_one_every_time() -> None:
    for _ in range(2):  # the second time, the members' names are known
        result = _same("{ items { number tint } }")
        tints = [row["tint"] for row in result.data["items"]]
        assert sorted(tints, key=str) == [None] * 3 + ["RED"] * 3
        assert len(result.errors or []) == 3
        assert all("Enum 'Colour' cannot represent value" in e.message for e in result.errors)


def test_plain_fields_skip_the_resolve_info_and_strawberry_wrappers(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Six rows of plain columns, methods without ``info``, lists and nested objects (the root
    field ``items`` is such a method): no resolve info is built at all; only a
    field reading its ``info`` (``pathSeen``) builds one, once per row."""
    built: list[Any] = []
    original = GatewayExecutionContext.build_resolve_info

    def counting(self: Any, *args: Any) -> Any:
        info = original(self, *args)
        built.append(info.path.as_list())
        return info

    monkeypatch.setattr(GatewayExecutionContext, "build_resolve_info", counting)
    query = ("{ items { name number colour note double fromRoot tags { label } "
             "firstTag { label } } }")
    result = _run(query, GatewayExecutionContext)
    assert not result.errors and len(result.data["items"]) == 6
    assert built == []
    _run("{ rows { id title } }", GatewayExecutionContext)  # relay's id, computed directly
    assert built == []
    _run("{ items { name pathSeen } }", GatewayExecutionContext)
    assert built == [["items", n, "pathSeen"] for n in range(6)]
    # Built when the resolver reads it, not because it takes one.
    built.clear()
    result = _same("{ items { oddPath } }")
    rows = result.data["items"]
    read = [index for index, row in enumerate(rows) if row["oddPath"] != "even"]
    assert len(read) == 3 and all(rows[index]["oddPath"] == str(index) for index in read)
    assert built == [["items", index, "oddPath"] for index in read]


def test_a_schema_extension_wrapping_resolvers_keeps_graphql_core_path() -> None:
    """A schema extension with a ``resolve`` hook sees every field, as without our executor."""
    seen: list[str] = []

    class Watch(strawberry.extensions.SchemaExtension):
        def resolve(self, _next: Any, root: Any, info: Any, *args: Any, **kwargs: Any) -> Any:
            seen.append(info.field_name)
            return _next(root, info, *args, **kwargs)

    schema = strawberry.Schema(query=Query, extensions=[Watch],
                               execution_context_class=GatewayExecutionContext)
    result = asyncio.run(schema.execute("{ items { name number } }"))
    assert not result.errors
    assert seen.count("name") == 6 and seen.count("number") == 6


def test_relay_ids_are_the_global_ids_strawberry_writes() -> None:
    result = _same("{ rows { id title } renamed { id } }")
    ids = [row["id"] for row in result.data["rows"]]
    assert ids == [str(strawberry.relay.GlobalID("Row", str(n))) for n in (1, 20, 300)]
    # A type with its own resolve_id is resolved by it (through strawberry's path).
    assert [row["id"] for row in result.data["renamed"]] == [
        str(strawberry.relay.GlobalID("Renamed", f"{c}-Renamed")) for c in "ab"]


def test_an_attribute_is_read_once_whatever_its_value() -> None:
    READS.clear()
    result = _run("{ countedTags { label weight } }", GatewayExecutionContext)
    assert result.data == {"countedTags": [{"label": "counted", "weight": None}] * 3}
    assert sorted(READS) == ["label"] * 3 + ["weight"] * 3


def test_a_documents_selections_are_collected_once_unless_the_request_can_change_them(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A cached document's subfields are collected and planned once for every request; those
    under a directive or a fragment with one are collected per request (their answer follows
    the variables, as graphql-core's does)."""
    import graphql.execution.executor as core_executor
    from strawberry.extensions import ParserCache, ValidationCache

    collected: list[Any] = []
    original = core_executor.collect_subfields

    def counting(*args: Any) -> Any:
        collected.append(args[4])  # the return type
        return original(*args)

    monkeypatch.setattr(core_executor, "collect_subfields", counting)
    cached = strawberry.Schema(query=Query, execution_context_class=GatewayExecutionContext,
                               extensions=[ParserCache(), ValidationCache()])

    ours: list[Any] = []  # what the cached schema's requests collected

    def run(query: str, variables: dict[str, Any] | None = None) -> ExecutionResult:
        collected.clear()
        result = asyncio.run(cached.execute(query, variable_values=variables))
        ours[:] = collected
        plain = _run(query, None, variables)
        assert (result.data, result.errors) == (plain.data, plain.errors)
        return result

    static = "{ items { name tags { label } firstTag { ...T } } } fragment T on Tag { label }"
    run(static)
    assert ours  # Item, Tag (tags), Tag (firstTag)
    for _ in range(3):
        run(static)
        assert ours == []
    varying = """query Q($on: Boolean!) { items { name tags { label @include(if: $on) }
      firstTag { ...W } } } fragment W on Tag { weight @skip(if: $on) }"""
    answers = [run(varying, {"on": on}).data for on in (True, False, True)]
    assert answers[0] == answers[2] != answers[1]
    assert answers[0]["items"][1]["tags"][0] == {"label": "t2.0"}
    assert answers[1]["items"][1]["tags"][0] == {}
    run(varying, {"on": False})
    # Only the items' own set (no directive in it) is kept; the tags' and the fragment's
    # sets are collected again by each request.
    assert ours and all(type_.name == "Tag" for type_ in ours)
