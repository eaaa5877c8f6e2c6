"""The append-only audit log of direct access: its start and end, and every mutation made
inside it, with who was really there.

Mutations are recorded generically: :func:`audit_mutations` gives every root Mutation field a
:class:`DirectAccessAudit` field extension when the schema is built, so a plugin's new
mutation is audited without doing anything. Entries are only ever inserted; the database
refuses UPDATE and DELETE on the table (migration 0005).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

import strawberry
from graphql import ListValueNode, ObjectValueNode, VariableNode
from strawberry.extensions import FieldExtension
from strawberry.types.base import get_object_definition

from gateway.contributions import Principal
from gateway.identity.models import AuditEntry
from schema.permissions import RESELLER_STAFF, Role

log = logging.getLogger("gateway.audit")


class AuditAction(Enum):
    DIRECT_ACCESS_START = "DIRECT_ACCESS_START"
    DIRECT_ACCESS_END = "DIRECT_ACCESS_END"
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
            str(key): REDACTED if _is_secret(str(key)) else redact(item, depth + 1)
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


def _is_secret(key: str) -> bool:
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
    operation: str = "",
    detail: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry (there is no other write to this table)."""
    return await AuditEntry.create(
        action=action.value,
        reseller_id=reseller_id,
        account_id=account_id,
        actor_id=actor_id,
        acting_as_id=acting_as_id,
        session_id=session_id,
        request_id=request_id,
        operation=(operation or "")[:200],
        detail=redact(dict(detail or {})),
    )


# ---- the mutation extension -----------------------------------------------------------------

# Fields that write a more telling entry themselves (endDirectAccess writes DIRECT_ACCESS_END).
SELF_AUDITED = frozenset({"endDirectAccess"})


def _payload_errors(result: Any) -> list[str]:
    """The codes of a mutation payload's ``errors`` (the convention of schema.errors)."""
    errors = getattr(result, "errors", None)
    if not isinstance(errors, list):
        return []
    return [str(getattr(getattr(e, "code", None), "value", getattr(e, "code", "ERROR")))
            for e in errors]


def _field_variables(info: strawberry.Info) -> dict[str, Any]:
    """The request's variables this field uses; one given where a credential goes (e.g.
    ``newPassword: $n``) is redacted whatever the variable's name."""
    raw = getattr(info, "_raw_info", None)
    nodes = getattr(raw, "field_nodes", None) or []
    used: dict[str, bool] = {}

    def visit(name: str, node: Any, secret: bool) -> None:
        secret = secret or _is_secret(name)
        if isinstance(node, VariableNode):
            used[node.name.value] = used.get(node.name.value, False) or secret
        elif isinstance(node, ObjectValueNode):
            for item in node.fields:
                visit(item.name.value, item.value, secret)
        elif isinstance(node, ListValueNode):
            for item in node.values:
                visit(name, item, secret)

    for field_node in nodes:
        for argument in field_node.arguments or ():
            visit(argument.name.value, argument.value, False)
    values = info.variable_values or {}
    return {name: REDACTED if secret else values.get(name)
            for name, secret in used.items() if name in values}


def _error_code(error: BaseException) -> str:
    extensions = getattr(error, "extensions", None) or {}
    return str(extensions.get("code") or getattr(error, "code", None) or "INTERNAL_ERROR")


async def _record_mutation(info: strawberry.Info, principal: Principal, *, outcome: str,
                           errors: list[str]) -> None:
    operation = info.operation
    selected = info.selected_fields[0] if info.selected_fields else None
    await record(
        AuditAction.MUTATION,
        reseller_id=principal.reseller_id,
        account_id=principal.account_id,
        actor_id=principal.real_user_id,
        acting_as_id=principal.user_id,
        session_id=principal.session_id,
        request_id=getattr(info.context, "request_id", None),
        operation=operation.name.value if operation is not None and operation.name else "",
        detail={
            "field": info.field_name,
            "alias": info.path.key if info.path.key != info.field_name else None,
            "arguments": selected.arguments if selected is not None else {},
            "variables": _field_variables(info),
            "outcome": outcome,
            "errors": errors,
        },
    )


class DirectAccessAudit(FieldExtension):
    """On a root Mutation field: inside direct access, append a MUTATION entry once the field
    is resolved, whatever happened (done, payload errors, refused, failed)."""

    def _principal(self, info: strawberry.Info) -> Principal | None:
        principal = getattr(info.context, "principal", None)
        if principal is None or not principal.direct_access or info.field_name in SELF_AUDITED:
            return None
        return principal  # type: ignore[no-any-return]

    async def _audited(self, call: Any, info: strawberry.Info, principal: Principal) -> Any:
        try:
            result = call()
            if hasattr(result, "__await__"):
                result = await result
        except Exception as error:
            await _record_mutation(info, principal, outcome="ERROR",
                                   errors=[_error_code(error)])
            raise
        errors = _payload_errors(result)
        await _record_mutation(info, principal, outcome="REFUSED" if errors else "OK",
                               errors=errors)
        return result

    def resolve(self, next_: Any, source: Any, info: strawberry.Info, **kwargs: Any) -> Any:
        principal = self._principal(info)
        if principal is None:
            return next_(source, info, **kwargs)
        # A sync resolver still gets its entry: graphql-core awaits what a resolver returns.
        return self._audited(lambda: next_(source, info, **kwargs), info, principal)

    async def resolve_async(self, next_: Any, source: Any, info: strawberry.Info,
                            **kwargs: Any) -> Any:
        principal = self._principal(info)
        if principal is None:
            return await next_(source, info, **kwargs)
        return await self._audited(lambda: next_(source, info, **kwargs), info, principal)


def audit_mutations(mutation: type | None) -> type | None:
    """Give every field of the composed Mutation type the audit extension (once), outermost so
    that a refusal by the field's permission is recorded too."""
    if mutation is None:
        return None
    definition = get_object_definition(mutation, strict=True)
    for field in definition.fields:
        if not any(isinstance(e, DirectAccessAudit) for e in field.extensions):
            field.extensions = [*field.extensions, DirectAccessAudit()]
    return mutation


# ---- reading the log ------------------------------------------------------------------------

@dataclass(frozen=True)
class AuditFilter:
    account_id: int | None = None
    actor_id: int | None = None
    reseller_id: int | None = None
    action: AuditAction | None = None
    since: Any = None
    until: Any = None


def entries_visible(principal: Principal | None) -> Any:
    """System admins: every entry. The reseller's admin and delegates: their reseller's.
    Nobody else, and nobody from inside direct access."""
    if principal is None or principal.direct_access:
        return AuditEntry.filter(id=-1)
    if principal.role == Role.SYSTEM_ADMIN:
        return AuditEntry.all()
    if principal.role in RESELLER_STAFF and principal.reseller_id:
        return AuditEntry.filter(reseller_id=principal.reseller_id)
    return AuditEntry.filter(id=-1)


def audit_query(principal: Principal | None, wanted: AuditFilter) -> Any:
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
