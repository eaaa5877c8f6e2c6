"""README.md says only what is built (issue #21, item 5).

1. **Feature areas.** The table under "## Feature areas" lists exactly the plugins plugins.toml
   enables, each linking to its ``plugins/<name>/README.md``, which exists.
2. **Commands.** Every ``gateway <command> [<action>]`` the README shows, in code spans and code
   blocks, is a command (and action) of the CLI's own parser, plugins' commands included; and
   the "The `gateway` command" table has a row for every command the CLI has.
3. **GraphQL.** Every GraphQL document of the README's ``graphql`` blocks is valid against the
   composed schema (placeholders such as ``"<an Account id>"`` or ``<its accountNumber>``
   stand for any value), and every root field the other code blocks name (the curl walk, the
   WebSocket script) is one of the schema's root fields.
"""

from __future__ import annotations

import argparse
import re
import tomllib
from collections.abc import Iterator

import graphql
import pytest

from gateway.cli import build_parser
from gateway.plugins import PluginHost
from schema.build import build_schema
from tests.conftest import ROOT, make_settings

README = ROOT / "README.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)
ROOT_TYPES = {"query": "Query", "mutation": "Mutation", "subscription": "Subscription"}


def readme() -> str:
    return README.read_text(encoding="utf-8")


def section(text: str, heading: str) -> str:
    """The body of the ``## heading`` section, up to the next heading of the same level."""
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    assert match, f"README.md has no '## {heading}' section"
    return match.group(1)


def blocks(text: str) -> list[tuple[str, str]]:
    """The fenced code blocks: (language, body)."""
    return FENCE.findall(text)


def shell_text(text: str) -> Iterator[str]:
    """The commands the README shows: ``sh`` blocks, the ``$ `` lines of plain blocks (a
    terminal's transcript), inline code spans outside blocks."""
    for lang, body in blocks(text):
        if lang == "sh":
            yield body
        elif not lang:
            yield "\n".join(line[2:] for line in body.splitlines() if line.startswith("$ "))
    prose = FENCE.sub("", text)
    yield from re.findall(r"`([^`\n]+)`", prose)


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> PluginHost:
    """The repository's plugins.toml, without any installed entry-point plugin."""
    settings = make_settings("sqlite://:memory:", tmp_path_factory.mktemp("readme"),
                             plugins_file=ROOT / "plugins.toml", load_plugins=())
    return PluginHost(settings)


@pytest.fixture(scope="module")
def schema(host: PluginHost) -> graphql.GraphQLSchema:
    # Rebuilt from the SDL: the same types and fields, with scalars that take any literal, so
    # that a placeholder stands for a date, a decimal or an id alike.
    return graphql.build_schema(build_schema(host).as_str())


# 1. Feature areas ---------------------------------------------------------------------------


def enabled_plugins() -> list[str]:
    table = tomllib.loads((ROOT / "plugins.toml").read_text(encoding="utf-8"))["plugins"]
    return [name for name, entry in table.items() if entry.get("enabled", True)]


def test_feature_areas_are_the_enabled_plugins() -> None:
    rows = [line for line in section(readme(), "Feature areas").splitlines()
            if line.startswith("| [")]
    listed = []
    for row in rows:
        match = re.match(r"\| \[`(\w+)`\]\(([^)]+)\) \|", row)
        assert match, f"a row should start with [`name`](plugins/name/README.md): {row}"
        name, link = match.groups()
        assert link == f"plugins/{name}/README.md", f"{name}: links to {link}"
        assert (ROOT / link).is_file(), f"{name}: {link} does not exist"
        listed.append(name)
    assert len(listed) == len(set(listed)), f"a plugin is listed twice: {listed}"
    enabled = enabled_plugins()
    assert sorted(listed) == sorted(enabled), (
        f"README.md's Feature areas list {sorted(listed)}; plugins.toml enables "
        f"{sorted(enabled)}: not built yet -> {sorted(set(listed) - set(enabled))}, "
        f"missing -> {sorted(set(enabled) - set(listed))}"
    )


# 2. Commands ---------------------------------------------------------------------------------

WORD = re.compile(r"^[a-z][a-z0-9_-]*$")


