"""The error payload convention: ``errors: [<Area>Error!]!`` with a code, a field, a message.

Services raise ``gateway.problems.Problem``/``Problems``; :func:`to_errors` is the one place
they become GraphQL (``schema.mutations.mutation`` calls it for every mutation)."""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Any, TypeVar

import strawberry

from gateway.problems import Problem, Problems


@strawberry.interface(description="A problem with the input of a mutation; nothing was saved.")
class Error:
    field: list[str] | None = strawberry.field(
        description="Path of the input field at fault, e.g. [\"input\", \"email\"]; null when "
        "the error concerns the whole input."
    )
    message: str = strawberry.field(description="Explanation in the caller's language.")


# Where error_type() keeps the codes enum on the type it builds.
_CODES = "__gateway_error_codes__"


ErrorClass = TypeVar("ErrorClass", bound=type[Error])


def error_type(area: str, codes: type[Enum]) -> Callable[[ErrorClass], ErrorClass]:
    """Make the decorated class ``<Area>Error``, implementing :class:`Error` with
    ``code: <Area>ErrorCode!`` (``codes`` given to GraphQL under that name)::

        @error_type("CallRestriction", RestrictionErrorCode)
        class CallRestrictionError(Error):
            "An error of the call restrictions area."

    A class, so that ``errors: list[CallRestrictionError]`` is a type to type checkers too."""

    def build(cls: ErrorClass) -> ErrorClass:
        code_enum = strawberry.enum(
            codes, name=f"{area}ErrorCode",
            description=f"What went wrong in the {area} area: the `code` of {area}Error, "
            "stable for clients to test on (the message is for people).")
        cls.__annotations__ = {"code": code_enum}
        cls.code = strawberry.field(  # type: ignore[attr-defined]
            description="What went wrong, as a stable code to test on; `message` says it to "
            "people.")
        setattr(cls, _CODES, codes)
        return strawberry.type(cls, name=f"{area}Error",
                               description=f"An error of the {area} area.")

    return build


def to_errors(exc: Problem | Problems, error_cls: type, language: str) -> list[Any]:
    """The payload ``errors`` of a refusal, in ``language``: each problem's code is looked up by
    name in the error type's codes, so a problem raised by a shared helper (``NOT_FOUND``)
    takes the code of the area whose mutation was called."""
    codes: type[Enum] = getattr(error_cls, _CODES)
    errors = []
    for problem in exc.problems:
        try:
            code = codes[problem.code_name]
        except KeyError:
            raise LookupError(f"{error_cls.__name__} has no code {problem.code_name}: add it to "
                              f"{codes.__name__}") from None
        field = [str(part) for part in problem.field] if problem.field is not None else None
        errors.append(error_cls(code=code, field=field, message=problem.message(language)))
    return errors
