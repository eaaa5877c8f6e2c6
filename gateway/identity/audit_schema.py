"""GraphQL of the audit log: ``auditLog`` for reseller staff (their reseller) and system admins
(everyone's). There is no mutation: entries are only ever appended by the gateway itself."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from gateway.identity import audit
from gateway.identity.audit import AuditAction
from gateway.identity.models import Account, Reseller, User
from gateway.identity.reseller_schema import decode_id
from gateway.identity.types import (
    ACCOUNT_COLUMNS,
    RESELLER_COLUMNS,
    USER_COLUMNS,
    AccountNode,
    ResellerNode,
    UserNode,
)
from schema.pagination import Connection, build_connection, page_window
from schema.permissions import RESELLER_STAFF, Role, allow
from schema.scalars import DateTime

AuditActionEnum = strawberry.enum(AuditAction, name="AuditAction",
                                  description="What an audit entry records.")

_COLUMNS = ("id", "action", "operation", "detail", "request_id", "session_id", "created_at",
            "reseller_id", "account_id", "actor_id", "acting_as_id")


@strawberry.type(name="AuditEntry", description="One line of the append-only audit log of "
                 "direct access: its start, its end, or a mutation made inside it.")
class AuditEntryNode(relay.Node):
    id: relay.NodeID[int]
    action: AuditActionEnum  # type: ignore[valid-type]
    operation: str = strawberry.field(description="The GraphQL operation name (may be empty).")
    created_at: DateTime  # type: ignore[valid-type]
    request_id: str | None
    session_id: int | None = strawberry.field(description="The direct-access session.")
    detail: JSON = strawberry.field(description="Everything recorded; credentials are "
                                    "redacted.")
    actor: UserNode | None = strawberry.field(description="Who was really there (the reseller "
                                              "staff member).")
    acting_as: UserNode | None = strawberry.field(description="The account administrator "
                                                  "whose view was taken.")
    account: AccountNode | None
    reseller: ResellerNode | None

    @strawberry.field(description="For a mutation: the root field called.")
    def field_name(self) -> str | None:
        return self.detail.get("field")  # type: ignore[no-any-return]

    @strawberry.field(description="For a mutation: OK, REFUSED (payload errors) or ERROR.")
    def outcome(self) -> str | None:
        return self.detail.get("outcome")  # type: ignore[no-any-return]

    @strawberry.field(description="For a mutation: the error codes it answered with.")
    def error_codes(self) -> list[str]:
        return list(self.detail.get("errors") or [])

    @strawberry.field(description="For a mutation: its arguments, credentials redacted.")
    def arguments(self) -> JSON | None:
        return self.detail.get("arguments")

    @strawberry.field(description="For a mutation: the request's variables, credentials "
                      "redacted.")
    def variables(self) -> JSON | None:
        return self.detail.get("variables")

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ) -> list[AuditEntryNode | None]:
        ids = [int(i) for i in node_ids if str(i).isdigit()]
        rows = await audit.entries_visible(info.context.principal).filter(id__in=ids).values(
            *_COLUMNS)
        found = {node.id: node for node in await entry_nodes(rows)}
        return [found.get(int(i)) if str(i).isdigit() else None for i in node_ids]


async def _by_id(model: Any, columns: tuple[str, ...], ids: set[int]) -> dict[int, Any]:
    if not ids:
        return {}
    return {row["id"]: row for row in await model.filter(id__in=ids).values(*columns)}


async def entry_nodes(rows: list[dict[str, Any]]) -> list[AuditEntryNode]:
    """Nodes for a page of entries, with their people, accounts and resellers: three queries
    whatever the page size."""
    user_ids = {r[k] for r in rows for k in ("actor_id", "acting_as_id") if r[k]}
    users = await _by_id(User, USER_COLUMNS, user_ids)
    accounts = await _by_id(Account, ACCOUNT_COLUMNS, {r["account_id"] for r in rows
                                                       if r["account_id"]})
    resellers = await _by_id(Reseller, RESELLER_COLUMNS, {r["reseller_id"] for r in rows
                                                          if r["reseller_id"]})

    def node(row: dict[str, Any]) -> AuditEntryNode:
        actor, acting = users.get(row["actor_id"]), users.get(row["acting_as_id"])
        account, reseller = accounts.get(row["account_id"]), resellers.get(row["reseller_id"])
        return AuditEntryNode(
            id=row["id"], action=AuditAction(row["action"]), operation=row["operation"],
            created_at=row["created_at"], request_id=row["request_id"],
            session_id=row["session_id"], detail=row["detail"] or {},
            actor=UserNode.from_row(actor) if actor else None,
            acting_as=UserNode.from_row(acting) if acting else None,
            account=AccountNode.from_row(account) if account else None,
            reseller=ResellerNode.from_row(reseller) if reseller else None,
        )

    return [node(row) for row in rows]


@strawberry.input
class AuditLogFilter:
    account_id: strawberry.ID | None = None
    actor_id: strawberry.ID | None = strawberry.field(default=None, description="The reseller "
                                                      "staff member really there.")
    reseller_id: strawberry.ID | None = strawberry.field(default=None, description="System "
                                                         "admins: one reseller's entries.")
    action: AuditActionEnum | None = None  # type: ignore[valid-type]
    from_: DateTime | None = strawberry.field(  # type: ignore[valid-type]
        default=None, name="from", description="Entries at or after this instant.")
    to: DateTime | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Entries before this instant.")


def _wanted_id(raw: Any, type_name: str) -> int | None:
    if raw is None:
        return None
    found = decode_id(raw, type_name)
    return -1 if found is None else found  # an id of nothing finds nothing


@strawberry.type
class AuditQuery:
    @strawberry.field(extensions=allow(Role.SYSTEM_ADMIN, *RESELLER_STAFF),
                      description="The direct-access audit log, newest first: my reseller's, "
                      "or everyone's for a system admin.")
    async def audit_log(
        self, info: strawberry.Info, filter: AuditLogFilter | None = None,
        first: int | None = None, after: str | None = None,
    ) -> Connection[AuditEntryNode]:
        offset, limit = page_window(first, after, info.context.settings.max_page_size)
        wanted = filter or AuditLogFilter()
        query = audit.audit_query(info.context.principal, audit.AuditFilter(
            account_id=_wanted_id(wanted.account_id, "Account"),
            actor_id=_wanted_id(wanted.actor_id, "User"),
            reseller_id=_wanted_id(wanted.reseller_id, "Reseller"),
            action=wanted.action, since=wanted.from_, until=wanted.to,
        ))
        total = await query.count()
        rows = await query.order_by("-created_at", "-id").offset(offset).limit(
            limit + 1).values(*_COLUMNS)
        nodes = await entry_nodes(rows[: limit + 1])
        return build_connection(nodes, offset, limit, total)
