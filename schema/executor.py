"""A leaner path through graphql-core for the fields that need none of its machinery.

A list page resolves hundreds of fields (50 rows of 11 columns), and graphql-core spends ~7 µs
on each: a path segment, a resolve-info tuple, strawberry's resolver wrapper (an ``Info``, the
arguments converted, the field extensions chained) and the completion's type dispatch. Most of
those fields are a plain attribute or a method of the node with no argument and no extension,
whose value is a scalar or an enum.

:class:`GatewayExecutionContext` plans each selection set once per request (a selection set is
executed once per row) and resolves such fields directly: the attribute read, or the method
called with what it asks for (the node, and an ``Info`` only if it takes one), then the type's
``coerce_output_value``. Everything else — a field with arguments or extensions (the
permission checks of the root fields, the audit, token scopes), an async resolver, an object
or list value, a value that is awaitable — takes graphql-core's own path, and so does any
field when a schema extension wraps resolvers (a middleware). An error is reported exactly as
graphql-core reports it (located at the field's path, null propagated the same way): the path
and the resolve info are built only then.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable
from enum import Enum
from typing import Any

import strawberry
from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLBoolean,
    GraphQLField,
    GraphQLID,
    GraphQLInt,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLString,
    InlineFragmentNode,
    SelectionSetNode,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    is_object_type,
)
from graphql.execution.collect_fields import CollectedFields, FieldDetailsList, GroupedFieldSet
from graphql.execution.executor import invalid_return_type_error
from graphql.pyutils import Path, Undefined, gather_with_cancel, inspect, is_iterable
from graphql.type.introspection import TypeNameMetaFieldDef
from strawberry import relay
from strawberry.relay.utils import to_base64
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

# A planned field: its response name, the field's details, and the direct resolver (``None``:
# graphql-core's own path).
PlannedField = tuple[str, FieldDetailsList, "DirectField | None"]

_RESOLVE_ID = relay.Node.resolve_id.__func__  # type: ignore[attr-defined]
_RESOLVE_TYPENAME = relay.Node.resolve_typename.__func__  # type: ignore[attr-defined]
_PLAIN = {GraphQLString: str, GraphQLID: str, GraphQLBoolean: bool, GraphQLInt: int}
_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1

_UNKNOWN: Any = object()

# What a direct field's value is completed as.
LEAF, OBJECT, OBJECTS = "leaf", "object", "objects"


def _nullable(type_: Any) -> Any:
    return type_.of_type if is_non_null_type(type_) else type_


def plain_object_type(type_: Any) -> GraphQLObjectType | None:
    """``type_`` when it is an object type whose runtime check needs no resolve info: none, or
    the one strawberry writes for a type with interfaces (an ``isinstance``)."""
    if not is_object_type(type_):
        return None
    is_type_of = type_.is_type_of
    if is_type_of is None or getattr(is_type_of, "__qualname__", "").endswith(
            "_get_is_type_of.<locals>.is_type_of"):
        return type_
    return None


class DirectField:
    """One field resolved without graphql-core's per-field machinery (see the module)."""

    __slots__ = ("attribute", "coerce", "definition", "enum_names", "field", "getter",
                 "id_attributes", "info_name", "item_non_null", "item_type", "kind", "name",
                 "node_id", "non_null", "object_type", "parent_type", "passes_self", "plain",
                 "read", "resolver", "return_type", "source_names", "typename")

    def __init__(self, parent_type: GraphQLObjectType, definition: GraphQLField, kind: str,
                 field: StrawberryField | None) -> None:
        self.parent_type = parent_type
        self.definition = definition
        self.kind = kind
        self.return_type: GraphQLOutputType = definition.type
        self.non_null = is_non_null_type(definition.type)
        value_type = _nullable(definition.type)
        self.coerce = value_type.coerce_output_value if kind == LEAF else None
        self.enum_names: dict[Enum, Any] = {}  # an enum member's output, once coerced
        # The Python type a standard scalar gives out as it is (an Int still checks its range).
        self.plain = _PLAIN.get(value_type) if kind == LEAF else None
        self.item_type: Any = value_type.of_type if kind == OBJECTS else None
        self.item_non_null = kind == OBJECTS and is_non_null_type(self.item_type)
        self.object_type = _nullable(self.item_type if kind == OBJECTS else value_type)
        self.field = field
        self.typename = parent_type.name if definition is TypeNameMetaFieldDef else None
        self.name = field.python_name if field is not None else ""
        self.getter = field.default_resolver if field is not None else getattr
        resolver = field.base_resolver if field is not None else None
        # ``plain`` for an attribute read by ``getattr`` (strawberry's default resolver).
        self.attribute = self.plain if (
            resolver is None and self.getter is getattr and self.typename is None) else None
        self.resolver: Callable[..., Any] | None = (
            resolver.wrapped_func if resolver is not None else None)  # type: ignore[assignment]
        # What strawberry's get_arguments passes a resolver without arguments: the node as
        # ``self`` (positional), as ``root``/``parent`` (by name), and the Info if asked for.
        self.passes_self = resolver is not None and resolver.self_parameter is not None
        self.source_names = tuple(
            parameter.name for parameter in (
                resolver.root_parameter if resolver is not None else None,
                resolver.parent_parameter if resolver is not None else None)
            if parameter is not None)
        info = resolver.info_parameter if resolver is not None else None
        self.info_name = info.name if info is not None else None
        # relay's ``Node.id``: the type's name and the NodeID column, in base64.
        self.node_id = resolver is not None and resolver.name == "_id" and (
            value_type is GraphQLID and isinstance(field.origin, type)  # type: ignore[union-attr]
            and issubclass(field.origin, relay.Node))  # type: ignore[union-attr]
        # The source's class → the attribute of its relay id (None: not relay's own id).
        self.id_attributes: dict[type, str | None] = {}
        self.read = self._reader()

    def _reader(self) -> Callable[[Any], Any] | None:
        """The field's raw value from its source alone, when it needs nothing else: ``None``
        for a plain attribute (read inline) or a field that does (a resolve info, a
        ``root``); the reader answers ``_UNKNOWN`` when it cannot tell (then
        :meth:`GatewayExecutionContext._value` reads it)."""
        if self.typename is not None or self.attribute is not None:
            return None
        resolver = self.resolver
        if resolver is None:
            return operator.attrgetter(self.name) if self.getter is getattr else None
        if self.node_id:
            return self._relay_id
        if self.info_name is not None or self.source_names:
            return None
        if self.passes_self:
            return resolver
        return lambda _source: resolver()

    def _relay_id(self, source: Any) -> Any:
        """What relay's ``Node.id`` gives when the source's class keeps relay's own
        ``resolve_id`` and ``resolve_typename``: the type's name and the NodeID attribute."""
        node = type(source)
        attribute = self.id_attributes.get(node, _UNKNOWN)
        if attribute is _UNKNOWN:
            attribute = self.id_attributes[node] = node.resolve_id_attr() if (
                issubclass(node, relay.Node)
                and getattr(node.resolve_id, "__func__", None) is _RESOLVE_ID
                and getattr(node.resolve_typename, "__func__", None) is _RESOLVE_TYPENAME
            ) else None
        if attribute is None:
            return _UNKNOWN
        return to_base64(self.parent_type.name, str(getattr(source, attribute)))


