"""What a client reads of an error, and what the log keeps of it: unexpected exceptions masked
behind the request id, expected refusals in the caller's language with their code, errors
found before execution given a code, and a document of several operations refused without
``operationName``."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import strawberry
from graphql import GraphQLError, GraphQLSyntaxError, OperationDefinitionNode
from strawberry.extensions import MaskErrors, SchemaExtension
from strawberry.types.execution import ExecutionContext
from tortoise.exceptions import ValidationError

from gateway.i18n import Text
from gateway.observability import INTERNAL_ERROR, current_request_id
from gateway.problems import Problem, Problems
from gateway.unavailable import CODE as UNAVAILABLE_CODE
from gateway.unavailable import RETRY_AFTER_SECONDS, UNAVAILABLE, is_unavailable
from schema.extension_hooks import ExtensionsRunner

log = logging.getLogger("gateway.graphql")

# The database refused a value no check caught before it (text longer than its column, a
# number out of range): the caller's input, said as such; the trace is logged as a warning so
# the missing check gets written.
_DOES_NOT_FIT = Text(en="A value is too long or out of range for this field.",
                     fr="Une valeur est trop longue ou hors limites pour ce champ.")


def _should_mask(error: Any) -> bool:
    """Mask what we did not raise on purpose; keep validation, permission and parse errors."""
    original = getattr(error, "original_error", None)
    if original is None or _is_localized(original):
        return False
    if error.path is None and error.nodes and isinstance(original, ValueError):
        # A scalar refusing a literal (e.g. a naive DateTime) while the request is validated:
        # the client must read why, as it does for the same value given as a variable.
        return False
    return not isinstance(original, GraphQLError)


def _is_localized(original: Any) -> bool:
    """An expected refusal that carries its message in both languages (``text``: Text), or
    several problems at once, or a value the database's field validation refused."""
    return (isinstance(original, Problems | ValidationError)
            or isinstance(getattr(original, "text", None), Text) or is_unavailable(original))


def _code(original: Any) -> str:
    """A refusal's code as clients read it: a problem's code name, else its ``code``."""
    if isinstance(original, Problem):
        return original.code_name
    return str(getattr(original, "code", "BAD_USER_INPUT"))


def _described(problem: Problem, language: str) -> dict[str, Any]:
    field = [str(part) for part in problem.field] if problem.field is not None else None
    return {"code": problem.code_name, "field": field, "message": problem.message(language)}


def masked_errors(hide_schema: bool = False) -> MaskErrors:
    """The extension (one per operation) that masks unexpected errors, see
    :class:`_MaskErrorsWithRequestId`; with ``hide_schema`` (introspection off), messages
    name nothing of the schema the caller did not type (:func:`hide_schema_names`)."""
    extension = _MaskErrorsWithRequestId(should_mask_error=_should_mask)
    extension.hide_schema = hide_schema
    return extension


_DID_YOU_MEAN = re.compile(r"\s*Did you mean[^?]*\?")
_QUOTED = re.compile(r"'([^'\n]*)'")
_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]*")
# The built-in scalars are GraphQL's, not this schema's.
_BUILT_IN = frozenset({"Int", "Float", "String", "Boolean", "ID"})
HIDDEN = "(hidden)"


def typed_names(query: str | None, variables: Any, operation_name: str | None) -> set[str]:
    """Every name the caller wrote: in the query text, the variables (keys and values) and
    the operation name."""
    written = [query or "", operation_name or "", json.dumps(variables or {}, default=str)]
    return {name for text in written for name in _NAME.findall(text)}


def hide_schema_names(message: str, typed: set[str]) -> str:
    """``message`` without "Did you mean ...?" hints, and with every quoted name the caller
    did not type (a type, an argument, an enum value) replaced by ``(hidden)``: with
    introspection off, error messages must not spell the schema out."""
    message = _DID_YOU_MEAN.sub("", message)

    def keep_or_hide(match: re.Match[str]) -> str:
        names = _NAME.findall(match.group(1))
        if all(name in typed or name in _BUILT_IN for name in names):
            return match.group(0)
        return HIDDEN

    return _QUOTED.sub(keep_or_hide, message)


