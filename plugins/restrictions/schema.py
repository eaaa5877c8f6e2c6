"""GraphQL of call restrictions: the rules and exceptions at each level the caller manages, and
``checkCall``, the simulator support staff use to see what a number would do and why."""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum
from typing import Any

import strawberry
from strawberry import relay

from gateway.identity.types import AccountNode
from plugins.restrictions import errors as e
from plugins.restrictions import services
from plugins.restrictions.errors import CallRestrictionError, CheckCallError
from plugins.restrictions.models import (
    CallRestriction,
    RestrictionAction,
    RestrictionScope,
    RestrictionTarget,
)
from schema.errors import PayloadError
from schema.node import object_pk
from schema.pagination import Connection, build_connection, page_window
from schema.permissions import Role, allow
from schema.scalars import DateTime

# Who manages restrictions: system admins, the reseller's staff and its API tokens.
STAFF = (Role.SYSTEM_ADMIN, Role.RESELLER_ADMIN, Role.RESELLER_DELEGATE, Role.INTEGRATOR)

ScopeEnum = strawberry.enum(RestrictionScope, name="CallRestrictionScope",
                            description="SYSTEM: every account; RESELLER: every account of one "
                            "reseller; ACCOUNT: one account.")
ActionEnum = strawberry.enum(RestrictionAction, name="CallRestrictionAction")
TargetEnum = strawberry.enum(RestrictionTarget, name="CallRestrictionTarget")


@strawberry.enum(name="CallDecisionReason", description="What decided a call: test mode, "
                 "an exception, a rule of the account, of its reseller, of the system, or no "
                 "rule (allowed).")
class ReasonEnum(Enum):
    TEST_MODE = services.Reason.TEST_MODE
    EXCEPTION = services.Reason.EXCEPTION
    ACCOUNT_RULE = services.Reason.ACCOUNT_RULE
    RESELLER_RULE = services.Reason.RESELLER_RULE
    SYSTEM_RULE = services.Reason.SYSTEM_RULE
    NO_RULE = services.Reason.NO_RULE


def _database_id(raw: Any, type_name: str, field: list[str], text: Any) -> int:
    """The id behind a global id of ``type_name`` (or a plain number); else not found."""
    number = object_pk(raw, type_name)
    if number is None:
        raise e.problem(e.RestrictionErrorCode.NOT_FOUND, text, field)
    return number


async def _account_node(info: strawberry.Info, account_id: int) -> AccountNode | None:
    """Through the clients plugin's per-request DataLoader: one query for a whole list page,
    scoped like every read."""
    return await info.context.loaders["clients.account"].load(account_id)  # type: ignore[no-any-return]


def _given(value: Any) -> bool:
    return value is not None and value is not strawberry.UNSET


@strawberry.type(name="CallRestriction", description="A rule allowing or denying calls to a "
                 "country, an area code or a destination prefix.")
class CallRestrictionNode(relay.Node):
    id: relay.NodeID[int]
    scope: ScopeEnum  # type: ignore[valid-type]
    action: ActionEnum  # type: ignore[valid-type]
    target: TargetEnum  # type: ignore[valid-type]
    country: str | None = strawberry.field(description="ISO code (COUNTRY and AREA_CODE).")
    area_code: str | None
    created_at: DateTime  # type: ignore[valid-type]
    updated_at: DateTime  # type: ignore[valid-type]
    row: strawberry.Private[dict[str, Any]]

    @strawberry.field(description="The rule's number, as the explanations name it (#12).")
    def rule_number(self) -> int:
        return self.id

    @strawberry.field(description="The E.164 prefixes the rule covers (a country may have "
                      "several), e.g. [\"+33\"].")
    def prefixes(self) -> list[str]:
        from plugins.restrictions.compiler import rule_prefixes

        return [f"+{p}" for p in rule_prefixes(services._plain(self.row))]

    @strawberry.field(description="The target as people read it, in the caller's language: "
                      "France (+33), Canada +1 514, +4420.")
    def description(self, info: strawberry.Info) -> str:
        return services.describe_target(self.row, info.context.language)

    @strawberry.field(description="The account of an ACCOUNT rule.")
    async def account(self, info: strawberry.Info) -> AccountNode | None:
        if self.row["account_id"] is None:
            return None
        return await _account_node(info, self.row["account_id"])

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> CallRestrictionNode:
        return cls(id=row["id"], scope=row["scope"], action=row["action"], target=row["target"],
                   country=row["country"], area_code=row["area_code"],
                   created_at=row["created_at"], updated_at=row["updated_at"], row=row)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ) -> list[CallRestrictionNode | None]:
        ids = [int(i) for i in node_ids if str(i).isdigit()]
        rows = await services.rules_visible(info.context.principal).filter(id__in=ids).values(
            *services.RULE_COLUMNS)
        found = {r["id"]: cls.from_row(r) for r in rows}
        return [found.get(int(i)) if str(i).isdigit() else None for i in node_ids]


