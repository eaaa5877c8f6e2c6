"""GraphQL of call restrictions: the rules and exceptions at each level the caller manages (an
account's users: its own SUBSCRIBER rules), and ``checkCall``, the simulator support staff and
the account's users use to see what a number would do and why."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Self

import strawberry
from strawberry import relay
from tortoise.queryset import QuerySet

from gateway.api import (
    ACCOUNT_NOT_FOUND,
    STAFF,
    SUBSCRIBERS,
    AccountNode,
    Connection,
    DateTime,
    Error,
    Principal,
    RowNode,
    account_loader,
    build_connection,
    describe_enum_values,
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


describe_enum_values(e.RestrictionErrorCode, {
    "REQUIRED": "A value is missing: the account of an ACCOUNT rule, the reseller of a system "
    "admin's RESELLER rule, or the country of an area code.",
    "INVALID": "A field that does not apply to the rule's scope (e.g. an account for a SYSTEM "
    "rule).",
    "NOT_FOUND": "No such account, reseller, rule or exception among those you may see.",
    "NOT_ALLOWED": "Only a system admin manages system rules and the exceptions to them.",
    "ONE_TARGET": "Give exactly one target: a country, a country and an area code, or a prefix.",
    "INVALID_COUNTRY": "Not a two-letter country code, or a country whose numbers cannot be "
    "told apart from its neighbours' (use prefixes).",
    "INVALID_AREA_CODE": "An area code is 1 to 6 digits.",
    "INVALID_PREFIX": "A prefix is 1 to 15 digits of an international number, not starting "
    "with 0.",
    "NOT_WIDER": "An exception lifts a system or reseller rule covering the account, never an "
    "account rule (delete that instead).",
    "ALREADY_EXISTS": "The account already has an exception to this rule.",
    "LIMIT_REACHED": "The account already has as many SUBSCRIBER rules as allowed (200).",
    "MANAGED_BY_PROVIDER": "The reseller's account management restrictions (Interdire la "
    "gestion des utilisateurs, Compte géré par l'administrateur) keep the account's own users "
    "from changing its rules; its reseller's staff still can.",
})

strawberry.enum(RestrictionScope, name="CallRestrictionScope",
                description="SYSTEM: every account; RESELLER: every account of one reseller; "
                "ACCOUNT: one account; SUBSCRIBER: one account's own rules.")
describe_enum_values(RestrictionScope, {
    "SYSTEM": "Every account of the platform; system admins manage these, reseller staff read "
    "them.",
    "RESELLER": "Every account of one reseller (its Restrictions d'appels page).",
    "ACCOUNT": "One account (the Rest icon of the Clients page); beats its reseller's and the "
    "system's rules.",
    "SUBSCRIBER": "One account's own rules (its company admin or professional): asked only when "
    "the levels above allow a call, so they can deny more, never allow what staff deny.",
})
strawberry.enum(RestrictionAction, name="CallRestrictionAction",
                description="What a rule does to the calls it covers.")
describe_enum_values(RestrictionAction, {
    "ALLOW": "Calls to the numbers covered are allowed (lifts a wider DENY of a less specific "
    "level or a shorter prefix).",
    "DENY": "Calls to the numbers covered are denied; on the same prefix and level, DENY wins.",
})
strawberry.enum(RestrictionTarget, name="CallRestrictionTarget",
                description="What a rule covers: a country, an area code or a prefix.")
describe_enum_values(RestrictionTarget, {
    "COUNTRY": "A country (ISO code): all its numbers, e.g. FR is +33, CA is Canada's area "
    "codes.",
    "AREA_CODE": "One area code of a country, e.g. CA and 514 is +1514.",
    "PREFIX": "Any destination: an E.164 prefix of 1 to 15 digits, e.g. +4420.",
})
strawberry.enum(Reason, name="CallDecisionReason", description="What decided a call: test "
                "mode, an exception, a rule of the account, of its reseller, of the system, or "
                "no rule (allowed).")
describe_enum_values(Reason, {
    "TEST_MODE": "The account is in test mode (Compte en mode test): every call is denied.",
    "EXCEPTION": "An exception of the account lifted a system or reseller rule.",
    "ACCOUNT_RULE": "A rule of the account decided.",
    "RESELLER_RULE": "A rule of the account's reseller decided.",
    "SYSTEM_RULE": "A system-wide rule decided.",
    "SUBSCRIBER_RULE": "One of the account's own rules decided, within what the levels above "
    "allow.",
    "NO_RULE": "No rule covers the number: the call is allowed.",
})


@strawberry.type(name="CallRestriction", description="A rule allowing or denying calls to a "
                 "country, an area code or a destination prefix.")
class CallRestrictionNode(RowNode):
    COLUMNS: ClassVar[tuple[str, ...]] = services.RULE_COLUMNS

    id: relay.NodeID[int]
    scope: RestrictionScope = strawberry.field(description="The level the rule applies at.")
    action: RestrictionAction = strawberry.field(description="Allow or deny the calls it "
                                                 "covers.")
    target: RestrictionTarget = strawberry.field(description="What it covers: a country, an "
                                                 "area code or a prefix.")
    country: str | None = strawberry.field(description="ISO code (COUNTRY and AREA_CODE).")
    area_code: str | None = strawberry.field(description="An AREA_CODE rule's area code, "
                                             "without trunk prefix (e.g. 514); null otherwise.")
    created_at: DateTime = strawberry.field(description="When the rule was created.")
    updated_at: DateTime = strawberry.field(description="When the rule last changed.")
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
    created_at: DateTime = strawberry.field(description="When the exception was made.")
    account_id: strawberry.Private[int]
    restriction_id: strawberry.Private[int]

    @classmethod
    def visible(cls, principal: Principal | None) -> QuerySet[CallRestrictionException]:
        return services.exceptions_visible(principal)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Self:
        return cls(id=row["id"], created_at=row["created_at"], account_id=row["account_id"],
                   restriction_id=row["restriction_id"])

    @strawberry.field(description="The account the rule is lifted for.")
    async def account(self, info: strawberry.Info) -> AccountNode | None:
        return await account_loader(info).load(self.account_id)

    @strawberry.field(description="The system or reseller rule it lifts.")
    async def restriction(self, info: strawberry.Info) -> CallRestrictionNode | None:
        [rule] = await CallRestrictionNode.load(info.context.principal, [self.restriction_id])
        return rule


@strawberry.type(description="The answer to: may this account call this number, and why.")
class CallDecision:
    allowed: bool = strawberry.field(description="Whether the account may call the number.")
    number: str = strawberry.field(description="The dialled number in E.164 form.")
    reason: Reason = strawberry.field(description="What decided: test mode, an exception, the "
                                      "level of the deciding rule, or no rule.")
    explanation: str = strawberry.field(description="Why, in the caller's language.")
    matched_prefix: str | None = strawberry.field(description="The deciding rule's prefix that "
                                                  "matched, e.g. +33; null when no rule "
                                                  "decided.")
    rule: CallRestrictionNode | None = strawberry.field(description="The deciding rule (for an "
                                                        "exception, the rule it lifts); null "
                                                        "for TEST_MODE and NO_RULE.")
    exception: CallRestrictionExceptionNode | None = strawberry.field(
        description="The account's exception that decided; null unless reason is EXCEPTION.")
    overruled_rule: CallRestrictionNode | None = strawberry.field(
        description="The account's own ALLOW rule that matched a number the levels above deny: "
        "it did not decide (own rules cannot open what staff closed); null otherwise.")


# --- Inputs and payloads ----------------------------------------------------------------------

@strawberry.input(description="A new rule: its level, its action and exactly one target "
                  "(country, country + areaCode, or prefix).")
class CreateCallRestrictionInput:
    scope: RestrictionScope = strawberry.field(description="SYSTEM (system admins only), "
                                               "RESELLER, ACCOUNT or SUBSCRIBER (the only one "
                                               "an account's own users create).")
    action: RestrictionAction = strawberry.field(description="ALLOW or DENY.")
    account_id: strawberry.ID | None = strawberry.field(default=None, description="ACCOUNT, "
                                                        "SUBSCRIBER: the account (the account's "
                                                        "own users may leave it out). RESELLER "
                                                        "(system admin): the account's "
                                                        "reseller.")
    reseller_id: strawberry.ID | None = strawberry.field(
        default=None, description="RESELLER, for a system admin: the reseller. Reseller staff "
        "leave it out (their own).")
    country: str | None = strawberry.field(default=None, description="ISO code, e.g. FR; with "
                                           "areaCode, the area code's country.")
    area_code: str | None = strawberry.field(default=None, description="e.g. 514 (with "
                                             "country CA).")
    prefix: str | None = strawberry.field(default=None, description="Any E.164 prefix, e.g. "
                                          "+4420.")


@strawberry.input(description="A rule's new action and/or target; its scope and owner never "
                  "change.")
class UpdateCallRestrictionInput:
    id: strawberry.ID = strawberry.field(description="The CallRestriction's id.")
    action: RestrictionAction | None = strawberry.field(default=None, description="ALLOW or "
                                                        "DENY; null: unchanged.")
    country: str | None = strawberry.field(default=None, description="Target fields, when "
                                           "given, replace the whole target.")
    area_code: str | None = strawberry.field(default=None, description="With country: an area "
                                             "code target, e.g. 514.")
    prefix: str | None = strawberry.field(default=None, description="Alone: a prefix target, "
                                          "e.g. +4420.")


@strawberry.input(description="A rule to delete, with the exceptions to it.")
class DeleteCallRestrictionInput:
    id: strawberry.ID = strawberry.field(description="The CallRestriction's id.")


@strawberry.input(description="A system or reseller rule to lift for one account.")
class CreateCallRestrictionExceptionInput:
    account_id: strawberry.ID = strawberry.field(description="The account the rule stops "
                                                 "binding.")
    restriction_id: strawberry.ID = strawberry.field(description="The SYSTEM or RESELLER "
                                                     "CallRestriction that covers the account.")


@strawberry.input(description="An exception to remove: its rule applies to the account again.")
class DeleteCallRestrictionExceptionInput:
    id: strawberry.ID = strawberry.field(description="The CallRestrictionException's id.")


@strawberry.type(description="The result of creating or updating a call restriction.")
class CallRestrictionPayload:
    restriction: CallRestrictionNode | None = strawberry.field(description="The rule as saved; "
                                                               "null when errors.")
    errors: list[CallRestrictionError] = strawberry.field(
        default_factory=list, description="Why nothing was saved; empty on success.")


@strawberry.type(description="The result of deleting a call restriction or an exception.")
class DeleteCallRestrictionPayload:
    deleted_id: strawberry.ID | None = strawberry.field(description="The id of what was "
                                                        "deleted; null when errors.")
    errors: list[CallRestrictionError] = strawberry.field(
        default_factory=list, description="Why nothing was deleted; empty on success.")


@strawberry.type(description="The result of createCallRestrictionException.")
class CallRestrictionExceptionPayload:
    exception: CallRestrictionExceptionNode | None = strawberry.field(
        description="The exception made; null when errors.")
    errors: list[CallRestrictionError] = strawberry.field(
        default_factory=list, description="Why nothing was saved; empty on success.")


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
    @field(*STAFF, *SUBSCRIBERS, description="The rules of one level: SYSTEM (read only for "
           "reseller staff), RESELLER (yours; a system admin names an account to see its "
           "reseller's, or sees all), ACCOUNT (accountId needed), SUBSCRIBER (an account's own; "
           "its users see theirs and no other level).")
    async def call_restrictions(
        self, info: strawberry.Info,
        scope: Annotated[RestrictionScope, strawberry.argument(
            description="The level whose rules are listed.")],
        account_id: Annotated[strawberry.ID | None, strawberry.argument(
            description="ACCOUNT: the account (required); RESELLER: its reseller's rules; "
            "SUBSCRIBER: the account (an account's users: theirs by default). An account you "
            "may not manage gives an empty list.")] = None,
        first: int | None = None, after: str | None = None,
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

    @field(*STAFF, description="The account's exceptions to wider rules (system admins, reseller "
           "staff, integrators).")
    async def call_restriction_exceptions(
        self, info: strawberry.Info,
        account_id: Annotated[strawberry.ID, strawberry.argument(
            description="The account; one you may not manage gives an empty list.")],
        first: int | None = None, after: str | None = None,
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

    @field(*STAFF, *SUBSCRIBERS, description="Simulate a call: would this account be allowed to "
           "dial this number (any common format), and why (an account's users: their own "
           "account). A string that is not a phone number is an INVALID_NUMBER error.")
    async def check_call(
        self, info: strawberry.Info,
        account_id: Annotated[strawberry.ID, strawberry.argument(
            description="The calling account; an unknown one (or another reseller's) is a "
            "NOT_FOUND error.")],
        number: Annotated[str, strawberry.argument(
            description="The dialled number in any common format, national ones read in the "
            "account's country (00 reads as +).")],
    ) -> CallDecision:
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
            exception=exception,
            overruled_rule=CallRestrictionNode.from_row(decision.overruled)
            if decision.overruled else None)


@strawberry.type
class RestrictionsMutation:
    @mutation(*STAFF, *services.OWN_RULE_EDITORS, errors=CallRestrictionError,
              description="A new rule: SYSTEM (system admins), RESELLER, ACCOUNT or SUBSCRIBER "
              "(an account's company admin or professional: their own, at most 200); one of "
              "country, country + areaCode, prefix.")
    async def create_call_restriction(
        self, info: strawberry.Info,
        input: Annotated[CreateCallRestrictionInput, strawberry.argument(
            description="The level, action, owner and target of the new rule.")],
    ) -> CallRestrictionPayload:
        rule = await services.create_rule(
            info.context.principal, scope=input.scope, action=input.action,
            country=input.country, area_code=input.area_code, prefix=input.prefix,
            account_id=_account_pk(input.account_id) if given(input.account_id) else None,
            reseller_id=node_pk(input.reseller_id, "Reseller", ["input", "resellerId"],
                                e.RESELLER_NOT_FOUND) if given(input.reseller_id) else None,
            host=info.context.host)
        return CallRestrictionPayload(restriction=await _rule_node(rule.id))

    @mutation(*STAFF, *services.OWN_RULE_EDITORS, errors=CallRestrictionError,
              description="Edit a rule's action or target (system rules: system admins only; "
              "an account's company admin or professional: its SUBSCRIBER rules).")
    async def update_call_restriction(
        self, info: strawberry.Info,
        input: Annotated[UpdateCallRestrictionInput, strawberry.argument(
            description="The rule and what changes.")],
    ) -> CallRestrictionPayload:
        rule = await services.update_rule(
            info.context.principal, _rule_pk(input.id, "id"),
            action=input.action if given(input.action) else None,
            country=input.country, area_code=input.area_code, prefix=input.prefix,
            host=info.context.host)
        return CallRestrictionPayload(restriction=await _rule_node(rule.id))

    @mutation(*STAFF, *services.OWN_RULE_EDITORS, errors=CallRestrictionError,
              description="Delete a rule and the exceptions to it (an account's company admin "
              "or professional: its SUBSCRIBER rules).")
    async def delete_call_restriction(
        self, info: strawberry.Info,
        input: Annotated[DeleteCallRestrictionInput, strawberry.argument(
            description="The rule to delete.")],
    ) -> DeleteCallRestrictionPayload:
        deleted = await services.delete_rule(info.context.principal, _rule_pk(input.id, "id"),
                                             host=info.context.host)
        return DeleteCallRestrictionPayload(deleted_id=global_id("CallRestriction", deleted))

    @mutation(*STAFF, errors=CallRestrictionError, description="Lift a system or reseller rule "
              "for one account (only a system admin lifts a system rule).")
    async def create_call_restriction_exception(
        self, info: strawberry.Info,
        input: Annotated[CreateCallRestrictionExceptionInput, strawberry.argument(
            description="The account and the rule to lift.")],
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
        self, info: strawberry.Info,
        input: Annotated[DeleteCallRestrictionExceptionInput, strawberry.argument(
            description="The exception to remove.")],
    ) -> DeleteCallRestrictionPayload:
        deleted = await services.delete_exception(
            info.context.principal,
            node_pk(input.id, "CallRestrictionException", ["input", "id"],
                    e.EXCEPTION_NOT_FOUND))
        return DeleteCallRestrictionPayload(
            deleted_id=global_id("CallRestrictionException", deleted))
