"""GraphQL of call restrictions: the rules and exceptions at each level the caller manages, and
``checkCall``, the simulator support staff use to see what a number would do and why."""

from __future__ import annotations

from typing import Any, ClassVar, Self

import strawberry
from strawberry import relay
from tortoise.queryset import QuerySet

from gateway.api import (
    ACCOUNT_NOT_FOUND,
    STAFF,
    AccountNode,
    Connection,
    DateTime,
    Error,
    Principal,
    RowNode,
    account_loader,
    build_connection,
    error_type,
    field,
    given,
    global_id,
    listed_pk,
    mutation,
    node_pk,
    page_window,
)
from plugins.restrictions import errors as e
from plugins.restrictions import services
from plugins.restrictions.compiler import rule_prefixes
from plugins.restrictions.models import (
    CallRestriction,
    CallRestrictionException,
    RestrictionAction,
    RestrictionScope,
    RestrictionTarget,
)
from plugins.restrictions.services import Reason


@error_type("CallRestriction", e.RestrictionErrorCode)
class CallRestrictionError(Error):
    """A refusal of the call restrictions area."""

strawberry.enum(RestrictionScope, name="CallRestrictionScope",
                description="SYSTEM: every account; RESELLER: every account of one reseller; "
                "ACCOUNT: one account.")
strawberry.enum(RestrictionAction, name="CallRestrictionAction")
strawberry.enum(RestrictionTarget, name="CallRestrictionTarget")
strawberry.enum(Reason, name="CallDecisionReason", description="What decided a call: test "
                "mode, an exception, a rule of the account, of its reseller, of the system, or "
                "no rule (allowed).")


@strawberry.type(name="CallRestriction", description="A rule allowing or denying calls to a "
                 "country, an area code or a destination prefix.")
class CallRestrictionNode(RowNode):
    COLUMNS: ClassVar[tuple[str, ...]] = services.RULE_COLUMNS

    id: relay.NodeID[int]
    scope: RestrictionScope
    action: RestrictionAction
    target: RestrictionTarget
    country: str | None = strawberry.field(description="ISO code (COUNTRY and AREA_CODE).")
    area_code: str | None
    created_at: DateTime
    updated_at: DateTime
    row: strawberry.Private[dict[str, Any]]

    @classmethod
    def visible(cls, principal: Principal | None) -> QuerySet[CallRestriction]:
        return services.rules_visible(principal)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Self:
        return cls(id=row["id"], scope=row["scope"], action=row["action"], target=row["target"],
                   country=row["country"], area_code=row["area_code"],
                   created_at=row["created_at"], updated_at=row["updated_at"], row=row)

    @strawberry.field(description="The rule's number, as the explanations name it (#12).")
    def rule_number(self) -> int:
        return self.id

    @strawberry.field(description="The E.164 prefixes the rule covers (a country may have "
                      "several), e.g. [\"+33\"].")
    def prefixes(self) -> list[str]:
        return [f"+{p}" for p in rule_prefixes(services.plain_row(self.row))]

    @strawberry.field(description="The target as people read it, in the caller's language: "
                      "France (+33), Canada +1 514, +4420.")
    def description(self, info: strawberry.Info) -> str:
        return services.describe_target(self.row, info.context.language)

    @strawberry.field(description="The account of an ACCOUNT rule.")
    async def account(self, info: strawberry.Info) -> AccountNode | None:
        if self.row["account_id"] is None:
            return None
        return await account_loader(info).load(self.row["account_id"])


@strawberry.type(name="CallRestrictionException",
                 description="An exception lifting a system or reseller rule for one account.")
class CallRestrictionExceptionNode(RowNode):
    COLUMNS: ClassVar[tuple[str, ...]] = services.EXCEPTION_COLUMNS

    id: relay.NodeID[int]
    created_at: DateTime
    account_id: strawberry.Private[int]
    restriction_id: strawberry.Private[int]

    @classmethod
    def visible(cls, principal: Principal | None) -> QuerySet[CallRestrictionException]:
        return services.exceptions_visible(principal)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Self:
        return cls(id=row["id"], created_at=row["created_at"], account_id=row["account_id"],
                   restriction_id=row["restriction_id"])

    @strawberry.field
    async def account(self, info: strawberry.Info) -> AccountNode | None:
        return await account_loader(info).load(self.account_id)

    @strawberry.field(description="The rule it lifts.")
    async def restriction(self, info: strawberry.Info) -> CallRestrictionNode | None:
        [rule] = await CallRestrictionNode.load(info.context.principal, [self.restriction_id])
        return rule