class _MaskErrorsWithRequestId(MaskErrors):
    """Unexpected exceptions reach the client as a message and the request id, nothing more;
    expected refusals that carry a ``Text`` (a bad cursor, a page too large, a
    :class:`gateway.problems.Problem` raised by a query field) are given in the caller's
    language with their ``code`` (and a problem's ``field``)."""

    hide_schema = False

    def _process_result(self, result: object) -> None:
        # Strawberry's asks a runtime-checkable protocol whether ``result`` has ``errors``
        # (a walk of the protocol's attributes per request); the attribute says as much.
        errors = getattr(result, "errors", None)
        if errors:
            result.errors = self._process_errors(errors)  # type: ignore[attr-defined]

    def _process_errors(self, errors: list[Any]) -> list[Any]:
        processed = [with_request_code(self._localize(error))
                     for error in super()._process_errors(errors)]
        if self.hide_schema:
            context = self.execution_context
            typed = typed_names(context.query, context.variables,
                                getattr(context, "_provided_operation_name", None))
            processed = [self._hidden(error, typed) for error in processed]
        return processed

    @staticmethod
    def _hidden(error: Any, typed: set[str]) -> Any:
        message = hide_schema_names(error.message, typed)
        if message == error.message:
            return error
        return GraphQLError(message, nodes=error.nodes, source=error.source,
                            positions=error.positions, path=error.path,
                            original_error=error.original_error, extensions=error.extensions)

    def _localize(self, error: Any) -> Any:
        original = getattr(error, "original_error", None)
        if original is None or not _is_localized(original):
            return error
        language = getattr(self.execution_context.context, "language", "en")
        if isinstance(original, ValidationError):
            log.warning("a value reached the database unchecked (field %s): %s",
                        ".".join(str(p) for p in error.path or ()) or "-", original,
                        exc_info=original)
            original = Problem("BAD_USER_INPUT", _DOES_NOT_FIT)
        elif is_unavailable(original):
            # The database is down or full: a refusal to retry, not a bug (bench/faults).
            log.warning("database unavailable: %r", original)
            original = Problem(UNAVAILABLE_CODE, UNAVAILABLE)
            error.extensions = {**(error.extensions or {}), "retryAfter": RETRY_AFTER_SECONDS}
        if isinstance(original, Problems):
            # One GraphQL error: the first problem's code, field and message; every problem
            # in ``extensions.problems``.
            everything = [_described(p, language) for p in original.problems]
            original = original.problems[0]
        else:
            everything = None
        extensions = {**(error.extensions or {}), "code": _code(original)}
        if isinstance(original, Problem) and original.field is not None:
            extensions["field"] = [str(part) for part in original.field]
        if everything is not None:
            extensions["problems"] = everything
        return GraphQLError(
            original.text.render(language, **getattr(original, "values", {})),
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            original_error=original,
            extensions=extensions,
        )

    def anonymise_error(self, error: Any) -> Any:
        context = self.execution_context.context
        request_id = getattr(context, "request_id", None) or current_request_id()
        language = getattr(context, "language", "en")
        message = INTERNAL_ERROR.render(language, request_id=request_id)
        return GraphQLError(
            message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions={"code": "INTERNAL_ERROR", "requestId": request_id},
        )


# How graphql-core's lexer words a string literal holding a lone UTF-16 surrogate, escaped
# ("\\ud800") or raw.
_UNENCODABLE_SYNTAX = re.compile(
    r"Invalid Unicode escape sequence|Invalid character within String: U\+D[89A-F]",
    re.IGNORECASE)

# How graphql-core words a variable whose value is refused (coercion, not validation).
_BAD_VALUE_PHRASES = ("has invalid value", "got invalid value", "was not provided",
                      "must not be null")


def with_request_code(error: Any) -> Any:
    """Give errors found before execution (no path) a code, so clients can tell a syntax
    error from a refused document or a bad variable without reading the message.

    Also applied by the HTTP view: with ParserCache, a syntax error skips the extensions."""
    if error.path is not None or (error.extensions or {}).get("code"):
        return error
    if isinstance(error, GraphQLSyntaxError) and _UNENCODABLE_SYNTAX.search(error.message):
        code = "BAD_USER_INPUT"  # a lone surrogate in a string literal: a bad value
    elif isinstance(error, GraphQLSyntaxError):
        code = "GRAPHQL_PARSE_FAILED"  # also "Document contains more than N tokens"
    elif error.message.startswith("Variable '$") and any(
            phrase in error.message for phrase in _BAD_VALUE_PHRASES):
        code = "BAD_USER_INPUT"  # a bad value; "is never used", "is not defined": validation
    else:
        code = "GRAPHQL_VALIDATION_FAILED"  # unknown field, wrong type, depth, aliases
    return GraphQLError(
        error.message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=error.original_error,
        extensions={**(error.extensions or {}), "code": code},
    )


_OPERATION_NAME_REQUIRED = Text(
    en="This document holds several operations: say which to run with operationName.",
    fr="Ce document contient plusieurs opérations : indiquez laquelle exécuter avec "
    "operationName.",
)


class OperationNameRequired(SchemaExtension):
    """GraphQL over HTTP: a document with several operations runs only the one named by
    ``operationName``; without it, refuse (strawberry alone would quietly run the first)."""

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        # What the client sent (``operation_name`` falls back to the first operation's).
        provided = getattr(context, "_provided_operation_name", None)
        if provided is None and document is not None and sum(
                isinstance(d, OperationDefinitionNode) for d in document.definitions) > 1:
            language = getattr(context.context, "language", "en")
            context.pre_execution_errors = [
                *(context.pre_execution_errors or []),
                GraphQLError(_OPERATION_NAME_REQUIRED.render(language),
                             extensions={"code": "OPERATION_NAME_REQUIRED"}),
            ]
        yield


class GatewaySchema(strawberry.Schema):
    """Logs errors by what they are: a bug gets its trace and the request id at ERROR, a
    caller's mistake one INFO line (strawberry's default logs every error with a trace)."""

    def create_extensions_runner(
        self, execution_context: ExecutionContext, extensions: list[SchemaExtension]
    ) -> ExtensionsRunner:
        """Extensions' hooks looked up once per class, not per request
        (:mod:`schema.extension_hooks`)."""
        return ExtensionsRunner(execution_context=execution_context, extensions=extensions)

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        context = getattr(execution_context, "context", None)
        request_id = getattr(context, "request_id", None) or current_request_id()
        for error in errors:
            if _should_mask(error):
                log.error(
                    "unexpected error in GraphQL field %s (request %s): %s",
                    ".".join(str(p) for p in error.path or ()) or "-", request_id, error.message,
                    exc_info=error.original_error, extra={"request_id": request_id},
                )
            else:
                log.info("GraphQL error (request %s): %s", request_id, _loggable(error.message),
                         extra={"request_id": request_id})


def _loggable(message: str) -> str:
    """graphql-core echoes a bad variable's value (a password, say) in its message: the caller
    gets it back, the log keeps only which variable was refused."""
    if message.startswith("Variable '$"):
        name = message.split("'", 2)[1]
        return f"Variable '{name}' has an invalid value (redacted)"
    return message
