"""No text may hold the NUL character (U+0000): PostgreSQL refuses it in every text column, so
a name or a search with one would fail deep in a resolver as an unexpected error. It is refused
before anything runs, as a caller's mistake, wherever it is: a string literal of the document
(``"a\\u0000b"``) or a variable's value, however deeply nested."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import DocumentNode, GraphQLError, StringValueNode, visit
from graphql.language import Visitor
from strawberry.extensions import SchemaExtension

from gateway.i18n import Text

NUL = "\x00"
_IN_DOCUMENT = Text(
    en="Text must not contain the NUL character (U+0000).",
    fr="Un texte ne peut pas contenir le caractère NUL (U+0000).",
)
_IN_VARIABLE = Text(
    en="Variable '${name}' holds the NUL character (U+0000) at '{path}': no text may.",
    fr="La variable '${name}' contient le caractère NUL (U+0000) à '{path}' : aucun texte ne "
    "le peut.",
)


class _FirstNul(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.found: StringValueNode | None = None

    def enter_string_value(self, node: StringValueNode, *_: Any) -> Any:
        if NUL in node.value:
            self.found = node
            return self.BREAK
        return None


def nul_in_document(document: DocumentNode | None) -> StringValueNode | None:
    """The first string literal of ``document`` that holds a NUL, if any."""
    if document is None:
        return None
    finder = _FirstNul()
    visit(document, finder)
    return finder.found


def _paths_to_nul(value: Any, path: str) -> Iterator[str]:
    if isinstance(value, str):
        if NUL in value:
            yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _paths_to_nul(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths_to_nul(item, f"{path}.{index}")


def nul_in_variables(variables: dict[str, Any] | None) -> tuple[str, str] | None:
    """(variable name, path inside it) of the first NUL among the variables' values."""
    for name, value in (variables or {}).items():
        for path in _paths_to_nul(value, name):
            return name, path
    return None


class RefuseNulCharacters(SchemaExtension):
    """Refuses a document or variables holding a NUL before execution; listed after the
    validation cache, whose errors (if any) come first."""

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if not context.pre_execution_errors:
            language = getattr(context.context, "language", "en")
            literal = nul_in_document(context.graphql_document)
            variable = nul_in_variables(context.variables)
            if literal is not None:
                context.pre_execution_errors = [GraphQLError(
                    _IN_DOCUMENT.render(language), nodes=[literal],
                    extensions={"code": "BAD_USER_INPUT"})]
            elif variable is not None:
                name, path = variable
                context.pre_execution_errors = [GraphQLError(
                    _IN_VARIABLE.render(language, name=name, path=path),
                    extensions={"code": "BAD_USER_INPUT"})]
        yield
