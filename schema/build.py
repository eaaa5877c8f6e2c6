"""Compose the schema from plugins, deterministically, failing loudly on a clash."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import strawberry
from graphql import GraphQLError, GraphQLSyntaxError, OperationDefinitionNode
from strawberry.exceptions import DuplicatedTypeName
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)
from strawberry.extensions.disable_introspection import DisableIntrospection
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.name_converter import NameConverter
from strawberry.tools import merge_types
from strawberry.types.base import get_object_definition
from strawberry.types.execution import ExecutionContext

from gateway.i18n import Text
from gateway.observability import INTERNAL_ERROR, OperationMetrics, current_request_id
from gateway.plugins import CORE_PLUGIN, PluginError, PluginHost
from schema.errors import Error
from schema.node import Node
from schema.nul_characters import RefuseNulCharacters

ROOTS = (
    ("Query", "gateway_query"),
    ("Mutation", "gateway_mutation"),
    ("Subscription", "gateway_subscription"),
)


_NAMES = NameConverter()
log = logging.getLogger("gateway.graphql")


def _root(name: str, contributions: list[tuple[str, type]]) -> type | None:
    """Merge the plugins' classes of one root type, refusing two owners for one field."""
    owners: dict[str, str] = {}
    for plugin, cls in contributions:
        definition = get_object_definition(cls, strict=True)
        for field in definition.fields:
            # Compare GraphQL names: ``foo_bar`` and ``name="fooBar"`` are the same field.
            field_name = _NAMES.from_field(field)
            if field_name in owners:
                raise PluginError(
                    f"plugin {plugin!r}: field {name}.{field_name} is already contributed by "
                    f"plugin {owners[field_name]!r}"
                )
            owners[field_name] = plugin
    if not contributions:
        return None
    return merge_types(name, tuple(cls for _, cls in contributions))


def root_contributions(host: PluginHost) -> dict[str, list[tuple[str, type]]]:
    """Each root type's classes with the plugin that contributed them; core first."""
    return {name: list(host.each(hook)) for name, hook in ROOTS}


def extra_types(host: PluginHost) -> list[tuple[str, type]]:
    """Extra types, refusing two plugins that contribute a type of the same GraphQL name."""
    owners: dict[str, str] = {}
    types: list[tuple[str, type]] = []
    for plugin, cls in host.each("gateway_types"):
        definition = get_object_definition(cls, strict=False)
        type_name = definition.name if definition else cls.__name__
        if type_name in owners and owners[type_name] != plugin:
            raise PluginError(
                f"plugin {plugin!r}: type {type_name} is already contributed by plugin "
                f"{owners[type_name]!r}"
            )
        owners[type_name] = plugin
        types.append((plugin, cls))
    return types


def _should_mask(error: Any) -> bool:
    """Mask what we did not raise on purpose; keep validation, permission and parse errors."""
    original = getattr(error, "original_error", None)
    if original is None or _is_localized(original):
        return False
    if error.path is None and error.nodes and isinstance(original, ValueError):
        # A scalar refusing a literal (e.g. a naive DateTime) while the request is validated:
        # the client must read why, as it does for the same value given as a variable.
        return False
    from graphql import GraphQLError

    return not isinstance(original, GraphQLError)


def _is_localized(original: Any) -> bool:
    """An expected refusal that carries its message in both languages (``text``: Text)."""
    return isinstance(getattr(original, "text", None), Text)


