"""schema.inputs: input objects built from a per-type plan are the instances strawberry builds
(nested inputs, lists, enums, defaults, renamed fields, relay ids, custom scalars, explicit
nulls, omitted fields), errors included, and the plan is made once per type."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import enum
from typing import Any

import pytest
import strawberry
from strawberry import relay
from strawberry.types.base import StrawberryObjectDefinition
from strawberry.types.maybe import Maybe

from schema import inputs


@strawberry.enum
class Sort(enum.Enum):
    NAME = "name"
    NUMBER = "number"


@strawberry.input
class Range:
    start: dt.date
    end: dt.date | None = None


@strawberry.input
class Tag:
    label: str
    weight: int = 1


@strawberry.input
class Search:
    keyword: str | None
    sort: Sort = Sort.NAME
    maybe_sort: Sort | None = None
    range: Range | None = None
    ranges: list[Range] | None = None
    tags: list[Tag] = dataclasses.field(default_factory=list)
    numbers: list[int] | None = None
    node: relay.GlobalID | None = None
    renamed: str | None = strawberry.field(name="otherName", default=None)
    unset: str | None = strawberry.UNSET
    json: strawberry.scalars.JSON | None = None


@strawberry.input
class WithMaybe:
    note: Maybe[str | None]


@strawberry.type
class Query:
    @strawberry.field
    def search(self, search: Search, extra: list[Search] | None = None) -> str:
        return repr((search, extra))

    @strawberry.field
    def maybe(self, value: WithMaybe) -> str:
        return repr(value)


DOCUMENTS: list[tuple[str, dict[str, Any] | None]] = [
    ("{ search(search: {keyword: null, tags: []}) }", None),
    ("{ search(search: {keyword: null}) }", None),  # tags has no published default
    ("""{ search(search: {keyword: "k", sort: NUMBER, maybeSort: NAME, range: {start:
      "2026-01-02"}, ranges: [{start: "2026-01-01", end: "2026-02-01"}], tags: [{label: "a"},
      {label: "b", weight: 3}], numbers: [1, 2], node: "Um93OjE=", otherName: "o",
      unset: "u", json: {a: [1, 2]}},
      extra: [{keyword: "x", tags: []}, {keyword: null, tags: []}]) }""",
     None),
    ("query Q($s: Search!) { search(search: $s) }",
     {"s": {"keyword": "v", "range": {"start": "2026-03-04", "end": None}, "unset": None,
            "tags": [{"label": "z", "weight": 9}], "ranges": None}}),
    ("query Q($s: Search!) { search(search: $s) }",
     {"s": {"keyword": "v", "node": "bad", "tags": []}}),
    ("query Q($s: Search!) { search(search: $s) }", {"s": {"keyword": 3, "tags": []}}),
    ("{ maybe(value: {note: null}) }", None),
    ("{ maybe(value: {note: \"n\"}) }", None),
]


def _run(document: str, variables: dict[str, Any] | None) -> Any:
    schema = strawberry.Schema(query=Query)
    result = asyncio.run(schema.execute(document, variable_values=variables))
    return result.data, [error.message for error in result.errors or []]


def _definitions() -> list[StrawberryObjectDefinition]:
    return [cls.__strawberry_definition__ for cls in (Search, Range, Tag, WithMaybe)]  # type: ignore[attr-defined]


@pytest.fixture
def planned() -> Any:
    yield inputs.plan_inputs(_definitions())
    for definition in _definitions():
        definition.from_input = None


@pytest.mark.parametrize(("document", "variables"), DOCUMENTS)
def test_inputs_are_what_strawberry_builds(document: str, variables: dict[str, Any] | None,
                                           planned: None) -> None:
    ours = _run(document, variables)
    for definition in _definitions():
        definition.from_input = None
    theirs = _run(document, variables)
    assert ours == theirs
    assert ours[0] is not None or ours[1]
    if ours[0] is not None and "search" in ours[0]:
        assert "Search(" in ours[0]["search"]


def test_each_input_type_is_planned_once_and_maybe_types_are_left_alone(planned: None) -> None:
    assert Search.__strawberry_definition__.from_input is inputs.build_input  # type: ignore[attr-defined]
    assert WithMaybe.__strawberry_definition__.from_input is None  # type: ignore[attr-defined]
    inputs._PLANS.clear()
    for _ in range(3):
        _run(DOCUMENTS[2][0], None)
    assert {cls for cls, _ in inputs._PLANS} == {Search, Range, Tag}
