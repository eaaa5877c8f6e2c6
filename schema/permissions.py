"""Deny by default: every root field declares who may call it with ``allow(...)``."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import strawberry
from strawberry.exceptions import StrawberryGraphQLError
from strawberry.permission import BasePermission, PermissionExtension

from gateway.i18n import Text


@strawberry.enum
class Role(StrEnum):
    SYSTEM_ADMIN = "SYSTEM_ADMIN"
    RESELLER_ADMIN = "RESELLER_ADMIN"
    RESELLER_DELEGATE = "RESELLER_DELEGATE"
    COMPANY_ADMIN = "COMPANY_ADMIN"
    EMPLOYEE = "EMPLOYEE"
    PROFESSIONAL = "PROFESSIONAL"
    INTEGRATOR = "INTEGRATOR"  # an API token of a reseller


ANONYMOUS = "ANONYMOUS"
RESELLER_STAFF = (Role.RESELLER_ADMIN, Role.RESELLER_DELEGATE)
SUBSCRIBERS = (Role.COMPANY_ADMIN, Role.EMPLOYEE, Role.PROFESSIONAL)
SIGNED_IN = (Role.SYSTEM_ADMIN, *RESELLER_STAFF, Role.INTEGRATOR, *SUBSCRIBERS)

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


def allow(*roles: str) -> list[PermissionExtension]:
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