def invocations(text: str) -> set[tuple[str, ...]]:
    """``gateway <command> [<action>]`` as shown: the program is a token named ``gateway``
    (``.venv/bin/gateway`` too) that is not an option's value (``-u gateway``)."""
    found: set[tuple[str, ...]] = set()
    for code in shell_text(text):
        for line in code.splitlines():
            tokens = line.split()
            if "#" in tokens:  # a shell comment
                tokens = tokens[:tokens.index("#")]
            for i, token in enumerate(tokens[:-1]):
                program = token.lstrip("`(")
                if program.rsplit("/", 1)[-1] != "gateway" or "=" in program or ":" in program:
                    continue  # not the program: DATABASE_URL=postgres://…/gateway
                if i and tokens[i - 1].startswith("-"):
                    continue
                words = [t.rstrip("`),;:.") for t in tokens[i + 1:i + 3]]
                if not WORD.match(words[0]):
                    continue  # `gateway <command> --help`, `gateway: …` (an error line)
                found.add(tuple(w for w in words if WORD.match(w))[:2])
    return found


def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def test_every_command_shown_is_a_command(host: PluginHost) -> None:
    commands = subcommands(build_parser(host))
    shown = invocations(readme())
    assert len(shown) >= 5, f"only {sorted(shown)} found: does the parsing still fit the README?"
    wrong = []
    for words in sorted(shown):
        command = commands.get(words[0])
        if command is None:
            wrong.append(f"gateway {words[0]}: no such command (commands: {', '.join(commands)})")
            continue
        actions = subcommands(command)
        if actions and len(words) > 1 and words[1] not in actions:
            wrong.append(f"gateway {' '.join(words)}: {words[0]} has no action {words[1]!r} "
                         f"(actions: {', '.join(actions)})")
    assert not wrong, "README.md shows commands the CLI does not have:\n" + "\n".join(wrong)


def test_the_command_table_lists_every_command(host: PluginHost) -> None:
    table = section(readme(), "The `gateway` command")
    documented = set(re.findall(r"^\| `gateway ([a-z][a-z0-9_-]*)", table, re.M))
    missing = sorted(set(subcommands(build_parser(host))) - documented)
    assert not missing, f"README.md's command table has no row for: {missing}"


# 3. GraphQL ----------------------------------------------------------------------------------


def filled(document: str) -> str:
    """A README example with its placeholders replaced by values of any type."""
    document = re.sub(r'"<[^"\n]*>"', '"X"', document)  # "<an Account id>"
    document = re.sub(r"<[^<>\n]*>", "1", document)  # <its accountNumber>
    return document.replace("…", "X")  # "AC…"


def operations(body: str) -> Iterator[str]:
    """The documents of a graphql block: one per operation (each line starting one)."""
    body = re.sub(r"^#.*$", "", body, flags=re.M)
    for part in re.split(r"(?m)^(?=(?:query|mutation|subscription)\b)", body):
        if part.strip():
            yield part


def test_graphql_examples_fit_the_schema(schema: graphql.GraphQLSchema) -> None:
    documents = [d for lang, body in blocks(readme()) if lang == "graphql"
                 for d in operations(body)]
    assert len(documents) > 20, f"only {len(documents)} GraphQL examples found"
    wrong = []
    for document in documents:
        try:
            errors = graphql.validate(schema, graphql.parse(filled(document)))
        except graphql.GraphQLError as error:
            errors = [error]
        if errors:
            wrong.append(document.strip() + "\n    " + "\n    ".join(e.message for e in errors))
    assert not wrong, "README.md's GraphQL examples do not fit the schema:\n" + "\n".join(wrong)


def root_fields(schema: graphql.GraphQLSchema) -> dict[str, set[str]]:
    types = {"query": schema.query_type, "mutation": schema.mutation_type,
             "subscription": schema.subscription_type}
    return {kind: set(t.fields) if t else set() for kind, t in types.items()}


def test_root_fields_in_other_code_exist(schema: graphql.GraphQLSchema) -> None:
    """The curl walk's JSON bodies and the WebSocket script name root fields too."""
    fields = root_fields(schema)
    named: set[tuple[str, str]] = set()
    for lang, body in blocks(readme()):
        if lang == "graphql":
            continue
        for kind, name in re.findall(
                r"\b(query|mutation|subscription)\b[^{}\"]*\{\s*([A-Za-z_]\w*)", body):
            named.add((kind, name))
        for name in re.findall(r'"query": "\{\s*([A-Za-z_]\w*)', body):  # "{ me { role } }"
            named.add(("query", name))
    assert len(named) >= 5, f"only {sorted(named)} found: does the parsing still fit the README?"
    unknown = sorted(f"{kind} {name}" for kind, name in named if name not in fields[kind])
    assert not unknown, f"README.md's code names root fields the schema does not have: {unknown}"