@strawberry.type(description="The answer to: may this account call this number, and why.")
class CallDecision:
    allowed: bool
    number: str = strawberry.field(description="The dialled number in E.164 form.")
    reason: Reason
    explanation: str = strawberry.field(description="Why, in the caller's language.")
    matched_prefix: str | None = strawberry.field(description="The deciding rule's prefix.")
    rule: CallRestrictionNode | None = strawberry.field(description="The deciding rule (for an "
                                                        "exception, the rule it lifts).")
    exception: CallRestrictionExceptionNode | None


# --- Inputs and payloads ----------------------------------------------------------------------

@strawberry.input
class CreateCallRestrictionInput:
    scope: RestrictionScope
    action: RestrictionAction
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
    action: RestrictionAction | None = None
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
    errors: list[CallRestrictionError] = strawberry.field(default_factory=list)


@strawberry.type
class DeleteCallRestrictionPayload:
    deleted_id: strawberry.ID | None
    errors: list[CallRestrictionError] = strawberry.field(default_factory=list)


@strawberry.type
class CallRestrictionExceptionPayload:
    exception: CallRestrictionExceptionNode | None
    errors: list[CallRestrictionError] = strawberry.field(default_factory=list)


def _listed_account(raw: strawberry.ID | None) -> int:
    """The account a list names; a malformed id is BAD_USER_INPUT, an id of no row -1, which
    names no row (the list is then empty, as for another tenant's account)."""
    return listed_pk(raw, "Account", ["accountId"])


def _account_pk(raw: strawberry.ID | None) -> int:
    return node_pk(raw, "Account", ["input", "accountId"], ACCOUNT_NOT_FOUND)


def _rule_pk(raw: strawberry.ID, field_name: str) -> int:
    return node_pk(raw, "CallRestriction", ["input", field_name], e.RULE_NOT_FOUND)


async def _rule_node(rule_id: int) -> CallRestrictionNode:
    return CallRestrictionNode.from_row(await services.rule_row(rule_id))


@strawberry.type
class RestrictionsQuery:
    @field(*STAFF, description="The rules of one level: SYSTEM (read only for reseller staff), "
           "RESELLER (yours; a system admin names an account to see its reseller's, or sees "
           "all), ACCOUNT (accountId needed).")
    async def call_restrictions(
        self, info: strawberry.Info, scope: RestrictionScope,
        account_id: strawberry.ID | None = None, first: int | None = None,
        after: str | None = None,
    ) -> Connection[CallRestrictionNode]:
        offset, limit = page_window(first, after, info.context.settings.max_page_size)
        query = await services.rules_listed(
            info.context.principal, scope,
            _listed_account(account_id) if given(account_id) else None)
        if query is None:
            return build_connection([], offset, limit, 0)
        total = await query.count()
        rows = await query.order_by("id").offset(offset).limit(limit + 1).values(
            *services.RULE_COLUMNS)
        return build_connection(rows, offset, limit, total, CallRestrictionNode.from_row)

    @field(*STAFF, description="The account's exceptions to wider rules.")
    async def call_restriction_exceptions(
        self, info: strawberry.Info, account_id: strawberry.ID, first: int | None = None,
        after: str | None = None,
    ) -> Connection[CallRestrictionExceptionNode]:
        offset, limit = page_window(first, after, info.context.settings.max_page_size)
        query = await services.exceptions_listed(info.context.principal,
                                                 _listed_account(account_id))
        if query is None:
            return build_connection([], offset, limit, 0)
        total = await query.count()
        rows = await query.order_by("id").offset(offset).limit(limit + 1).values(
            *services.EXCEPTION_COLUMNS)
        return build_connection(rows, offset, limit, total, CallRestrictionExceptionNode.from_row)

    @field(*STAFF, description="Simulate a call: would this account be allowed to dial this "
           "number (any common format), and why. A string that is not a phone number is an "
           "INVALID_NUMBER error.")
    async def check_call(self, info: strawberry.Info, account_id: strawberry.ID,
                         number: str) -> CallDecision:
        principal = info.context.principal
        decision = await services.check_call(
            principal, node_pk(account_id, "Account", text=ACCOUNT_NOT_FOUND), number)
        exception = None
        if decision.exception_id is not None:
            [exception] = await CallRestrictionExceptionNode.load(principal,
                                                                  [decision.exception_id])
        return CallDecision(
            allowed=decision.allowed, number=decision.number, reason=decision.reason,
            explanation=decision.explanation(info.context.language),
            matched_prefix=f"+{decision.prefix}" if decision.prefix else None,
            rule=CallRestrictionNode.from_row(decision.rule) if decision.rule else None,
            exception=exception)