class _MaskErrorsWithRequestId(MaskErrors):
    """Unexpected exceptions reach the client as a message and the request id, nothing more;
    expected refusals that carry a ``Text`` (a bad cursor, a page too large) are given in the
    caller's language with their ``code``."""

    def _process_errors(self, errors: list[Any]) -> list[Any]:
        return [with_request_code(self._localize(error))
                for error in super()._process_errors(errors)]

    def _localize(self, error: Any) -> Any:
        original = getattr(error, "original_error", None)
        if original is None or not _is_localized(original):
            return error
        from graphql import GraphQLError

        language = getattr(self.execution_context.context, "language", "en")
        return GraphQLError(
            original.text.render(language, **getattr(original, "values", {})),
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            original_error=original,
            extensions={**(error.extensions or {}),
                        "code": getattr(original, "code", "BAD_USER_INPUT")},
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


# How graphql-core words a variable whose value is refused (coercion, not validation).
_BAD_VALUE_PHRASES = ("has invalid value", "got invalid value", "was not provided",
                      "must not be null")


def with_request_code(error: Any) -> Any:
    """Give errors found before execution (no path) a code, so clients can tell a syntax
    error from a refused document or a bad variable without reading the message.

    Also applied by the HTTP view: with ParserCache, a syntax error skips the extensions."""
    if error.path is not None or (error.extensions or {}).get("code"):
        return error
    if isinstance(error, GraphQLSyntaxError):
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


def build_schema(host: PluginHost) -> strawberry.Schema:
    """The one schema: plugins' roots merged in load order, shared limits and error masking."""
    roots = root_contributions(host)
    query = _root("Query", roots["Query"])
    mutation = _root("Mutation", roots["Mutation"])
    subscription = _root("Subscription", roots["Subscription"])
    # Every mutation, whichever plugin made it, is audited when made inside direct access.
    from gateway.identity.audit import audit_mutations

    audit_mutations(mutation)
    settings = host.settings
    # The depth and alias limits are validation rules made once: built per request, each
    # would be a new rule class, and the validation cache (keyed by the rules) would never hit.
    limit_rules = [
        *QueryDepthLimiter(max_depth=settings.max_query_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=settings.max_aliases).validation_rules,
    ]
    extensions: list[Any] = [
        lambda: MaxTokensLimiter(max_token_count=settings.max_tokens),
        lambda: AddValidationRules(limit_rules),
        lambda: ParserCache(maxsize=512),
        lambda: ValidationCache(maxsize=512),
        RefuseNulCharacters,  # after the validation cache: it adds to its errors
        OperationNameRequired,  # after the cache: it adds to the errors the cache gave
        lambda: _MaskErrorsWithRequestId(should_mask_error=_should_mask),
        OperationMetrics,
    ]
    if not settings.graphql_ide:
        extensions.append(DisableIntrospection)
    contributed = extra_types(host)
    try:
        return GatewaySchema(
            query=query,
            mutation=mutation,
            subscription=subscription,
            types=[Node, Error, *(cls for _, cls in contributed)],
            extensions=extensions,
            # With introspection off, "Did you mean ...?" would still spell the schema out.
            config=StrawberryConfig(disable_field_suggestions=not settings.graphql_ide),
        )
    except DuplicatedTypeName as exc:
        raise PluginError(_duplicate_type_message(host, exc)) from None


def _duplicate_type_message(host: PluginHost, exc: DuplicatedTypeName) -> str:
    """Name the plugins behind two different types of one GraphQL name (reached through
    their fields, so :func:`extra_types` could not see them)."""
    classes = [cls for cls in (exc.first_cls, exc.second_cls) if cls is not None]
    owners = [_owner(host, cls) for cls in classes]
    # Blame the plugin loaded last: the clash appeared when it was added.
    order = {CORE_PLUGIN: -1} | {spec.name: i for i, spec in enumerate(host.specs)}
    plugin = max(owners, key=lambda name: order.get(name, len(order))) if owners else "unknown"
    where = " and ".join(
        f"{cls.__module__}.{cls.__qualname__} (plugin {owner!r})"
        for cls, owner in zip(classes, owners, strict=True)
    )
    return f"plugin {plugin!r}: {exc.message}: {where}"


def _owner(host: PluginHost, cls: type) -> str:
    """The plugin that contributed ``cls``: reached from its root classes or extra types, else
    the plugin whose package holds ``cls``'s module."""
    for hook in ("gateway_query", "gateway_mutation", "gateway_subscription", "gateway_types"):
        for plugin, contributed in host.each(hook):
            if any(found is cls for found in _reachable(contributed)):
                return plugin
    packages = [(CORE_PLUGIN, "gateway"), (CORE_PLUGIN, "schema")]
    for spec in host.enabled:
        module = spec.module.partition(":")[0]
        packages += [(spec.name, module), (spec.name, module.rpartition(".")[0])]
    matching = [(len(package), name) for name, package in packages
                if package and (cls.__module__ + ".").startswith(package + ".")]
    return max(matching)[1] if matching else "unknown"


def _reachable(cls: Any) -> list[Any]:
    """Every class reachable from ``cls`` through field types, arguments and interfaces."""
    seen: list[Any] = []
    stack = [cls]
    while stack:
        current = stack.pop()
        if any(current is other for other in seen):
            continue
        seen.append(current)
        definition = get_object_definition(current)
        if definition is None:
            continue
        stack += [interface.origin for interface in definition.interfaces]
        for field in definition.fields:
            try:
                stack += _named(field.type)
                for argument in field.arguments:
                    stack += _named(argument.type)
            except Exception:  # an unresolvable annotation: strawberry reports it itself
                continue
    return seen


def _named(annotation: Any) -> list[Any]:
    """The named classes inside a field's type (lists, optionals, lazy types, unions)."""
    if hasattr(annotation, "of_type"):
        return _named(annotation.of_type)
    if hasattr(annotation, "resolve_type"):
        return _named(annotation.resolve_type())
    if hasattr(annotation, "types"):
        return [named for member in annotation.types for named in _named(member)]
    return [annotation] if isinstance(annotation, type) else []
