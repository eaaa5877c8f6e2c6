"""Input objects built from a plan made once per type, not worked out again per request.

strawberry converts an input object's value field by field: for every field of the type it
writes the field's GraphQL name (camel-casing its Python name) and, for each field given,
resolves the field's annotation again before converting the value — a tenth of a report's
request for its filter. :func:`plan_inputs` gives every input type of a schema a
``from_input`` (strawberry's hook for types that build their own value) that does the same
from a plan kept per class: the fields' names and types, and which are plain leaves (a scalar
or an enum, optional or not: their value is used as it is, as strawberry does). Anything else
— a nested input, a list, a relay ``GlobalID`` — is converted by strawberry
(``InputContext.convert``), at the same path. The result is the same instance strawberry
builds: every field without a default is None unless given.

Types with a ``Maybe`` field keep strawberry's own conversion: a ``from_input`` would also
turn off strawberry's check of their explicit nulls.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import MISSING
from typing import Any

from strawberry.relay import GlobalID
from strawberry.scalars import is_scalar
from strawberry.types.arguments import InputContext
from strawberry.types.base import StrawberryMaybe, StrawberryObjectDefinition, StrawberryOptional
from strawberry.types.enum import StrawberryEnumDefinition, has_enum_definition

# A field of the plan: its GraphQL name, its Python name, its type, whether it is a leaf.
PlannedInput = tuple[str, str, Any, bool]
# (class, name converter) → (the defaults of the fields without one, the fields).
_PLANS: dict[tuple[type, Any], tuple[dict[str, None], list[PlannedInput]]] = {}


def _leaf(type_: Any, scalar_registry: Mapping[object, Any]) -> bool:
    """Whether strawberry gives a value of ``type_`` as it is: a scalar but relay's GlobalID,
    an enum, or an optional one of them."""
    if isinstance(type_, StrawberryOptional) and not isinstance(type_, StrawberryMaybe):
        type_ = type_.of_type
    if type_ is GlobalID:
        return False
    return (is_scalar(type_, scalar_registry) or isinstance(type_, StrawberryEnumDefinition)
            or has_enum_definition(type_))


def _plan(cls: type, definition: StrawberryObjectDefinition,
          context: InputContext) -> tuple[dict[str, None], list[PlannedInput]]:
    converter = context.config.name_converter
    found = _PLANS.get((cls, converter))
    if found is None:
        defaults = {field.python_name: None for field in definition.fields
                    if field.default_value is MISSING and field.default_factory is MISSING}
        fields = []
        for field in definition.fields:
            type_ = field.resolve_type(type_definition=definition)
            fields.append((converter.from_field(field), field.python_name, type_,
                           _leaf(type_, context.scalar_registry)))
        found = _PLANS[(cls, converter)] = (defaults, fields)
    return found


def build_input(cls: type, value: Mapping[str, Any], context: InputContext) -> Any:
    """``cls`` built from its GraphQL input value, as strawberry's ``convert_argument``
    builds it (see the module)."""
    definition: StrawberryObjectDefinition = cls.__strawberry_definition__  # type: ignore[attr-defined]
    defaults, fields = _plan(cls, definition, context)
    kwargs: dict[str, Any] = dict(defaults)
    for graphql_name, python_name, type_, leaf in fields:
        if graphql_name in value:
            given = value[graphql_name]
            kwargs[python_name] = given if leaf else context.convert(given, type_,
                                                                     graphql_name)
    return cls(**kwargs)


def plan_inputs(definitions: list[Any]) -> None:
    """Give each input type among ``definitions`` :func:`build_input` (see the module)."""
    for definition in definitions:
        if not isinstance(definition, StrawberryObjectDefinition) or not definition.is_input:
            continue
        if definition.from_input is not None or any(
                isinstance(field.type, StrawberryMaybe) for field in definition.fields):
            continue
        definition.from_input = build_input
