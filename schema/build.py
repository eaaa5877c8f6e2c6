"""Compose the schema from plugins, deterministically, failing loudly on a clash."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.extensions import (
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.extensions.disable_introspection import DisableIntrospection
from strawberry.tools import merge_types
from strawberry.types.base import get_object_definition

from gateway.observability import OperationMetrics
from gateway.plugins import PluginError, PluginHost
from schema.errors import Error
from schema.node import Node

ROOTS = (
    ("Query", "gateway_query"),
    ("Mutation", "gateway_mutation"),
    ("Subscription", "gateway_subscription"),
)


def _root(name: str, contributions: list[tuple[str, type]]) -> type | None:
    """Merge the plugins' classes of one root type, refusing two owners for one field."""
    owners: dict[str, str] = {}
    for plugin, cls in contributions:
        definition = get_object_definition(cls, strict=True)
        for field in definition.fields:
            if field.name in owners:
                raise PluginError(
                    f"plugin {plugin!r}: field {name}.{field.name} is already contributed by "
                    f"plugin {owners[field.name]!r}"
                )
            owners[field.name] = plugin
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
    if original is None:
        return False
    from graphql import GraphQLError

    return not isinstance(original, GraphQLError)


class _MaskErrorsWithRequestId(MaskErrors):
    """Unexpected exceptions reach the client as a message and the request id, nothing more."""

    def anonymise_error(self, error: Any) -> Any:
        context = self.execution_context.context
        request_id = getattr(context, "request_id", None)
        language = getattr(context, "language", "en")
        message = (
            f"Erreur interne inattendue (requête {request_id})."
            if language == "fr"
            else f"Unexpected internal error (request {request_id})."
        )
        from graphql import GraphQLError

        return GraphQLError(
            message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions={"code": "INTERNAL_ERROR", "requestId": request_id},
        )


def build_schema(host: PluginHost) -> strawberry.Schema:
    """The one schema: plugins' roots merged in load order, shared limits and error masking."""
    roots = root_contributions(host)
    query = _root("Query", roots["Query"])
    mutation = _root("Mutation", roots["Mutation"])
    subscription = _root("Subscription", roots["Subscription"])
    settings = host.settings
    extensions: list[Any] = [
        lambda: MaxTokensLimiter(max_token_count=settings.max_tokens),
        lambda: QueryDepthLimiter(max_depth=settings.max_query_depth),
        lambda: MaxAliasesLimiter(max_alias_count=settings.max_aliases),
        lambda: ParserCache(maxsize=512),
        lambda: ValidationCache(maxsize=512),
        lambda: _MaskErrorsWithRequestId(should_mask_error=_should_mask),
        OperationMetrics,
    ]
    if not settings.graphql_ide:
        extensions.append(DisableIntrospection)
    return strawberry.Schema(
        query=query,
        mutation=mutation,
        subscription=subscription,
        types=[Node, Error, *(cls for _, cls in extra_types(host))],
        extensions=extensions,
    )