@strawberry.type(name="CallRestrictionException",
                 description="An exception lifting a system or reseller rule for one account.")
class CallRestrictionExceptionNode(relay.Node):
    id: relay.NodeID[int]
    created_at: DateTime  # type: ignore[valid-type]
    account_id: strawberry.Private[int]
    restriction_id: strawberry.Private[int]

    @strawberry.field
    async def account(self, info: strawberry.Info) -> AccountNode | None:
        return await _account_node(info, self.account_id)

    @strawberry.field(description="The rule it lifts.")
    async def restriction(self, info: strawberry.Info) -> CallRestrictionNode | None:
        found = await CallRestrictionNode.resolve_nodes(info=info,
                                                        node_ids=[str(self.restriction_id)])
        return found[0]

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> CallRestrictionExceptionNode:
        return cls(id=row["id"], created_at=row["created_at"], account_id=row["account_id"],
                   restriction_id=row["restriction_id"])

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ) -> list[CallRestrictionExceptionNode | None]:
        ids = [int(i) for i in node_ids if str(i).isdigit()]
        rows = await services.exceptions_visible(info.context.principal).filter(
            id__in=ids).values(*services.EXCEPTION_COLUMNS)
        found = {r["id"]: cls.from_row(r) for r in rows}
        return [found.get(int(i)) if str(i).isdigit() else None for i in node_ids]


@strawberry.type(description="The answer to: may this account call this number, and why.")
class CallDecision:
    allowed: bool
    number: str = strawberry.field(description="The dialled number in E.164 form.")
    reason: ReasonEnum  # type: ignore[valid-type]
    explanation: str = strawberry.field(description="Why, in the caller's language.")
    matched_prefix: str | None = strawberry.field(description="The deciding rule's prefix.")
    rule: CallRestrictionNode | None = strawberry.field(description="The deciding rule (for an "
                                                        "exception, the rule it lifts).")
    exception: CallRestrictionExceptionNode | None


# --- Inputs and payloads ----------------------------------------------------------------------

@strawberry.input
class CreateCallRestrictionInput:
    scope: ScopeEnum  # type: ignore[valid-type]
    action: ActionEnum  # type: ignore[valid-type]
    account_id: strawberry.ID | None = strawberry.field(default=None, description="ACCOUNT: "
                                                        "the account. RESELLER (system admin): "
                                                        "the account's reseller.")
    reseller_id: strawberry.ID | None = strawberry.field(
        default=None, description="RESELLER, for a system admin: the reseller. Reseller staff "
        "leave it out (their own).")
    country: str | None = strawberry.field(default=None, description="ISO code, e.g. FR; with "
                                           "areaCode, the area code's country.")
    area_code: str | None = strawberry.field(default=None, description="e.g. 514 (with "
                                             "country CA).")
    prefix: str | None = strawberry.field(default=None, description="Any E.164 prefix, e.g. "
                                          "+4420.")


@strawberry.input
class UpdateCallRestrictionInput:
    id: strawberry.ID
    action: ActionEnum | None = None  # type: ignore[valid-type]
    country: str | None = strawberry.field(default=None, description="Target fields, when "
                                           "given, replace the whole target.")
    area_code: str | None = None
    prefix: str | None = None


@strawberry.input
class DeleteCallRestrictionInput:
    id: strawberry.ID


@strawberry.input
class CreateCallRestrictionExceptionInput:
    account_id: strawberry.ID
    restriction_id: strawberry.ID


@strawberry.input
class DeleteCallRestrictionExceptionInput:
    id: strawberry.ID


@strawberry.type
class CallRestrictionPayload:
    restriction: CallRestrictionNode | None
    errors: list[CallRestrictionError]  # type: ignore[valid-type]


@strawberry.type
class DeleteCallRestrictionPayload:
    deleted_id: strawberry.ID | None
    errors: list[CallRestrictionError]  # type: ignore[valid-type]


