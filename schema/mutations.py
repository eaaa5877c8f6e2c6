"""The thin kit a resolver is written with: a root field declares who may call it and, for a
mutation, its error type, once; a domain problem raised anywhere below becomes the payload's
``errors``.

    @mutation(*STAFF, errors=CallRestrictionError, description="Delete a rule.")
    async def delete_call_restriction(self, info: Info, input: DeleteInput) -> DeletePayload:
        deleted = await services.delete_rule(info.context.principal,
                                             node_pk(input.id, "CallRestriction", ["input", "id"]))
        return DeletePayload(deleted_id=global_id("CallRestriction", deleted))

The payload's other fields are null when it carries errors (strawberry fields without a
default are given None). The direct-access audit extension, added when the schema is built,
wraps this one: a refusal is audited with its codes.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Awaitable, Callable
from enum import Enum
from typing import Any

import strawberry
from strawberry.extensions import FieldExtension
from strawberry.types.base import get_object_definition, has_object_definition
from strawberry.types.field import StrawberryField

from gateway.problems import Problem, Problems
from schema.errors import to_errors
from schema.permissions import allow


class ProblemsToPayload(FieldExtension):
    """A mutation's ``Problem``/``Problems`` become its payload's ``errors``."""

    def __init__(self, error_type: type) -> None:
        self.error_type = error_type

    def apply(self, field: StrawberryField) -> None:
        self.field = field  # the mutation, whose payload type is built on a problem

    def _payload(self, exc: Problem | Problems, info: strawberry.Info) -> Any:
        definition = get_object_definition(self.field.type, strict=True)
        # Fields without a default are null; a field with one (an empty list) keeps it.
        values: dict[str, Any] = {
            f.python_name: None for f in definition.fields
            if f.base_resolver is None and f.python_name != "errors"
            and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        }
        names = {f.python_name for f in definition.fields if f.base_resolver is None}
        for problem in exc.problems:  # what a refusal tells beside its message, where it fits
            values.update({k: v for k, v in problem.details.items() if k in names})
        values["errors"] = to_errors(exc, self.error_type, info.context.language)
        return definition.origin(**values)

    def resolve(self, next_: Callable[..., Any], source: Any, info: strawberry.Info,
                **kwargs: Any) -> Any:
        try:
            result = next_(source, info, **kwargs)
        except (Problem, Problems) as exc:
            return self._payload(exc, info)
        if inspect.isawaitable(result):
            return self._awaited(result, info)
        return result

    async def _awaited(self, result: Awaitable[Any], info: strawberry.Info) -> Any:
        try:
            return await result
        except (Problem, Problems) as exc:
            return self._payload(exc, info)

    async def resolve_async(self, next_: Callable[..., Awaitable[Any]], source: Any,
                            info: strawberry.Info, **kwargs: Any) -> Any:
        try:
            return await next_(source, info, **kwargs)
        except (Problem, Problems) as exc:
            return self._payload(exc, info)


def mutation(*roles: str, errors: type, **kwargs: Any) -> Any:
    """A root Mutation field that ``roles`` may call, whose problems become ``errors`` of
    type ``errors`` (an ``error_type(...)``) in its payload."""
    return strawberry.mutation(extensions=[ProblemsToPayload(errors), *allow(*roles)], **kwargs)


def field(*roles: str, **kwargs: Any) -> Any:
    """A root Query field that ``roles`` may call (a problem it raises is a GraphQL error with
    its code, in the caller's language)."""
    return strawberry.field(extensions=allow(*roles), **kwargs)


def given(value: Any) -> bool:
    """Whether the client gave a value (neither left out nor null)."""
    return value is not None and value is not strawberry.UNSET


def as_data(value: Any) -> Any:
    """A strawberry input as plain data for a service: dicts with Python field names, enum
    values, and no entry for what the client left out (UNSET) or sent as null."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list | tuple):
        return [as_data(item) for item in value]
    if has_object_definition(value) and dataclasses.is_dataclass(value):
        return {
            f.name: as_data(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if given(getattr(value, f.name))
        }
    return value
