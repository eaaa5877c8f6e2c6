"""Deny by default: every root field declares who may call it with ``allow(...)``.

The roles and their groups are the host's (``gateway.roles``); this module gives them to
GraphQL (the ``Role`` enum) and checks them on each field."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.exceptions import StrawberryGraphQLError
from strawberry.extensions import FieldExtension
from strawberry.permission import BasePermission, PermissionExtension

from gateway.i18n import Text
from gateway.roles import (  # noqa: F401  (the groups, for fields that declare them)
    ANONYMOUS,
    RESELLER_SIDE,
    RESELLER_STAFF,
    SIGNED_IN,
    STAFF,
    SUBSCRIBERS,
    Role,
)
from schema.descriptions import describe_enum_values

strawberry.enum(Role, description="The role a caller acts with (rôle), which decides what "
                "each field lets them see and do.")
describe_enum_values(Role, {
    "SYSTEM_ADMIN": "Runs the platform: sees every reseller and account.",
    "RESELLER_ADMIN": "Administers one reseller (revendeur) and its subscriber accounts.",
    "RESELLER_DELEGATE": "A company administrator given delegated rights over a reseller "
    "(administrateur délégué).",
    "COMPANY_ADMIN": "Administers a company account (administrateur d'entreprise).",
    "EMPLOYEE": "An employee of a company account (employé).",
    "PROFESSIONAL": "The one person of a professional account (professionnel).",
    "INTEGRATOR": "A reseller's API token, limited by its scopes.",
})

_NOT_SIGNED_IN = Text(en="You are not signed in.", fr="Vous n'êtes pas connecté.")
_NOT_ALLOWED = Text(
    en="You are not allowed to do this.", fr="Vous n'êtes pas autorisé à faire ceci."
)


class RoleRequired(BasePermission):
    """Lets the call through when the caller's role is one of the declared ones."""

    def __init__(self, roles: tuple[str, ...]) -> None:
        self.roles = roles

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        if ANONYMOUS in self.roles:
            return True
        principal = info.context.principal
        language = info.context.language
        # Raised here rather than through self.message: the instance is shared by requests.
        if principal is None:
            raise StrawberryGraphQLError(
                _NOT_SIGNED_IN.render(language), extensions={"code": "UNAUTHENTICATED"}
            )
        if principal.role not in self.roles:
            raise StrawberryGraphQLError(
                _NOT_ALLOWED.render(language), extensions={"code": "FORBIDDEN"}
            )
        return True


def allow(*roles: str) -> list[FieldExtension]:
    """Field extensions that admit only ``roles`` (``ANONYMOUS`` admits everyone)."""
    if not roles:
        raise ValueError("allow() needs at least one role; deny by default is the absence of it")
    return [
        PermissionExtension(
            permissions=[RoleRequired(tuple(str(r) for r in roles))], use_directives=False
        )
    ]


def declared_roles(field: Any) -> tuple[str, ...] | None:
    """The roles a strawberry field admits, or None when it declares nothing."""
    for extension in getattr(field, "extensions", []) or []:
        if isinstance(extension, PermissionExtension):
            for permission in extension.permissions:
                if isinstance(permission, RoleRequired):
                    return permission.roles
    return None