@strawberry.type
class CallRestrictionExceptionPayload:
    exception: CallRestrictionExceptionNode | None
    errors: list[CallRestrictionError]  # type: ignore[valid-type]


def _errors(error: PayloadError, info: strawberry.Info) -> list[Any]:
    return [error.to_graphql(CallRestrictionError, info.context.language)]


async def _rule_node(rule_id: int) -> CallRestrictionNode:
    row = (await CallRestriction.filter(id=rule_id).values(*services.RULE_COLUMNS))[0]
    return CallRestrictionNode.from_row(row)


def _account_id(raw: Any, field: list[str]) -> int:
    return _database_id(raw, "Account", field, e.ACCOUNT_NOT_FOUND)


@strawberry.type
class RestrictionsQuery:
    @strawberry.field(extensions=allow(*STAFF), description="The rules of one level: SYSTEM "
                      "(read only for reseller staff), RESELLER (yours; a system admin names an "
                      "account to see its reseller's, or sees all), ACCOUNT (accountId needed).")
    async def call_restrictions(
        self, info: strawberry.Info, scope: ScopeEnum,  # type: ignore[valid-type]
        account_id: strawberry.ID | None = None, first: int | None = None,
        after: str | None = None,
    ) -> Connection[CallRestrictionNode]:
        offset, limit = page_window(first, after, info.context.settings.max_page_size)
        principal = info.context.principal
        query = services.rules_visible(principal).filter(scope=RestrictionScope(scope.value))
        try:
            if _given(account_id):
                account = await services.account_for(principal,
                                                     _account_id(account_id, ["accountId"]))
                if scope.value == "ACCOUNT":
                    query = query.filter(account_id=account.id)
                elif scope.value == "RESELLER":
                    query = query.filter(reseller_id=account.reseller_id)  # type: ignore[attr-defined]
            elif scope.value == "ACCOUNT":
                return build_connection([], offset, limit, 0)
            elif scope.value == "RESELLER" and principal.role != Role.SYSTEM_ADMIN:
                query = query.filter(reseller_id=principal.reseller_id or -1)
        except PayloadError:
            return build_connection([], offset, limit, 0)
        total = await query.count()
        rows = await query.order_by("id").offset(offset).limit(limit + 1).values(
            *services.RULE_COLUMNS)
        return build_connection(rows, offset, limit, total, CallRestrictionNode.from_row)

    @strawberry.field(extensions=allow(*STAFF),
                      description="The account's exceptions to wider rules.")
    async def call_restriction_exceptions(
        self, info: strawberry.Info, account_id: strawberry.ID, first: int | None = None,
        after: str | None = None,
    ) -> Connection[CallRestrictionExceptionNode]:
        offset, limit = page_window(first, after, info.context.settings.max_page_size)
        try:
            account = await services.account_for(info.context.principal,
                                                 _account_id(account_id, ["accountId"]))
        except PayloadError:
            return build_connection([], offset, limit, 0)
        query = services.exceptions_visible(info.context.principal).filter(account_id=account.id)
        total = await query.count()
        rows = await query.order_by("id").offset(offset).limit(limit + 1).values(
            *services.EXCEPTION_COLUMNS)
        return build_connection(rows, offset, limit, total, CallRestrictionExceptionNode.from_row)

    @strawberry.field(extensions=allow(*STAFF), description="Simulate a call: would this "
                      "account be allowed to dial this number (any common format), and why. A "
                      "string that is not a phone number is an INVALID_NUMBER error.")
    async def check_call(self, info: strawberry.Info, account_id: strawberry.ID,
                         number: str) -> CallDecision:
        principal = info.context.principal
        try:
            account = await services.account_for(principal, _account_id(account_id,
                                                                        ["accountId"]))
        except PayloadError:
            raise CheckCallError("NOT_FOUND", e.ACCOUNT_NOT_FOUND) from None
        decision = await services.decide(account, number)
        rule = CallRestrictionNode.from_row(decision.rule) if decision.rule else None
        exception = None
        if decision.exception_id is not None:
            found = await CallRestrictionExceptionNode.resolve_nodes(
                info=info, node_ids=[str(decision.exception_id)])
            exception = found[0]
        return CallDecision(
            allowed=decision.allowed, number=decision.number, reason=ReasonEnum(decision.reason),
            explanation=decision.explanation(info.context.language),
            matched_prefix=f"+{decision.prefix}" if decision.prefix else None,
            rule=rule, exception=exception)


