"""What one GraphQL document may cost before anything runs, and the caches of parsed and
validated documents, bounded by entries and by bytes.

The cost of a document estimates how many fields it would resolve: every field counts once
per time it would run, i.e. times the sizes of the lists above it. A field taking ``first``
returns a page of ``first`` items (its page cap when ``first`` is left out); any other list
counts at the page cap, except the lists of a page itself (a connection's ``edges`` and
``nodes``), counted once at the field that took ``first``. Aliases are fields like any
other, fragments are expanded: ``30 aliases x 100 rows x 3 levels`` is what it looks like.
The budget is checked with the variables, before the first resolver runs."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    parse,
)
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

from gateway.i18n import Text

_TOO_COSTLY = Text(
    en="This query would cost {cost} (fields x list sizes, lists without first counted at "
    "{page}); the limit is {limit}. Ask for smaller pages (first) or fewer fields.",
    fr="Cette requête coûterait {cost} (champs x tailles des listes, une liste sans first "
    "comptée pour {page}) ; la limite est {limit}. Demandez des pages plus petites (first) "
    "ou moins de champs.",
)


class BoundedCache:
    """A least-recently-used map holding at most ``max_entries`` values and ``max_bytes`` of
    keys' and values' declared sizes; a value larger than the whole budget is not kept."""

    def __init__(self, max_entries: int, max_bytes: int) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.bytes = 0
        self._items: OrderedDict[str, tuple[Any, int]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: str) -> Any:
        found = self._items.get(key)
        if found is None:
            return None
        self._items.move_to_end(key)
        return found[0]

    def put(self, key: str, value: Any, size: int) -> None:
        if key in self._items:
            self.bytes -= self._items.pop(key)[1]
        if size > self.max_bytes or self.max_entries < 1:
            return
        self._items[key] = (value, size)
        self.bytes += size
        while len(self._items) > self.max_entries or self.bytes > self.max_bytes:
            _, (_, dropped) = self._items.popitem(last=False)
            self.bytes -= dropped


def text_size(text: str) -> int:
    """Bytes of ``text`` in UTF-8 (a lone surrogate counted as 3, as it is refused later)."""
    return len(text.encode("utf-8", "surrogatepass"))


class _CachedDocument:
    __slots__ = ("document", "errors")

    def __init__(self, document: DocumentNode) -> None:
        self.document = document
        self.errors: list[GraphQLError] | None = None


def document_cache(max_entries: int, max_bytes: int) -> Callable[[], SchemaExtension]:
    """The extension factory caching parsed and validated documents by query text, in one
    cache per schema bounded by entries and bytes of query text (strawberry's own caches
    are bounded by entries only: 512 queries of 1 MB each stay in memory for good)."""
    cache = BoundedCache(max_entries, max_bytes)

    def factory() -> SchemaExtension:
        return _DocumentCache(cache)

    factory.cache = cache  # type: ignore[attr-defined]  # for tests and operators
    return factory


class _DocumentCache(SchemaExtension):
    def __init__(self, cache: BoundedCache) -> None:
        self.cache = cache
        self.entry: _CachedDocument | None = None

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        query = context.query
        if query and context.graphql_document is None:
            self.entry = self.cache.get(query)
            if self.entry is None:
                document = parse(query, **context.parse_options)
                self.entry = _CachedDocument(document)
                self.cache.put(query, self.entry, text_size(query))
            context.graphql_document = self.entry.document
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        entry = self.entry
        if entry is not None and context.pre_execution_errors is None:
            if entry.errors is None:
                entry.errors = validate_document(
                    context.schema._schema, entry.document, context.validation_rules)
            context.pre_execution_errors = list(entry.errors)
        yield


# ---- cost ----------------------------------------------------------------------------------


def _first_value(field: FieldNode, variables: dict[str, Any]) -> int | None:
    for argument in field.arguments or ():
        if argument.name.value != "first":
            continue
        value = argument.value
        if isinstance(value, IntValueNode):
            return int(value.value)
        if isinstance(value, VariableNode):
            given = variables.get(value.name.value)
            return given if isinstance(given, int) and not isinstance(given, bool) else None
    return None


def _is_list(type_: Any) -> bool:
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    return isinstance(type_, GraphQLList)


class _Cost:
    def __init__(self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode],
                 variables: dict[str, Any], page_cap: int, limit: int) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.page_cap = page_cap
        self.limit = limit
        self.total = 0

    def _size(self, node: FieldNode, definition: Any, in_page: bool) -> tuple[int, bool]:
        """(how many items this field returns, whether they are a page's)."""
        if "first" in definition.args:
            first = _first_value(node, self.variables)
            size = self.page_cap if first is None else max(0, min(first, self.page_cap))
            return size, True
        if _is_list(definition.type) and not in_page:
            return self.page_cap, False
        return 1, False

    def visit(self, selections: SelectionSetNode, parent: Any, times: int, in_page: bool,
              spread: frozenset[str] = frozenset()) -> None:
        for selection in selections.selections:
            if self.total > self.limit:
                return
            if isinstance(selection, FieldNode):
                self.total += times
                fields = getattr(parent, "fields", None) or {}
                definition = fields.get(selection.name.value)
                if definition is None or selection.selection_set is None:
                    continue
                size, page = self._size(selection, definition, in_page)
                self.visit(selection.selection_set, get_named_type(definition.type),
                           times * size, page)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self.schema.get_type(condition.name.value) if condition else parent
                self.visit(selection.selection_set, target or parent, times, in_page, spread)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is None or name in spread:
                    continue
                target = self.schema.get_type(fragment.type_condition.name.value)
                self.visit(fragment.selection_set, target or parent, times, in_page,
                           spread | {name})


def document_cost(schema: GraphQLSchema, document: DocumentNode, operation_name: str | None,
                  variables: dict[str, Any] | None, page_cap: int, limit: int) -> int:
    """The estimated cost of running ``operation_name`` of ``document`` (stops counting a
    little past ``limit``)."""
    fragments = {d.name.value: d for d in document.definitions
                 if isinstance(d, FragmentDefinitionNode)}
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is not None:
        operations = [d for d in operations if d.name and d.name.value == operation_name]
    cost = _Cost(schema, fragments, variables or {}, page_cap, limit)
    for operation in operations[:1]:
        root: GraphQLObjectType | GraphQLInterfaceType | None = schema.get_root_type(
            operation.operation)
        cost.visit(operation.selection_set, root, 1, False)
    return cost.total


def cost_budget(page_cap: int, limit: int) -> type[SchemaExtension]:
    """The extension refusing a document whose cost is above ``limit`` (code
    ``COST_LIMIT_EXCEEDED``), after validation and before execution."""

    class CostBudget(SchemaExtension):
        def on_validate(self) -> Iterator[None]:
            # Listed after the document cache, which has validated the document by now.
            context = self.execution_context
            if not context.pre_execution_errors and context.graphql_document is not None:
                self.refuse_if_too_costly(context.graphql_document)
            yield

        def refuse_if_too_costly(self, document: DocumentNode) -> None:
            context = self.execution_context
            cost = document_cost(context.schema._schema, document,
                                 getattr(context, "_provided_operation_name", None)
                                 or context.operation_name, context.variables, page_cap, limit)
            if cost > limit:
                language = getattr(context.context, "language", "en")
                context.pre_execution_errors = [GraphQLError(
                    _TOO_COSTLY.render(language, cost=cost, limit=limit, page=page_cap),
                    extensions={"code": "COST_LIMIT_EXCEEDED", "cost": cost,
                                "maxCost": limit})]

    return CostBudget
