"""Every type, field, argument, input field and enum value of the composed schema (every plugin
of plugins.toml) carries a real description: GraphiQL's docs and generated clients show them
(issue #21 item 8). The failure lists what is missing or a placeholder, by path."""

from __future__ import annotations

import re
from pathlib import Path

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
)

from gateway.plugins import PluginHost
from schema.build import build_schema
from tests.conftest import ROOT, make_settings

BUILT_IN_SCALARS = {"String", "Int", "Float", "Boolean", "ID"}
# Types and fields say what they are in a sentence, not a word or two.
MIN_WORDS = 3


def _words(text: str) -> int:
    return len(re.findall(r"\w+", text))


def _plain(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _check(path: str, name: str, description: str | None, min_words: int) -> str | None:
    """Why ``description`` is not one (None when it is)."""
    if description is None or not description.strip():
        return f"{path}: missing"
    if _plain(description) == _plain(name):
        return f"{path}: only repeats the name ({description!r})"
    if _words(description) < min_words:
        return f"{path}: too short ({description!r})"
    return None


def description_problems(schema: GraphQLSchema) -> list[str]:
    """Each schema element without a real description: ``"type Foo: missing"``,
    ``"field Foo.bar: too short ('Bar.')"``, ``"arg Query.foo(id): missing"``..."""
    problems: list[str | None] = []
    for name, named in sorted(schema.type_map.items()):
        if name.startswith("__") or name in BUILT_IN_SCALARS:
            continue
        problems.append(_check(f"type {name}", name, named.description, MIN_WORDS))
        problems += _member_problems(name, named)
    return [problem for problem in problems if problem]


def _member_problems(name: str, named: GraphQLNamedType) -> list[str | None]:
    problems: list[str | None] = []
    if isinstance(named, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType):
        for field_name, field in named.fields.items():
            kind = "input field" if isinstance(named, GraphQLInputObjectType) else "field"
            problems.append(_check(f"{kind} {name}.{field_name}", field_name,
                                   field.description, MIN_WORDS))
            for arg_name, arg in getattr(field, "args", {}).items():
                problems.append(_check(f"arg {name}.{field_name}({arg_name})", arg_name,
                                       arg.description, 1))
    if isinstance(named, GraphQLEnumType):
        for value_name, value in named.values.items():
            problems.append(_check(f"enum {name}.{value_name}", value_name, value.description,
                                   1))
    return problems


def repository_schema(tmp_path: Path) -> GraphQLSchema:
    """The schema of the repository's plugins.toml (as tests/schema/test_schema_sdl.py builds
    it), without any installed entry-point plugin."""
    settings = make_settings("sqlite://:memory:", tmp_path, plugins_file=ROOT / "plugins.toml",
                             load_plugins=())
    return build_schema(PluginHost(settings))._schema


def core_schema(tmp_path: Path) -> GraphQLSchema:
    """The schema of the gateway core alone (no plugin)."""
    settings = make_settings("sqlite://:memory:", tmp_path)
    return build_schema(PluginHost(settings, specs=[]))._schema


def _report(problems: list[str]) -> str:
    return f"{len(problems)} schema elements lack a real description:\n  " + "\n  ".join(problems)


def test_the_core_describes_everything_it_declares(tmp_path: Path) -> None:
    problems = description_problems(core_schema(tmp_path))
    assert problems == [], _report(problems)


def test_every_schema_element_has_a_description(tmp_path: Path) -> None:
    problems = description_problems(repository_schema(tmp_path))
    assert problems == [], _report(problems)


def test_the_check_finds_missing_and_placeholder_descriptions() -> None:
    from graphql import build_schema as parse_sdl

    schema = parse_sdl('''
        "A thing a test declares." type Query {
          "Thing" thing: Int
          "How many widgets the account holds." widgets(
            first: Int
            "The cursor." after: String
          ): Int
        }
        enum Colour { "The colour red." RED BLUE }
    ''')
    assert description_problems(schema) == [
        "type Colour: missing",
        "enum Colour.BLUE: missing",
        "field Query.thing: only repeats the name ('Thing')",
        "arg Query.widgets(first): missing",
    ]


def test_the_first_argument_states_the_default_page_size() -> None:
    from schema.descriptions import FIRST
    from schema.pagination import DEFAULT_PAGE_SIZE

    assert f": {DEFAULT_PAGE_SIZE} when left out" in FIRST


def test_conventions_are_described_once_for_every_list_and_payload(tmp_path: Path) -> None:
    from schema import descriptions

    schema = core_schema(tmp_path)
    jobs = schema.query_type.fields["outboxJobs"]  # type: ignore[union-attr]
    assert jobs.args["first"].description == descriptions.FIRST
    assert jobs.args["after"].description == descriptions.AFTER
    connection = schema.type_map["OutboxJobConnection"]
    assert connection.description is not None and "list of OutboxJob " in connection.description
    assert connection.fields["totalCount"].description == (  # type: ignore[attr-defined]
        descriptions.CONNECTION_FIELDS["totalCount"])
    rerun = schema.mutation_type.fields["rerunJob"]  # type: ignore[union-attr]
    assert rerun.args["input"].description == descriptions.INPUT
    payload = schema.type_map["RerunJobPayload"]
    assert payload.fields["errors"].description == descriptions.PAYLOAD_ERRORS  # type: ignore
    assert schema.type_map["OutboxJob"].fields["id"].description  # type: ignore[attr-defined]


def test_a_description_of_its_own_wins_over_the_convention() -> None:
    from graphql import build_schema as parse_sdl

    from schema.descriptions import AFTER, describe_conventions

    schema = parse_sdl('''
        type Thing { name: String }
        type ThingEdge { node: Thing! cursor: String! }
        type PageInfo { hasNextPage: Boolean! }
        "Our own words." type ThingConnection { edges: [ThingEdge!]! pageInfo: PageInfo! }
        type Query {
          things("Only the first few." first: Int, after: String): ThingConnection!
        }
    ''')
    describe_conventions(schema)
    things = schema.query_type.fields["things"]  # type: ignore[union-attr]
    assert things.args["first"].description == "Only the first few."
    assert things.args["after"].description == AFTER
    assert schema.type_map["ThingConnection"].description == "Our own words."
    assert schema.type_map["ThingEdge"].description == (
        "One Thing in a page of a list, with its cursor.")
