"""GraphQL of the audit log: ``auditLog`` for reseller staff (their reseller) and system admins
(everyone's), and the field extension that records every mutation made inside direct access,
by an API token or by staff, and every refused attempt at direct access.

There is no mutation of the log: entries are only ever appended by the gateway itself.
:func:`audit_mutations` gives every root Mutation field a :class:`MutationAudit` when the
schema is built, so a plugin's new mutation is audited without doing anything.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import Enum
from typing import Annotated, Any, Self, TypeVar

import strawberry
from graphql import ListValueNode, ObjectValueNode, VariableNode
from strawberry import relay
from strawberry.extensions import FieldExtension
from strawberry.scalars import JSON
from strawberry.types.base import get_object_definition
from strawberry.types.nodes import SelectedField
from tortoise.models import Model
from tortoise.queryset import QuerySet

from gateway.contributions import Principal
from gateway.identity import audit
from gateway.identity.api_tokens_schema import ApiTokenNode
from gateway.identity.audit import REDACTED, AuditAction, is_secret
from gateway.identity.models import (
    ACCOUNT_COLUMNS,
    RESELLER_COLUMNS,
    USER_COLUMNS,
    Account,
    ApiToken,
    AuditEntry,
    Reseller,
    User,
)
from gateway.identity.types import AccountNode, ResellerNode, UserNode
from gateway.roles import RESELLER_STAFF, Role
from schema.descriptions import describe_enum_values
from schema.mutations import field
from schema.node import RowNode, listed_pk
from schema.pagination import Connection, build_connection, page_window
from schema.scalars import DateTime

strawberry.enum(AuditAction, name="AuditAction", description="What an audit entry records.")
describe_enum_values(AuditAction, {
    "DIRECT_ACCESS_START": "A reseller staff member entered a subscriber account (accès "
    "direct).",
    "DIRECT_ACCESS_END": "A direct access ended (left, or its session ended).",
    "DIRECT_ACCESS_REFUSED": "An attempt at direct access was refused.",
    "MUTATION": "A mutation made inside direct access, by an API token or by staff.",
})


@strawberry.type(name="AuditEntry", description="One line of the append-only audit log: a "
                 "direct access started, ended or refused, or a mutation made inside direct "
                 "access, by an API token or by staff.")
class AuditEntryNode(RowNode):
    COLUMNS = ("id", "action", "operation", "detail", "request_id", "session_id", "created_at",
               "reseller_id", "account_id", "actor_id", "acting_as_id", "api_token_id")

    id: relay.NodeID[int]
    action: AuditAction = strawberry.field(description="What the entry records.")
    operation: str = strawberry.field(description="The GraphQL operation name (may be empty).")
    created_at: DateTime = strawberry.field(description="When it happened.")
    request_id: str | None = strawberry.field(
        description="The gateway's id of the request that made it, as the logs give it; null "
        "when there was none.")
    session_id: int | None = strawberry.field(description="The session it was made in (the "
                                              "direct-access one inside direct access).")
    detail: dict[str, Any] = strawberry.field(graphql_type=JSON, description="Everything "
                                              "recorded; credentials are redacted.")
    # Filled for a whole page at once by with_relations().
    actor: UserNode | None = strawberry.field(default=None, description="Who was really there "
                                              "(null for an API token).")
    acting_as: UserNode | None = strawberry.field(default=None, description="Inside direct "
                                                  "access: the account administrator whose "
                                                  "view was taken.")
    api_token: ApiTokenNode | None = strawberry.field(default=None, description="The API token "
                                                      "that made the mutation.")
    account: AccountNode | None = strawberry.field(default=None, description="Inside direct "
                                                   "access: the account entered.")
    reseller: ResellerNode | None = strawberry.field(default=None, description="The tenant "
                                                     "(null for a system admin's own "
                                                     "mutations: see objects).")
    actor_id: strawberry.Private[int | None] = None
    acting_as_id: strawberry.Private[int | None] = None
    account_id: strawberry.Private[int | None] = None
    reseller_id: strawberry.Private[int | None] = None
    api_token_id: strawberry.Private[int | None] = None

    @strawberry.field(description="For a mutation: the root field called.")
    def field_name(self) -> str | None:
        return self.detail.get("field")

    @strawberry.field(description="For a mutation: OK, REFUSED (payload errors) or ERROR.")
    def outcome(self) -> str | None:
        return self.detail.get("outcome")

    @strawberry.field(description="For a mutation: the error codes it answered with.")
    def error_codes(self) -> list[str]:
        return list(self.detail.get("errors") or [])

    @strawberry.field(description="For a mutation: who made it: DIRECT_ACCESS, API_TOKEN, "
                      "STAFF, COMPANY_ADMIN (a company's administrator in the own company) or "
                      "SIGNED_IN (a refused direct access).")
    def via(self) -> str | None:
        return self.detail.get("via")

    @strawberry.field(description="For a mutation: the ids its arguments name (the objects "
                      "it touched), as given.")
    def objects(self) -> list[str]:
        return [str(item) for item in self.detail.get("objects") or []]

    @strawberry.field(description="For a mutation: its arguments, credentials redacted.")
    def arguments(self) -> JSON | None:
        return self.detail.get("arguments")

    @strawberry.field(description="For a mutation: the request's variables, credentials "
                      "redacted.")
    def variables(self) -> JSON | None:
        return self.detail.get("variables")

    @classmethod
    def visible(cls, principal: Principal | None) -> QuerySet[AuditEntry]:
        return audit.entries_visible(principal)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Self:
        return cls(
            id=row["id"], action=AuditAction(row["action"]), operation=row["operation"],
            created_at=row["created_at"], request_id=row["request_id"],
            session_id=row["session_id"], detail=row["detail"] or {},
            actor_id=row["actor_id"], acting_as_id=row["acting_as_id"],
            account_id=row["account_id"], reseller_id=row["reseller_id"],
            api_token_id=row["api_token_id"],
        )

    @classmethod
    async def load(cls, principal: Principal | None, pks: list[int | None]) -> list[Self | None]:
        nodes = await super().load(principal, pks)
        await with_relations([node for node in nodes if node is not None])
        return nodes


async def _by_id(model: type[Model], columns: tuple[str, ...], ids: set[int | None]
                 ) -> dict[int, dict[str, Any]]:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    return {row["id"]: row for row in await model.filter(id__in=wanted).values(*columns)}


_Node = TypeVar("_Node", bound=RowNode)


def _one(node: type[_Node], rows: dict[int, dict[str, Any]], pk: int | None) -> _Node | None:
    row = rows.get(pk) if pk is not None else None
    return node.from_row(row) if row else None


async def with_relations(nodes: list[AuditEntryNode]) -> list[AuditEntryNode]:
    """Give a page of entries their people, accounts, resellers and tokens: at most four
    queries whatever the page size."""
    users = await _by_id(User, USER_COLUMNS, {i for n in nodes for i in (n.actor_id,
                                                                          n.acting_as_id)})
    accounts = await _by_id(Account, ACCOUNT_COLUMNS, {n.account_id for n in nodes})
    resellers = await _by_id(Reseller, RESELLER_COLUMNS, {n.reseller_id for n in nodes})
    tokens = await _by_id(ApiToken, ApiTokenNode.COLUMNS, {n.api_token_id for n in nodes})
    for node in nodes:
        node.api_token = _one(ApiTokenNode, tokens, node.api_token_id)
        node.actor = _one(UserNode, users, node.actor_id)
        node.acting_as = _one(UserNode, users, node.acting_as_id)
        node.account = _one(AccountNode, accounts, node.account_id)
        node.reseller = _one(ResellerNode, resellers, node.reseller_id)
    return nodes


@strawberry.input(description="Which audit entries to list; every given criterion must "
                  "match.")
class AuditLogFilter:
    account_id: strawberry.ID | None = strawberry.field(
        default=None, description="The Account's global ID: only entries about this account.")
    actor_id: strawberry.ID | None = strawberry.field(default=None, description="The reseller "
                                                      "staff member really there.")
    reseller_id: strawberry.ID | None = strawberry.field(default=None, description="System "
                                                         "admins: one reseller's entries.")
    action: AuditAction | None = strawberry.field(
        default=None, description="Only entries recording this.")
    from_: DateTime | None = strawberry.field(
        default=None, name="from", description="Entries at or after this instant.")
    to: DateTime | None = strawberry.field(default=None, description="Entries before this "
                                           "instant.")


def _wanted_id(raw: Any, type_name: str, name: str) -> int | None:
    if raw is None:
        return None
    # A malformed id is BAD_USER_INPUT; an id of nothing (-1) finds nothing.
    return listed_pk(raw, type_name, ["filter", name], plain=False)


@strawberry.type
class AuditQuery:
    @field(Role.SYSTEM_ADMIN, *RESELLER_STAFF, description="The audit log (direct access, and "
           "the mutations of staff, API tokens and company admins), newest first: my "
           "reseller's, or everyone's for a system admin.")
    async def audit_log(
        self, info: strawberry.Info,
        filter: Annotated[AuditLogFilter | None, strawberry.argument(
            description="Which entries to list; all those I may see when left out.")] = None,
        first: int | None = None, after: str | None = None,
    ) -> Connection[AuditEntryNode]:
        offset, limit = page_window(first, after, info.context.settings.max_page_size)
        wanted = filter or AuditLogFilter()
        query = audit.audit_query(info.context.principal, audit.AuditFilter(
            account_id=_wanted_id(wanted.account_id, "Account", "accountId"),
            actor_id=_wanted_id(wanted.actor_id, "User", "actorId"),
            reseller_id=_wanted_id(wanted.reseller_id, "Reseller", "resellerId"),
            action=wanted.action, since=wanted.from_, until=wanted.to,
        ))
        total = await query.count()
        rows = await query.order_by("-created_at", "-id").offset(offset).limit(
            limit + 1).values(*AuditEntryNode.COLUMNS)
        nodes = await with_relations([AuditEntryNode.from_row(row) for row in rows])
        return build_connection(nodes, offset, limit, total)


# ---- the mutation extension -----------------------------------------------------------------

# Fields that write a more telling entry themselves (endDirectAccess writes DIRECT_ACCESS_END,
# a successful startDirectAccess DIRECT_ACCESS_START).
SELF_AUDITED = frozenset({"endDirectAccess"})
# What a company admin does that is not administration: a conversation's traffic and presence
# (the chat keeps its own record of them), left out of the log.
NOT_ADMINISTRATION = frozenset({"sendChatMessage", "sendChatTyping", "markChatRead",
                                "setChatOnDuty", "setVoipPresence", "logout", "changePassword"})
START_DIRECT_ACCESS = "startDirectAccess"
# Whose every mutation is audited: the platform's and the resellers' staff.
AUDITED_ROLES = frozenset({Role.SYSTEM_ADMIN, *RESELLER_STAFF})
# Argument names whose values name the objects a mutation touches.
_ID_NAME = re.compile(r"(^id$|Id$|Ids$|^ids$|_id$|_ids$)")


class Via(Enum):
    """Why a mutation was audited: who made it."""

    DIRECT_ACCESS = "DIRECT_ACCESS"
    API_TOKEN = "API_TOKEN"
    STAFF = "STAFF"
    COMPANY_ADMIN = "COMPANY_ADMIN"  # a company's administrator running the own company
    SIGNED_IN = "SIGNED_IN"  # a refused direct access by someone else


def audited_via(principal: Principal | None, field_name: str) -> Via | None:
    """Whether (and why) a mutation by ``principal`` is audited."""
    if principal is None or field_name in SELF_AUDITED:
        return None
    if principal.direct_access:
        return Via.DIRECT_ACCESS
    if principal.api_token_id is not None:
        return Via.API_TOKEN
    if principal.role in AUDITED_ROLES:
        return Via.STAFF
    if principal.role == Role.COMPANY_ADMIN and field_name not in NOT_ADMINISTRATION:
        return Via.COMPANY_ADMIN
    if field_name == START_DIRECT_ACCESS:
        return Via.SIGNED_IN
    return None


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
        secret = secret or is_secret(name)
        if isinstance(node, VariableNode):
            used[node.name.value] = used.get(node.name.value, False) or secret
        elif isinstance(node, ObjectValueNode):
            for item in node.fields:
                visit(item.name.value, item.value, secret)
        elif isinstance(node, ListValueNode):
            for value in node.values:
                visit(name, value, secret)

    for field_node in nodes:
        for argument in field_node.arguments or ():
            visit(argument.name.value, argument.value, False)
    values = info.variable_values or {}
    return {name: REDACTED if secret else values.get(name)
            for name, secret in used.items() if name in values}


def object_ids(arguments: Any, depth: int = 0) -> list[str]:
    """The ids a mutation's arguments name (``id``, ``accountId``, ``userIds``… at any depth):
    which objects it touched. At most 20, as given."""
    found: list[str] = []
    if depth > 6 or not isinstance(arguments, Mapping):
        return found
    for key, value in arguments.items():
        if _ID_NAME.search(str(key)) and isinstance(value, str | int):
            found.append(str(value)[:100])
        elif _ID_NAME.search(str(key)) and isinstance(value, list):
            found += [str(v)[:100] for v in value if isinstance(v, str | int)]
        elif isinstance(value, Mapping):
            found += object_ids(value, depth + 1)
        elif isinstance(value, list):
            for item in value:
                found += object_ids(item, depth + 1)
    return found[:20]


def _error_code(error: BaseException) -> str:
    extensions = getattr(error, "extensions", None) or {}
    return str(extensions.get("code") or getattr(error, "code", None) or "INTERNAL_ERROR")


async def _record_mutation(info: strawberry.Info, principal: Principal, via: Via, *,
                           outcome: str, errors: list[str]) -> None:
    operation = info.operation
    selected = info.selected_fields[0] if info.selected_fields else None
    arguments = selected.arguments if isinstance(selected, SelectedField) else {}
    inside = principal.direct_access
    # Inside direct access: the account entered; a company admin: the own company; else the
    # entry names the objects.
    account_id = principal.account_id if inside or via == Via.COMPANY_ADMIN else None
    refused_entry = info.field_name == START_DIRECT_ACCESS  # (one started is not recorded here)
    await audit.record(
        AuditAction.DIRECT_ACCESS_REFUSED if refused_entry else AuditAction.MUTATION,
        reseller_id=principal.reseller_id,
        account_id=account_id,
        # Who was really there, and on behalf of whom (direct access: the account admin).
        actor_id=principal.real_user_id if inside else principal.user_id,
        acting_as_id=principal.user_id if inside else None,
        session_id=principal.session_id,
        api_token_id=principal.api_token_id,
        request_id=getattr(info.context, "request_id", None),
        operation=operation.name.value if operation is not None and operation.name else "",
        detail={
            "field": info.field_name,
            "alias": info.path.key if info.path.key != info.field_name else None,
            "via": via.value,
            "role": str(principal.role),
            "objects": object_ids(arguments),
            "arguments": arguments,
            "variables": _field_variables(info),
            "outcome": outcome,
            "errors": errors,
        },
        spool=True,  # the change is committed: its entry waits on disk if the database went
    )


class MutationAudit(FieldExtension):
    """On a root Mutation field: append a MUTATION entry once the field is resolved, whatever
    happened (done, payload errors, refused, failed), when it is made inside direct access, by
    an API token, by staff (system admin, reseller admin or delegate) or by a company admin
    (administration of the own company, not its chat traffic); a refused
    ``startDirectAccess`` by anyone signed in is a DIRECT_ACCESS_REFUSED entry."""

    async def _audited(self, call: Any, info: strawberry.Info, principal: Principal,
                       via: Via) -> Any:
        try:
            result = call()
            if hasattr(result, "__await__"):
                result = await result
        except Exception as error:
            await _record_mutation(info, principal, via, outcome="ERROR",
                                   errors=[_error_code(error)])
            raise
        errors = _payload_errors(result)
        if errors or info.field_name != START_DIRECT_ACCESS or principal.direct_access:
            # (A direct access started is DIRECT_ACCESS_START, written by its service.)
            await _record_mutation(info, principal, via, outcome="REFUSED" if errors else "OK",
                                   errors=errors)
        return result

    def resolve(self, next_: Any, source: Any, info: strawberry.Info, **kwargs: Any) -> Any:
        principal: Principal | None = getattr(info.context, "principal", None)
        via = audited_via(principal, info.field_name)
        if principal is None or via is None:
            return next_(source, info, **kwargs)
        # A sync resolver still gets its entry: graphql-core awaits what a resolver returns.
        return self._audited(lambda: next_(source, info, **kwargs), info, principal, via)

    async def resolve_async(self, next_: Any, source: Any, info: strawberry.Info,
                            **kwargs: Any) -> Any:
        principal: Principal | None = getattr(info.context, "principal", None)
        via = audited_via(principal, info.field_name)
        if principal is None or via is None:
            return await next_(source, info, **kwargs)
        return await self._audited(lambda: next_(source, info, **kwargs), info, principal, via)


# The name it had while it audited direct access only.
DirectAccessAudit = MutationAudit


def audit_mutations(mutation: type | None) -> type | None:
    """Give every field of the composed Mutation type the audit extension (once), outermost so
    that a refusal by the field's permission (or a token's scopes) is recorded too."""
    if mutation is None:
        return None
    definition = get_object_definition(mutation, strict=True)
    for root_field in definition.fields:
        if not any(isinstance(e, MutationAudit) for e in root_field.extensions):
            root_field.extensions = [*root_field.extensions, MutationAudit()]
    return mutation
