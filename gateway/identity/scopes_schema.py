"""API tokens' scopes on GraphQL: every root field is given a :class:`TokenScopeCheck` when the
schema is built (:func:`guard_root_fields`), with the area of the plugin that contributed it,
so a plugin's new field is guarded without doing anything. The rules are in
:mod:`gateway.identity.scopes`.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

import strawberry
from strawberry.exceptions import StrawberryGraphQLError
from strawberry.extensions import FieldExtension
from strawberry.types.base import get_object_definition

from gateway.contributions import Principal
from gateway.i18n import Text
from gateway.identity.audit_schema import MutationAudit
from gateway.identity.scopes import SCOPE_FREE_FIELDS, allows, needed

_OUT_OF_SCOPE = Text(
    en="This API token may not do this: it needs the scope {scope}.",
    fr="Ce jeton d'API ne peut pas faire ceci : il lui faut la portée {scope}.",
)


class TokenScopeCheck(FieldExtension):
    """On a root field of ``area``: a caller authenticated by an API token must hold a scope
    that admits it (``write`` for a mutation); anyone else goes through untouched. A refusal
    is a FORBIDDEN error, like a role's, and is audited on a mutation (the audit extension
    is outside this one)."""

    def __init__(self, area: str, write: bool) -> None:
        self.area = area
        self.write = write

    def _check(self, info: strawberry.Info) -> None:
        principal: Principal | None = getattr(info.context, "principal", None)
        if principal is None or principal.api_token_id is None:
            return
        if info.field_name in SCOPE_FREE_FIELDS:
            return
        if allows(principal.extra.get("scopes", ()), self.area, self.write):
            return
        scope = needed(self.area, self.write)
        raise StrawberryGraphQLError(
            _OUT_OF_SCOPE.render(info.context.language, scope=scope),
            extensions={"code": "FORBIDDEN", "scope": scope},
        )

    def resolve(self, next_: Any, source: Any, info: strawberry.Info, **kwargs: Any) -> Any:
        self._check(info)
        return next_(source, info, **kwargs)

    async def resolve_async(self, next_: Any, source: Any, info: strawberry.Info,
                            **kwargs: Any) -> Any:
        self._check(info)
        result = next_(source, info, **kwargs)
        if inspect.isasyncgen(result):  # a subscription's event stream
            return result
        return await result


def _place(extensions: list[FieldExtension], check: TokenScopeCheck) -> list[FieldExtension]:
    """``check`` just inside the audit extension (when it is there), so a refusal is
    audited, and outside the field's own extensions (its role check, its payload errors)."""
    from_outside = [i for i, e in enumerate(extensions) if isinstance(e, MutationAudit)]
    at = from_outside[0] if from_outside else len(extensions)
    return [*extensions[:at], check, *extensions[at:]]


def guard_root_fields(roots: Mapping[str, list[tuple[str, type]]]) -> None:
    """Give every field of every contributed root class (``{"Query": [(plugin, cls)...]...}``,
    what ``schema.build.root_contributions`` returns) its scope check, once: the area is the
    contributing plugin; Mutation fields need write."""
    for root, contributions in roots.items():
        for plugin, cls in contributions:
            for root_field in get_object_definition(cls, strict=True).fields:
                if any(isinstance(e, TokenScopeCheck) for e in root_field.extensions):
                    continue
                check = TokenScopeCheck(plugin, write=root == "Mutation")
                root_field.extensions = _place(list(root_field.extensions), check)
