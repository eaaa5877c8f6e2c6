"""No text may hold the NUL character (U+0000): PostgreSQL refuses it in every text column, so
a name or a search with one would fail deep in a resolver as an unexpected error. It is refused
before anything runs, as a caller's mistake, wherever it is: a string literal of the document
(``"a\\u0000b"``) or a variable's value, however deeply nested.

So is any text that cannot be encoded (a lone UTF-16 surrogate such as ``"\\ud800"`` in JSON):
no database, log line or email could hold it."""

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
_UNENCODABLE = Text(
    en="Variable '${name}' holds text that cannot be encoded (a lone UTF-16 surrogate) at "
    "'{path}': send valid Unicode.",
    fr="La variable '${name}' contient un texte impossible à encoder (un demi-caractère "
    "UTF-16 isolé) à '{path}' : envoyez de l'Unicode valide.",
)
_UNENCODABLE_LITERAL = Text(
    en="Text cannot be encoded (a lone UTF-16 surrogate): send valid Unicode.",
    fr="Un texte est impossible à encoder (un demi-caractère UTF-16 isolé) : envoyez de "
    "l'Unicode valide.",
)
_IN_VARIABLE = Text(
    en="Variable '${name}' holds the NUL character (U+0000) at '{path}': no text may.",
    fr="La variable '${name}' contient le caractère NUL (U+0000) à '{path}' : aucun texte ne "
    "le peut.",
)


def encodable(text: str) -> bool:
    """Whether ``text`` can be written anywhere (UTF-8): no lone surrogate."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _bad(text: str) -> str | None:
    """Why ``text`` is refused: "nul", "unencodable", or None."""
    if NUL in text:
        return "nul"
    return None if encodable(text) else "unencodable"


class _FirstNul(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.found: StringValueNode | None = None

    def enter_string_value(self, node: StringValueNode, *_: Any) -> Any:
        if _bad(node.value):
            self.found = node
            return self.BREAK
        return None


def could_hold_refused_text(source: str) -> bool:
    """Whether a document's text could have a string literal with a NUL or a lone surrogate:
    only through a raw one or a ``\\u`` escape. Most documents have neither, and need no walk
    through their syntax tree (about a millisecond for a large one)."""
    return "\\u" in source or _bad(source) is not None


def nul_in_document(document: DocumentNode | None,
                    source: str | None = None) -> StringValueNode | None:
    """The first string literal of ``document`` that holds a NUL, if any; ``source`` (the
    document's text), when given, lets a document that cannot hold one be passed at once."""
    if document is None or (source is not None and not could_hold_refused_text(source)):
        return None
    finder = _FirstNul()
    visit(document, finder)
    return finder.found


def _printable(text: str) -> str:
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _paths_to_nul(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        reason = _bad(value)
        if reason:
            yield path, reason
    elif isinstance(value, dict):
        for key, item in value.items():
            reason = _bad(str(key))
            if reason:  # a key is text too
                yield f"{path}.{_printable(str(key))}", reason
            yield from _paths_to_nul(item, f"{path}.{_printable(str(key))}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths_to_nul(item, f"{path}.{index}")


def refused_text_in_variables(
    variables: dict[str, Any] | None,
) -> tuple[str, str, str] | None:
    """(variable name, path inside it, "nul" or "unencodable") of the first refused text
    among the variables' names and values."""
    for name, value in (variables or {}).items():
        reason = _bad(name)
        if reason:
            return _printable(name), _printable(name), reason
        for path, why in _paths_to_nul(value, _printable(name)):
            return _printable(name), path, why
    return None


def nul_in_variables(variables: dict[str, Any] | None) -> tuple[str, str] | None:
    """(variable name, path inside it) of the first NUL or unencodable text among the
    variables' values."""
    found = refused_text_in_variables(variables)
    return None if found is None else (found[0], found[1])


class RefuseNulCharacters(SchemaExtension):
    """Refuses a document or variables holding a NUL before execution; listed after the
    validation cache, whose errors (if any) come first."""

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if not context.pre_execution_errors:
            language = getattr(context.context, "language", "en")
            literal = nul_in_document(context.graphql_document, context.query)
            variable = refused_text_in_variables(context.variables)
            if literal is not None:
                text = _IN_DOCUMENT if NUL in literal.value else _UNENCODABLE_LITERAL
                context.pre_execution_errors = [GraphQLError(
                    text.render(language), nodes=[literal],
                    extensions={"code": "BAD_USER_INPUT"})]
            elif variable is not None:
                name, path, reason = variable
                text = _IN_VARIABLE if reason == "nul" else _UNENCODABLE
                context.pre_execution_errors = [GraphQLError(
                    text.render(language, name=name, path=path),
                    extensions={"code": "BAD_USER_INPUT"})]
        yield
