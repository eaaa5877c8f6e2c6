"""What an integrator's API token may call: its scopes, checked on every root field.

A scope is ``<area>:read`` or ``<area>:write`` (write includes read). The area of a root field
is the plugin that contributed it (``core`` for the host's own fields, e.g. ``node``,
``apiTokens``); ``*`` stands for every area. A query or a subscription needs a read scope of
its area, a mutation a write scope. A token created without scopes is read-only everywhere
(``*:read``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from gateway.i18n import Text
from gateway.identity.errors import IdentityErrorCode
from gateway.problems import Field, Problem

EVERY_AREA = "*"
CORE_AREA = "core"  # the host's own fields: the plugin name gateway.plugins.CORE_PLUGIN
READ = "read"
WRITE = "write"
DEFAULT_SCOPES = (f"{EVERY_AREA}:{READ}",)
MAX_SCOPES = 50
# Who am I: any token may ask (the answer names its own token and reseller, nothing else).
SCOPE_FREE_FIELDS = frozenset({"me"})

_SCOPE = re.compile(r"^(\*|[a-z][a-z0-9_]{0,63}):(read|write)$")

_BAD_SCOPE = Text(
    en="“{scope}” is not a scope: write <area>:read or <area>:write, the area being * or one "
    "of {areas}.",
    fr="« {scope} » n'est pas une portée : écrivez <domaine>:read ou <domaine>:write, le domaine "
    "étant * ou l'un de {areas}.",
)
_TOO_MANY = Text(en="At most {max} scopes.", fr="Au plus {max} portées.")
_NO_SCOPE = Text(en="Give the token at least one scope.",
                 fr="Donnez au moins une portée au jeton.")


def needed(area: str, write: bool) -> str:
    """The narrowest scope that admits a field of ``area`` (a mutation: ``write``)."""
    return f"{area}:{WRITE if write else READ}"


def allows(scopes: Iterable[str], area: str, write: bool) -> bool:
    """Whether ``scopes`` admit a root field of ``area`` (a mutation when ``write``)."""
    for scope in scopes:
        scope_area, _, access = scope.partition(":")
        if scope_area not in (area, EVERY_AREA):
            continue
        if access == WRITE or (access == READ and not write):
            return True
    return False


def clean_scopes(raw: Sequence[str] | None, areas: Iterable[str], field: Field) -> list[str]:
    """The scopes asked for, checked against the known ``areas``, without duplicates and in a
    stable order; none given: read-only everywhere. Raises :class:`Problem`."""
    if raw is None:
        return list(DEFAULT_SCOPES)
    if not raw:
        raise Problem(IdentityErrorCode.REQUIRED, _NO_SCOPE, field)
    if len(raw) > MAX_SCOPES:
        raise Problem(IdentityErrorCode.INVALID, _TOO_MANY, field, max=MAX_SCOPES)
    known = sorted(set(areas))
    cleaned: set[str] = set()
    for index, item in enumerate(raw):
        scope = item.strip().lower()
        match = _SCOPE.match(scope)
        if match is None or (match.group(1) != EVERY_AREA and match.group(1) not in known):
            raise Problem(IdentityErrorCode.INVALID, _BAD_SCOPE, [*field, index],
                          scope=item[:80], areas=", ".join(known))
        cleaned.add(scope)
    return sorted(cleaned)
