"""The append-only audit log: direct access (its start, its end, refused attempts) and every
mutation made inside it, by an integrator's API token, by staff (a system admin, a reseller
admin or delegate) or by a company admin running the own company, with who was really there,
on behalf of whom, the tenant, the objects named and the outcome.

Mutations are recorded generically: ``audit_schema.audit_mutations`` gives every root Mutation
field a field extension when the schema is built, so a plugin's new mutation is audited
without doing anything. Entries are only ever inserted; the database refuses UPDATE and DELETE
on the table (migration 0005).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from tortoise.queryset import QuerySet

from gateway.contributions import Principal
from gateway.identity import audit_spool
from gateway.identity.models import AuditEntry
from gateway.roles import RESELLER_STAFF, Role


class AuditAction(Enum):
    DIRECT_ACCESS_START = "DIRECT_ACCESS_START"
    DIRECT_ACCESS_END = "DIRECT_ACCESS_END"
    DIRECT_ACCESS_REFUSED = "DIRECT_ACCESS_REFUSED"
    MUTATION = "MUTATION"


REDACTED = "[redacted]"
# Any key naming one of these holds a credential: its value never reaches the log.
_SECRET_WORDS = ("password", "pin", "token", "secret")
_MAX_STRING = 500  # an uploaded image or a long text is summarised, not copied
_MAX_ITEMS = 100
_MAX_DEPTH = 8


def redact(value: Any, depth: int = 0) -> Any:
    """A JSON-safe copy of ``value`` with credentials replaced and big values summarised."""
    if depth > _MAX_DEPTH:
        return "[…]"
    if isinstance(value, Mapping):
        return {
            str(key): REDACTED if is_secret(str(key)) else redact(item, depth + 1)
            for key, item in list(value.items())[:_MAX_ITEMS]
        }
    if isinstance(value, list | tuple):
        return [redact(item, depth + 1) for item in list(value)[:_MAX_ITEMS]]
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, Enum):
        return redact(value.value, depth + 1)
    text = str(value)
    if len(text) > _MAX_STRING:
        return f"[{len(text)} characters]"
    return text


def is_secret(key: str) -> bool:
    """Whether a key (an argument's or a variable's name) names a credential."""
    lowered = key.lower()
    return any(word in lowered for word in _SECRET_WORDS)


async def record(
    action: AuditAction,
    *,
    reseller_id: int | None,
    account_id: int | None,
    actor_id: int | None,
    acting_as_id: int | None,
    session_id: int | None,
    request_id: str | None,
    api_token_id: int | None = None,
    operation: str = "",
    detail: Mapping[str, Any] | None = None,
    spool: bool = False,
) -> AuditEntry:
    """Append one entry (there is no other write to this table). With ``spool``, an entry the
    database refuses for being unavailable is kept on disk until it is back (``audit_spool``):
    for an entry written after its change was committed, never inside a transaction."""
    values = dict(
        action=action.value,
        reseller_id=reseller_id,
        account_id=account_id,
        actor_id=actor_id,
        acting_as_id=acting_as_id,
        session_id=session_id,
        api_token_id=api_token_id,
        request_id=request_id,
        operation=(operation or "")[:200],
        detail=redact(dict(detail or {})),
    )
    if spool:
        return await audit_spool.append(values)
    return await AuditEntry.create(**values)


# ---- reading the log ------------------------------------------------------------------------

@dataclass(frozen=True)
class AuditFilter:
    account_id: int | None = None
    actor_id: int | None = None
    reseller_id: int | None = None
    action: AuditAction | None = None
    since: Any = None
    until: Any = None


def entries_visible(principal: Principal | None) -> QuerySet[AuditEntry]:
    """System admins: every entry. The reseller's admin and delegates: their reseller's.
    Nobody else, and nobody from inside direct access."""
    if principal is None or principal.direct_access:
        return AuditEntry.filter(id=-1)
    if principal.role == Role.SYSTEM_ADMIN:
        return AuditEntry.all()
    if principal.role in RESELLER_STAFF and principal.reseller_id:
        return AuditEntry.filter(reseller_id=principal.reseller_id)
    return AuditEntry.filter(id=-1)


def audit_query(principal: Principal | None, wanted: AuditFilter) -> QuerySet[AuditEntry]:
    query = entries_visible(principal)
    if wanted.account_id is not None:
        query = query.filter(account_id=wanted.account_id)
    if wanted.actor_id is not None:
        query = query.filter(actor_id=wanted.actor_id)
    if wanted.reseller_id is not None:
        query = query.filter(reseller_id=wanted.reseller_id)
    if wanted.action is not None:
        query = query.filter(action=wanted.action.value)
    if wanted.since is not None:
        query = query.filter(created_at__gte=wanted.since)
    if wanted.until is not None:
        query = query.filter(created_at__lt=wanted.until)
    return query