def _kind(return_type: Any) -> str | None:
    value_type = _nullable(return_type)
    if is_leaf_type(value_type):
        return LEAF
    if plain_object_type(value_type) is not None:
        return OBJECT
    if is_list_type(value_type) and plain_object_type(_nullable(value_type.of_type)):
        return OBJECTS
    return None


def direct_field(parent_type: GraphQLObjectType, definition: GraphQLField,
                 node: FieldNode) -> DirectField | None:
    """The direct resolver of ``definition`` on ``parent_type``, or ``None`` when the field
    needs graphql-core's own path (see the module). The schema must have no strawberry
    exception handlers (they wrap every resolver)."""
    kind = _kind(definition.type)
    if kind is None or kind == OBJECTS and node.directives:
        return None  # an abstract type, a list of scalars or lists; ``@stream``
    if definition is TypeNameMetaFieldDef:
        return DirectField(parent_type, definition, kind, None)
    field = (definition.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if not isinstance(field, StrawberryField) or field.extensions or definition.args:
        return None
    resolver = field.base_resolver
    if resolver is not None and (field.is_async or resolver.arguments):
        return None
    return DirectField(parent_type, definition, kind, field)


def _null_error(direct: DirectField, field_details_list: FieldDetailsList) -> TypeError:
    name = field_details_list[0].node.name.value
    return TypeError(f"Cannot return null for non-nullable field {direct.parent_type}.{name}.")


def _complete_leaf(direct: DirectField, value: Any) -> Any:
    """graphql-core's complete_leaf_value; an enum member's output coerced once."""
    member = isinstance(value, Enum)
    if member:
        known = direct.enum_names.get(value)
        if known is not None:
            return known
    coerced = direct.coerce(value)  # type: ignore[misc]
    if coerced is Undefined or coerced is None:
        raise TypeError(f"Expected `{inspect(direct.return_type)}.coerce_output_value("
                        f"{inspect(value)})` to return non-nullable value, returned:"
                        f" {inspect(coerced)}")
    if member:
        direct.enum_names[value] = coerced
    return coerced


# What a completed value is when it is not awaitable (graphql-core's check is slower).
_SETTLED = frozenset({dict, list, str, int, bool, float, type(None)})


class SharedSelections:
    """Subfields collected (and planned) once for every request of a document.

    graphql-core collects an object's subfields per request (memoized by the field nodes'
    list): a report of sixteen ``{ value percent }`` metrics collects and plans seventeen
    selection sets each time, an eighth of its Python time. The documents come from the
    schema's cache, so their field nodes are the same objects from one request to the next;
    what is collected from them is the same too unless it depends on the request: a directive
    (``@skip``/``@include`` with a variable, ``@defer``), a fragment's variables. Only
    selections with none of those, at any depth of their fragments, are kept here, keyed by
    the field nodes (held, so that their ids are not reused), with their plan. Bounded: past
    ``MOST`` entries it starts again."""

    MOST = 4096

    def __init__(self) -> None:
        self._collected: dict[tuple[GraphQLObjectType, tuple[int, ...]],
                              tuple[tuple[FieldNode, ...], CollectedFields | None]] = {}
        self.plans: dict[int, tuple[GroupedFieldSet, list[PlannedField]]] = {}
        self._sets: set[int] = set()  # ids of the grouped field sets kept in _collected

    @staticmethod
    def _nodes(field_details_list: FieldDetailsList) -> tuple[FieldNode, ...] | None:
        if any(details.defer_usage is not None or details.fragment_variable_values is not None
               for details in field_details_list):
            return None
        return tuple(details.node for details in field_details_list)

    def collected(self, return_type: GraphQLObjectType,
                  field_details_list: FieldDetailsList) -> CollectedFields | None:
        nodes = self._nodes(field_details_list)
        if nodes is None:
            return None
        found = self._collected.get((return_type, tuple(map(id, nodes))))
        if found is None or any(a is not b for a, b in zip(found[0], nodes, strict=True)):
            return None
        return found[1]  # None: it varies from request to request

    def keep(self, return_type: GraphQLObjectType, field_details_list: FieldDetailsList,
             collected: CollectedFields, fragments: dict[str, Any]) -> None:
        """Keep ``collected`` if no request can collect anything else from these nodes (a
        selection that can is remembered too, as None: it is not looked at again)."""
        nodes = self._nodes(field_details_list)
        if nodes is None:
            return
        key = (return_type, tuple(map(id, nodes)))
        if key in self._collected:
            return  # known to vary
        if len(self._collected) >= self.MOST:
            self._collected.clear()
            self.plans.clear()
            self._sets.clear()
        if collected.new_defer_usages or collected.forbidden_directive_instances or not all(
                _static(node.selection_set, fragments, set()) for node in nodes):
            self._collected[key] = (nodes, None)
            return
        self._collected[key] = (nodes, collected)
        self._sets.add(id(collected.grouped_field_set))

    def keep_plan(self, grouped_field_set: GroupedFieldSet, plan: list[PlannedField]) -> None:
        if id(grouped_field_set) in self._sets:
            self.plans[id(grouped_field_set)] = (grouped_field_set, plan)


def _static(selection_set: SelectionSetNode | None, fragments: dict[str, Any],
            seen: set[str]) -> bool:
    """Whether collecting ``selection_set`` can depend on nothing but the schema and the
    document: no directive on its selections, its inline fragments' and its named fragments'
    (followed), no fragment with variables or arguments."""
    if selection_set is None:
        return True
    for selection in selection_set.selections:
        if selection.directives:
            return False
        if isinstance(selection, InlineFragmentNode):
            if not _static(selection.selection_set, fragments, seen):
                return False
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if getattr(selection, "arguments", None):
                return False
            if name in seen:
                continue
            seen.add(name)
            fragment = fragments.get(name)
            if fragment is None or fragment.variable_signatures or (
                    fragment.definition.directives) or not _static(
                    fragment.definition.selection_set, fragments, seen):
                return False
    return True


@functools.cache
def _lazy_info(info_class: type[strawberry.Info]) -> type[strawberry.Info]:
    """``info_class`` whose resolve info is built on first read, from what
    :meth:`GatewayExecutionContext._info` needs (kept in ``_build``)."""

    class LazyInfo(info_class):  # type: ignore[valid-type,misc]
        @property
        def _raw_info(self) -> GraphQLResolveInfo:
            raw: GraphQLResolveInfo | None = self.__dict__.get("_raw")
            if raw is None:
                context, *arguments = self.__dict__["_build"]
                raw = self.__dict__["_raw"] = context._info(*arguments)
            return raw

    LazyInfo.__name__ = LazyInfo.__qualname__ = f"Lazy{info_class.__name__}"
    return LazyInfo


class GatewayExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """graphql-core's executor with the direct path of :func:`direct_field` (see the module)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # id(grouped field set) → (the set, kept alive so that its id is not reused; its plan).
        self._plans: dict[int, tuple[GroupedFieldSet, list[PlannedField]]] = {}
        strawberry_schema = getattr(self.schema, "_strawberry_schema", None)
        self._lazy_info_class = _lazy_info(
            strawberry_schema.config.info_class if strawberry_schema else strawberry.Info)
        # A middleware (a schema extension's ``resolve``) or an exception handler wraps every
        # resolver: then every field takes graphql-core's path.
        manager = self.middleware_manager
        self._direct = strawberry_schema is not None and (
            not strawberry_schema.exception_handlers) and (
            manager is None or not manager._middleware_resolvers)
        # (type, field, has directives) → its DirectField or None, kept with the schema: what
        # a field needs depends on the schema only, not on the request.
        known = getattr(self.schema, "_gateway_direct_fields", None)
        if known is None:
            known = {}
            self.schema._gateway_direct_fields = known  # type: ignore[attr-defined]
        self._known: dict[tuple[str, str, bool], DirectField | None] = known
        # Selection sets collected and planned once for every request of a document.
        shared = getattr(self.schema, "_gateway_shared_selections", None)
        if shared is None:
            shared = SharedSelections()
            self.schema._gateway_shared_selections = shared  # type: ignore[attr-defined]
        self._shared: SharedSelections | None = shared if self._direct else None

    def collect_subfields(self, return_type: GraphQLObjectType,
                          field_details_list: FieldDetailsList) -> CollectedFields:
        """graphql-core's (memoized for the request), and kept for the next requests when it
        can only come out the same: see :class:`SharedSelections`."""
        memo = self._relevant_sub_fields
        cached = memo.get((return_type, id(field_details_list)))
        if cached is not None:
            return cached[1]
        shared = self._shared
        collected = shared.collected(return_type, field_details_list) if shared else None
        if collected is not None:
            memo[(return_type, id(field_details_list))] = (field_details_list, collected)
            return collected
        collected = super().collect_subfields(return_type, field_details_list)
        if shared is not None:
            shared.keep(return_type, field_details_list, collected, self.fragments)
        return collected

    def _plan(self, parent_type: GraphQLObjectType,
              grouped_field_set: GroupedFieldSet) -> list[PlannedField]:
        cached = self._plans.get(id(grouped_field_set))
        if cached is None and self._shared is not None:
            cached = self._shared.plans.get(id(grouped_field_set))
        if cached is not None and cached[0] is grouped_field_set:
            return cached[1]
        plan: list[PlannedField] = []
        known = self._known
        for response_name, field_details_list in grouped_field_set.items():
            node = field_details_list[0].node
            key = (parent_type.name, node.name.value, bool(node.directives))
            direct = known.get(key, _UNKNOWN) if self._direct else None
            if direct is _UNKNOWN:
                definition = self.schema.get_field(parent_type, node.name.value)
                direct = known[key] = direct_field(parent_type, definition, node) if (
                    definition is not None) else None
            plan.append((response_name, field_details_list, direct))
        self._plans[id(grouped_field_set)] = (grouped_field_set, plan)
        if self._shared is not None:
            self._shared.keep_plan(grouped_field_set, plan)
        return plan

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: GroupedFieldSet,
        position_context: Any,
    ) -> Any:
        results: dict[str, Any] = {}
        is_awaitable = self.is_awaitable
        awaitable_fields: list[str] = []
        try:
            for response_name, field_details_list, direct in self._plan(parent_type,
                                                                         grouped_field_set):
                if direct is not None:
                    value = _UNKNOWN
                    plain = direct.attribute
                    if plain is not None:
                        # The commonest field, inline: a str, bool or int attribute.
                        value = getattr(source_value, direct.name, _UNKNOWN)
                    elif direct.read is not None:
                        # Another attribute, a method, a relay id: read here; an exception
                        # raised is the field's error (_resolve_directly raises it again).
                        try:
                            value = direct.read(source_value)
                        except Exception as error:
                            value = error
                        plain = direct.plain
                    if type(value) is plain and (plain is not int or (
                            _INT_MIN <= value <= _INT_MAX)):  # type: ignore[operator]
                        results[response_name] = value
                        continue
                    if direct.enum_names and isinstance(value, Enum):
                        known = direct.enum_names.get(value)
                        if known is not None:  # a member of the field's enum, seen before
                            results[response_name] = known
                            continue
                    # Anything else (a None, an object, an error) completed from the value read.
                    result = self._resolve_directly(direct, source_value, path, response_name,
                                                    field_details_list, position_context, value)
                else:
                    result = self.execute_field(
                        parent_type, source_value, field_details_list,
                        Path(path, response_name, parent_type.name), position_context)
                if result is not Undefined:
                    results[response_name] = result
                    if type(result) not in _SETTLED and is_awaitable(result):
                        awaitable_fields.append(response_name)
        except Exception:
            self._abandon(results, awaitable_fields)
            raise
        return self._complete_all(results, awaitable_fields)

    def _resolve_directly(self, direct: DirectField, source: Any, parent_path: Path | None,
                          response_name: str, field_details_list: FieldDetailsList,
                          position_context: Any, read: Any = _UNKNOWN) -> Any:
        """The field's completed value; ``read``: its attribute's value, already read."""
        if direct.typename is not None:
            return direct.typename
        try:
            value = read if read is not _UNKNOWN else self._value(
                direct, source, parent_path, response_name, field_details_list)
            plain = direct.plain
            if plain is not None and type(value) is plain and (
                    plain is not int or _INT_MIN <= value <= _INT_MAX):  # type: ignore[operator]
                return value
            if value is None:
                if direct.non_null:
                    raise _null_error(direct, field_details_list)
                return None
            if self.is_awaitable(value):
                info = self._info(direct, field_details_list, parent_path, response_name)
                return self.complete_awaitable_value(
                    direct.return_type, field_details_list, info, info.path, value,
                    position_context)
            if isinstance(value, Exception):
                raise value
            if direct.kind == LEAF:
                return _complete_leaf(direct, value)
            path = Path(parent_path, response_name, direct.parent_type.name)
            if direct.kind == OBJECT:
                completed = self._complete_object(direct.object_type, field_details_list, path,
                                                  value, position_context)
            else:
                completed = self._complete_objects(direct, field_details_list, path, value,
                                                   position_context)
            if type(completed) not in _SETTLED and self.is_awaitable(completed):
                return self._settle(completed, direct.return_type, field_details_list, path)
            return completed
        except Exception as raw_error:
            self.handle_field_error(raw_error, direct.return_type, field_details_list,
                                    Path(parent_path, response_name, direct.parent_type.name))
            return None

    def _value(self, direct: DirectField, source: Any, parent_path: Path | None,
               response_name: str, field_details_list: FieldDetailsList) -> Any:
        """The field's raw value, read by its resolver (a missing attribute raises its
        error); a resolve info, when the resolver asks for one, is built only if it reads it."""
        resolver = direct.resolver
        if resolver is None:
            return direct.getter(source, direct.name)
        if direct.info_name is None and not direct.source_names:
            return resolver(source) if direct.passes_self else resolver()
        kwargs = dict.fromkeys(direct.source_names, source)
        if direct.info_name is not None:
            # The resolve info is built when the resolver reads it (a list row's method that
            # answers from its row never does).
            info = object.__new__(self._lazy_info_class)
            info.__dict__.update(_field=direct.field, _build=(
                self, direct, field_details_list, parent_path, response_name))
            kwargs[direct.info_name] = info
        return resolver(source, **kwargs) if direct.passes_self else resolver(**kwargs)

    def _complete_object(self, object_type: GraphQLObjectType,
                         field_details_list: FieldDetailsList, path: Path, value: Any,
                         position_context: Any, collected: Any = None) -> Any:
        """graphql-core's complete_object_value for a :func:`plain_object_type`;
        ``collected``: its subfields, when collected already (a list's items)."""
        is_type_of = object_type.is_type_of
        if is_type_of is not None and not is_type_of(value, None):  # type: ignore[arg-type]
            raise invalid_return_type_error(object_type, value, field_details_list)
        grouped_field_set, new_defer_usages, _ = collected or self.collect_subfields(
            object_type, field_details_list)
        if position_context is None and not new_defer_usages:
            # What execute_collected_subfields does without @defer.
            return self.execute_fields(object_type, value, path, grouped_field_set, None)
        return self.execute_collected_subfields(object_type, value, path, grouped_field_set,
                                                new_defer_usages, position_context)

    def _complete_objects(self, direct: DirectField, field_details_list: FieldDetailsList,
                          path: Path, items: Any, position_context: Any) -> Any:
        """graphql-core's complete_list_value for a list of :func:`plain_object_type`; an
        async iterable takes graphql-core's path."""
        if self.is_async_iterable(items) or not is_iterable(items):
            info = self._info(direct, field_details_list, path.prev, path.key)
            return self.complete_list_value(_nullable(direct.return_type), field_details_list,
                                            info, path, items, position_context)
        completed: list[Any] = []
        awaitable_indices: list[int] = []
        # The items' type is an object type: their subfields are the same for every item.
        collected = self.collect_subfields(direct.object_type, field_details_list)
        try:
            for index, item in enumerate(items):
                item_path = Path(path, index, None)
                try:
                    result = self._complete_item(direct, field_details_list, item_path, item,
                                                 position_context, collected)
                except Exception as raw_error:
                    self.handle_field_error(raw_error, direct.item_type, field_details_list,
                                            item_path)
                    result = None
                if type(result) not in _SETTLED and self.is_awaitable(result):
                    awaitable_indices.append(index)
                completed.append(result)
        except Exception:
            self._abandon(completed, awaitable_indices)
            raise
        return self._complete_all(completed, awaitable_indices)

    def _complete_item(self, direct: DirectField, field_details_list: FieldDetailsList,
                       item_path: Path, item: Any, position_context: Any,
                       collected: Any) -> Any:
        """graphql-core's complete_list_item_value (an awaitable item: its own path)."""
        if item is None:
            if direct.item_non_null:
                raise _null_error(direct, field_details_list)
            return None
        if self.is_awaitable(item):
            path = item_path.prev
            info = self._info(direct, field_details_list, path.prev, path.key)  # type: ignore[union-attr]
            return self.complete_awaitable_list_item_value(
                item, direct.item_type, field_details_list, info, item_path, position_context)
        if isinstance(item, Exception):
            raise item
        result = self._complete_object(direct.object_type, field_details_list, item_path,
                                       item, position_context, collected)
        if self.is_awaitable(result):
            return self._settle(result, direct.item_type, field_details_list, item_path)
        return result

    def _abandon(self, container: Any, awaitable_keys: list[Any]) -> None:
        """Settle in the background what was started before an error (as graphql-core)."""
        if awaitable_keys:
            self.settle_in_background([container[key] for key in awaitable_keys])

    def _complete_all(self, container: Any, awaitable_keys: list[Any]) -> Any:
        """The fields (a dict) or items (a list), or an awaitable of them once the awaitable
        ones are settled, concurrently (as graphql-core's execute_fields and lists)."""
        if not awaitable_keys:
            return container

        async def settled() -> Any:
            if len(awaitable_keys) == 1:
                container[awaitable_keys[0]] = await container[awaitable_keys[0]]
                return container
            values = await gather_with_cancel(*(container[key] for key in awaitable_keys))
            for key, value in zip(awaitable_keys, values, strict=True):
                container[key] = value
            return container

        return settled()

    async def _settle(self, completed: Any, return_type: GraphQLOutputType,
                      field_details_list: FieldDetailsList, path: Path) -> Any:
        """What graphql-core does with a field's (or an item's) awaitable completion."""
        try:
            return await completed
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, field_details_list, path)
            return None

    def _info(self, direct: DirectField, field_details_list: FieldDetailsList,
              parent_path: Path | None, response_name: str | int) -> GraphQLResolveInfo:
        return self.build_resolve_info(
            direct.definition, [details.node for details in field_details_list],
            direct.parent_type, Path(parent_path, response_name, direct.parent_type.name))
