"""The schema-level guards, whatever the transport (HTTP or WebSocket): the cost estimate of a
document, text that cannot be encoded, and schema names hidden from error messages."""

from __future__ import annotations

from typing import Any

from graphql import parse

from gateway.plugins import PluginHost
from schema.build import build_schema
from schema.limits import document_cost
from schema.masking import HIDDEN, hide_schema_names, typed_names
from schema.nul_characters import refused_text_in_variables
from tests.conftest import make_settings
from tests.gateway.test_http_errors import ops_specs


def _schema(tmp_path: Any, **overrides: Any) -> Any:
    settings = make_settings("sqlite://:memory:", tmp_path, **overrides)
    return build_schema(PluginHost(settings, specs=ops_specs()))


def test_the_cost_multiplies_list_sizes_through_the_depth(tmp_path: Any) -> None:
    schema = _schema(tmp_path)._schema
    page = 100

    def cost(query: str, variables: dict[str, Any] | None = None) -> int:
        return document_cost(schema, parse(query), None, variables, page, 10**9)

    assert cost("{ double(n: 1) }") == 1
    assert cost("{ a: double(n: 1) b: double(n: 2) }") == 2
    # outboxJobs(first: 10): 1 + 10 x (edges, node, id) = 31; a page's edges count once.
    assert cost("{ outboxJobs(first: 10) { edges { node { id } } } }") == 31
    assert cost("query($n: Int) { outboxJobs(first: $n) { nodes { id } } }", {"n": 7}) == 15
    # Without first (or with a first the variables do not give), at the page cap.
    assert cost("{ outboxJobs { nodes { id } } }") == 1 + 2 * page
    assert cost("query($n: Int) { outboxJobs(first: $n) { nodes { id } } }") == 1 + 2 * page
    # A first beyond the cap is counted at the cap (the page itself refuses it, clearly).
    assert cost("{ outboxJobs(first: 100000) { nodes { id } } }") == 1 + 2 * page


def test_text_that_cannot_be_encoded_is_found_anywhere_in_the_variables() -> None:
    assert refused_text_in_variables({"a": "fine", "b": ["é", {"c": 1}]}) is None
    assert refused_text_in_variables({"a": {"b": ["x", "\ud800"]}}) == ("a", "a.b.1",
                                                                         "unencodable")
    assert refused_text_in_variables({"a": {"k\udfff": 1}}) == ("a", "a.k\\udfff",
                                                                "unencodable")
    assert refused_text_in_variables({"a": "x\x00"}) == ("a", "a", "nul")


async def test_a_lone_surrogate_is_refused_by_the_schema_itself(tmp_path: Any) -> None:
    """The WebSocket path has no HTTP boundary: the schema refuses it too."""
    schema = _schema(tmp_path)
    result = await schema.execute("mutation($t: String!) { echo(text: $t) }",
                                  variable_values={"t": "a\ud800"})
    assert result.errors and result.errors[0].extensions["code"] == "BAD_USER_INPUT"
    assert "U+0000" not in result.errors[0].message and "surrogate" in result.errors[0].message


def test_hidden_schema_names() -> None:
    typed = typed_names("{ nod }", {"v": "Abc"}, None)
    assert hide_schema_names(
        "Cannot query field 'nod' on type 'Query'. Did you mean 'node' or 'now'?", typed
    ) == f"Cannot query field 'nod' on type {HIDDEN}."
    assert hide_schema_names("Value 'Abc' does not exist in 'Role' enum.", typed) == (
        f"Value 'Abc' does not exist in {HIDDEN} enum.")
    assert hide_schema_names("Expected type 'Int!'.", typed) == "Expected type 'Int!'."