@strawberry.type
class RestrictionsMutation:
    @strawberry.mutation(extensions=allow(*STAFF), description="A new rule: SYSTEM (system "
                         "admins), RESELLER or ACCOUNT; one of country, country + areaCode, "
                         "prefix.")
    async def create_call_restriction(self, info: strawberry.Info,
                                      input: CreateCallRestrictionInput) -> CallRestrictionPayload:
        try:
            rule = await services.create_rule(
                info.context.principal, scope=RestrictionScope(input.scope.value),
                action=RestrictionAction(input.action.value),
                country=input.country, area_code=input.area_code, prefix=input.prefix,
                account_id=_account_id(input.account_id, ["input", "accountId"])
                if _given(input.account_id) else None,
                reseller_id=_database_id(input.reseller_id, "Reseller", ["input", "resellerId"],
                                         e.RESELLER_NOT_FOUND)
                if _given(input.reseller_id) else None)
        except PayloadError as error:
            return CallRestrictionPayload(restriction=None, errors=_errors(error, info))
        return CallRestrictionPayload(restriction=await _rule_node(rule.id), errors=[])

    @strawberry.mutation(extensions=allow(*STAFF),
                         description="Edit a rule's action or target.")
    async def update_call_restriction(self, info: strawberry.Info,
                                      input: UpdateCallRestrictionInput) -> CallRestrictionPayload:
        try:
            rule = await services.update_rule(
                info.context.principal,
                _database_id(input.id, "CallRestriction", ["input", "id"], e.RULE_NOT_FOUND),
                action=RestrictionAction(input.action.value) if _given(input.action) else None,
                country=input.country, area_code=input.area_code, prefix=input.prefix)
        except PayloadError as error:
            return CallRestrictionPayload(restriction=None, errors=_errors(error, info))
        return CallRestrictionPayload(restriction=await _rule_node(rule.id), errors=[])

    @strawberry.mutation(extensions=allow(*STAFF),
                         description="Delete a rule and the exceptions to it.")
    async def delete_call_restriction(
        self, info: strawberry.Info, input: DeleteCallRestrictionInput
    ) -> DeleteCallRestrictionPayload:
        try:
            deleted = await services.delete_rule(
                info.context.principal,
                _database_id(input.id, "CallRestriction", ["input", "id"], e.RULE_NOT_FOUND))
        except PayloadError as error:
            return DeleteCallRestrictionPayload(deleted_id=None, errors=_errors(error, info))
        return DeleteCallRestrictionPayload(
            deleted_id=strawberry.ID(relay.to_base64("CallRestriction", deleted)), errors=[])

    @strawberry.mutation(extensions=allow(*STAFF), description="Lift a system or reseller "
                         "rule for one account (only a system admin lifts a system rule).")
    async def create_call_restriction_exception(
        self, info: strawberry.Info, input: CreateCallRestrictionExceptionInput
    ) -> CallRestrictionExceptionPayload:
        try:
            account_id = _account_id(input.account_id, ["input", "accountId"])
            restriction_id = _database_id(input.restriction_id, "CallRestriction",
                                          ["input", "restrictionId"], e.RULE_NOT_FOUND)
            exception = await services.create_exception(info.context.principal, account_id,
                                                        restriction_id)
        except PayloadError as error:
            return CallRestrictionExceptionPayload(exception=None, errors=_errors(error, info))
        found = await CallRestrictionExceptionNode.resolve_nodes(info=info,
                                                                 node_ids=[str(exception.id)])
        return CallRestrictionExceptionPayload(exception=found[0], errors=[])

    @strawberry.mutation(extensions=allow(*STAFF), description="Remove an exception: the rule "
                         "applies to the account again.")
    async def delete_call_restriction_exception(
        self, info: strawberry.Info, input: DeleteCallRestrictionExceptionInput
    ) -> DeleteCallRestrictionPayload:
        try:
            deleted = await services.delete_exception(
                info.context.principal,
                _database_id(input.id, "CallRestrictionException", ["input", "id"],
                             e.EXCEPTION_NOT_FOUND))
        except PayloadError as error:
            return DeleteCallRestrictionPayload(deleted_id=None, errors=_errors(error, info))
        return DeleteCallRestrictionPayload(
            deleted_id=strawberry.ID(relay.to_base64("CallRestrictionException", deleted)),
            errors=[])

