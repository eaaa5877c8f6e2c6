"""Compose the schema from plugins, deterministically, failing loudly on a clash. What a
client reads of an error is ``schema.masking``'s."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.exceptions import DuplicatedTypeName
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
)
from strawberry.extensions.disable_introspection import DisableIntrospection
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.name_converter import NameConverter
from strawberry.tools import merge_types
from strawberry.types.base import get_object_definition

from gateway.identity.audit_schema import audit_mutations
from gateway.identity.scopes_schema import guard_root_fields
from gateway.plugins import CORE_PLUGIN, PluginError, PluginHost
from schema.descriptions import describe_conventions
from schema.errors import Error
from schema.executor import GatewayExecutionContext
from schema.inputs import plan_inputs
from schema.limits import cost_budget, document_cache
from schema.masking import GatewaySchema, OperationNameRequired, masked_errors
from schema.metrics import OperationMetrics
from schema.node import Node
from schema.nul_characters import RefuseNulCharacters

ROOTS = (
    ("Query", "gateway_query"),
    ("Mutation", "gateway_mutation"),
    ("Subscription", "gateway_subscription"),
)


_NAMES = NameConverter()


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


def root_contributions(gateway: PluginHost) -> dict[str, list[tuple[str, type]]]:
    """Each root type's classes with the plugin that contributed them; core first."""
    return {name: list(gateway.each(hook)) for name, hook in ROOTS}


def root_fields(gateway: PluginHost) -> list[tuple[str, str]]:
    """(plugin, "Query.outboxJobs") for every root field, in GraphQL names as clients and the
    SDL spell them."""
    return [
        (plugin, f"{root}.{_NAMES.from_field(field)}")
        for root, contributions in root_contributions(gateway).items()
        for plugin, cls in contributions
        for field in get_object_definition(cls, strict=True).fields
    ]


def graphql_type_name(cls: type) -> str:
    """The GraphQL name of a contributed type."""
    definition = get_object_definition(cls, strict=False)
    return definition.name if definition else cls.__name__


def extra_types(gateway: PluginHost) -> list[tuple[str, type]]:
    """Extra types, refusing two plugins that contribute a type of the same GraphQL name."""
    owners: dict[str, str] = {}
    types: list[tuple[str, type]] = []
    for plugin, cls in gateway.each("gateway_types"):
        name = graphql_type_name(cls)
        if name in owners and owners[name] != plugin:
            raise PluginError(
                f"plugin {plugin!r}: type {name} is already contributed by plugin "
                f"{owners[name]!r}"
            )
        owners[name] = plugin
        types.append((plugin, cls))
    return types


def build_schema(gateway: PluginHost) -> strawberry.Schema:
    """The one schema: plugins' roots merged in load order, shared limits and error masking."""
    roots = root_contributions(gateway)
    query = _root("Query", roots["Query"])
    if query is None:
        raise PluginError("no plugin contributes a Query field")
    mutation = _root("Mutation", roots["Mutation"])
    subscription = _root("Subscription", roots["Subscription"])
    # Every mutation made by staff, a token or inside direct access is audited, whichever
    # plugin made it; every root field checks an API token's scopes (the field's area is the
    # plugin that contributed it), inside the audit so that a refusal is audited too.
    audit_mutations(mutation)
    guard_root_fields(roots)
    settings = gateway.settings
    # The depth and alias limits are validation rules made once: built per request, each
    # would be a new rule class, and the validation cache (keyed by the rules) would never hit.
    limit_rules = [
        *QueryDepthLimiter(max_depth=settings.max_query_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=settings.max_aliases).validation_rules,
    ]
    extensions: list[Any] = [
        lambda: MaxTokensLimiter(max_token_count=settings.max_tokens),
        lambda: AddValidationRules(limit_rules),
        # Parsed and validated documents, bounded by entries and bytes of query text.
        document_cache(settings.document_cache_entries, settings.document_cache_bytes),
        RefuseNulCharacters,  # after the validation cache: it adds to its errors
        OperationNameRequired,  # after the cache: it adds to the errors the cache gave
        # After the cache too: the document is valid when its cost is estimated.
        cost_budget(settings.max_page_size, settings.max_cost),
        # With introspection off, messages name nothing the caller did not type.
        lambda: masked_errors(hide_schema=not settings.graphql_ide),
        OperationMetrics,
    ]
    if not settings.graphql_ide:
        extensions.append(DisableIntrospection)
    contributed = extra_types(gateway)
    try:
        schema = GatewaySchema(
            query=query,
            mutation=mutation,
            subscription=subscription,
            types=[Node, Error, *(cls for _, cls in contributed)],
            extensions=extensions,
            # Scalar columns of list rows resolved without graphql-core's per-field machinery.
            execution_context_class=GatewayExecutionContext,
            # With introspection off, "Did you mean ...?" would still spell the schema out.
            config=StrawberryConfig(disable_field_suggestions=not settings.graphql_ide),
        )
    except DuplicatedTypeName as exc:
        raise PluginError(_duplicate_type_message(gateway, exc)) from None
    # Connections, first/after, payload errors, Node ids...: described once for every plugin.
    describe_conventions(schema._schema)
    # Input objects (filters, sorts, mutation inputs) built from a plan made once per type.
    plan_inputs([known.definition for known in schema.schema_converter.type_map.values()])
    return schema


def _duplicate_type_message(gateway: PluginHost, exc: DuplicatedTypeName) -> str:
    """Name the plugins behind two different types of one GraphQL name (reached through
    their fields, so :func:`extra_types` could not see them)."""
    classes = [cls for cls in (exc.first_cls, exc.second_cls) if cls is not None]
    owners = [_owner(gateway, cls) for cls in classes]
    # Blame the plugin loaded last: the clash appeared when it was added.
    order = gateway.load_order()
    plugin = max(owners, key=lambda name: order.get(name, len(order))) if owners else "unknown"
    where = " and ".join(
        f"{cls.__module__}.{cls.__qualname__} (plugin {owner!r})"
        for cls, owner in zip(classes, owners, strict=True)
    )
    return f"plugin {plugin!r}: {exc.message}: {where}"


def _owner(gateway: PluginHost, cls: type) -> str:
    """The plugin that contributed ``cls``: reached from its root classes or extra types, else
    the plugin whose package holds ``cls``'s module."""
    for hook in ("gateway_query", "gateway_mutation", "gateway_subscription", "gateway_types"):
        for plugin, contributed in gateway.each(hook):
            if any(found is cls for found in _reachable(contributed)):
                return plugin
    packages = [(CORE_PLUGIN, "gateway"), (CORE_PLUGIN, "schema")]
    for spec in gateway.enabled:
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
