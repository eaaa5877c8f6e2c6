"""The error payload convention: ``errors: [<Area>Error!]!`` with a code, a field, a message."""

from __future__ import annotations

from enum import Enum
from typing import Any

import strawberry

from gateway.i18n import Text


@strawberry.interface(description="A problem with the input of a mutation; nothing was saved.")
class Error:
    field: list[str] | None = strawberry.field(
        description="Path of the input field at fault, e.g. [\"input\", \"email\"]; null when "
        "the error concerns the whole input."
    )
    message: str = strawberry.field(description="Explanation in the caller's language.")


def error_type(area: str, codes: type[Enum]) -> type:
    """Build ``<Area>Error`` implementing :class:`Error`, with ``code: <Area>ErrorCode!``."""
    code_enum = strawberry.enum(codes, name=f"{area}ErrorCode")
    namespace: dict[str, Any] = {"__annotations__": {"code": code_enum}}
    cls = type(f"{area}Error", (Error,), namespace)
    return strawberry.type(cls, name=f"{area}Error", description=f"An error of the {area} area.")


class PayloadError(Exception):
    """Raised by services for bad input; resolvers turn it into a payload error."""

    def __init__(self, code: Enum, text: Text, field: list[str] | None = None, **values: Any):
        super().__init__(text.en.format(**values) if values else text.en)
        self.code = code
        self.text = text
        self.field = field
        self.values = values

    def to_graphql(self, error_cls: type, language: str) -> Any:
        return error_cls(
            code=self.code,
            field=self.field,
            message=self.text.render(language, **self.values),
        )