@strawberry.type
class RestrictionsMutation:
    @mutation(*STAFF, errors=CallRestrictionError, description="A new rule: SYSTEM (system "
              "admins), RESELLER or ACCOUNT; one of country, country + areaCode, prefix.")
    async def create_call_restriction(self, info: strawberry.Info,
                                      input: CreateCallRestrictionInput) -> CallRestrictionPayload:
        rule = await services.create_rule(
            info.context.principal, scope=input.scope, action=input.action,
            country=input.country, area_code=input.area_code, prefix=input.prefix,
            account_id=_account_pk(input.account_id) if given(input.account_id) else None,
            reseller_id=node_pk(input.reseller_id, "Reseller", ["input", "resellerId"],
                                e.RESELLER_NOT_FOUND) if given(input.reseller_id) else None)
        return CallRestrictionPayload(restriction=await _rule_node(rule.id))

    @mutation(*STAFF, errors=CallRestrictionError, description="Edit a rule's action or target.")
    async def update_call_restriction(self, info: strawberry.Info,
                                      input: UpdateCallRestrictionInput) -> CallRestrictionPayload:
        rule = await services.update_rule(
            info.context.principal, _rule_pk(input.id, "id"),
            action=input.action if given(input.action) else None,
            country=input.country, area_code=input.area_code, prefix=input.prefix)
        return CallRestrictionPayload(restriction=await _rule_node(rule.id))

    @mutation(*STAFF, errors=CallRestrictionError,
              description="Delete a rule and the exceptions to it.")
    async def delete_call_restriction(
        self, info: strawberry.Info, input: DeleteCallRestrictionInput
    ) -> DeleteCallRestrictionPayload:
        deleted = await services.delete_rule(info.context.principal, _rule_pk(input.id, "id"))
        return DeleteCallRestrictionPayload(deleted_id=global_id("CallRestriction", deleted))

    @mutation(*STAFF, errors=CallRestrictionError, description="Lift a system or reseller rule "
              "for one account (only a system admin lifts a system rule).")
    async def create_call_restriction_exception(
        self, info: strawberry.Info, input: CreateCallRestrictionExceptionInput
    ) -> CallRestrictionExceptionPayload:
        principal = info.context.principal
        exception = await services.create_exception(
            principal, _account_pk(input.account_id),
            _rule_pk(input.restriction_id, "restrictionId"))
        [node] = await CallRestrictionExceptionNode.load(principal, [exception.id])
        return CallRestrictionExceptionPayload(exception=node)

    @mutation(*STAFF, errors=CallRestrictionError, description="Remove an exception: the rule "
              "applies to the account again.")
    async def delete_call_restriction_exception(
        self, info: strawberry.Info, input: DeleteCallRestrictionExceptionInput
    ) -> DeleteCallRestrictionPayload:
        deleted = await services.delete_exception(
            info.context.principal,
            node_pk(input.id, "CallRestrictionException", ["input", "id"],
                    e.EXCEPTION_NOT_FOUND))
        return DeleteCallRestrictionPayload(
            deleted_id=global_id("CallRestrictionException", deleted))
