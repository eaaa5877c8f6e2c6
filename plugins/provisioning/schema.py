"""GraphQL of provisioning: an account's provisioning state and operations (staff, and the
account's own company admin or professional, read only), and the staff's retry."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import strawberry

from gateway.api import (
    STAFF,
    Connection,
    DateTime,
    Error,
    Problem,
    Role,
    build_connection,
    describe_enum_values,
    error_type,
    field,
    global_id,
    mutation,
    node_pk,
    page_window,
)
from plugins.provisioning import errors as e
from plugins.provisioning import services
from plugins.provisioning.api import OperationKind
from plugins.provisioning.models import Operation, OperationStatus, Outcome, Record

READERS = (*STAFF, Role.COMPANY_ADMIN, Role.PROFESSIONAL)

strawberry.enum(OperationKind, name="ProvisioningOperationKind",
                description="What the phone system (PBX) and the carrier are told to do.")
describe_enum_values(OperationKind, {
    "ACCOUNT_CREATED": "Create the account on the phone system.",
    "NUMBER_ASSIGNED": "Route a phone number (DID) to the account or one of its users.",
    "NUMBER_RELEASED": "Stop routing a number and return it to the carrier.",
    "ACCOUNT_UNSUBSCRIBED": "Deactivate the unsubscribed account on the phone system.",
    "ACCOUNT_REACTIVATED": "Activate the account again after its unsubscription was undone.",
    "ACCOUNT_PURGED": "Delete the purged account from the phone system for good.",
})
strawberry.enum(OperationStatus, name="ProvisioningStatus",
                description="Where one operation (or one provisioner's part of it) stands.")
describe_enum_values(OperationStatus, {
    "PENDING": "Being delivered, or waiting to be tried again after a failure.",
    "DONE": "Carried out (by every provisioner, for an operation).",
    "FAILED": "Every attempt failed: see the error; staff may retry it.",
})


@strawberry.enum(description="Whether the phone system knows everything about the account.")
class ProvisioningState(Enum):
    UP_TO_DATE = strawberry.enum_value(
        "UP_TO_DATE", description="Every operation of the account was carried out.")
    PENDING = strawberry.enum_value(
        "PENDING", description="Operations are on their way (or being retried).")
    FAILED = strawberry.enum_value(
        "FAILED", description="An operation failed for good: staff may retry it.")


@error_type("Provisioning", e.ProvisioningErrorCode)
class ProvisioningError(Error):
    """A refusal of the provisioning area."""


describe_enum_values(e.ProvisioningErrorCode, {
    "NOT_FOUND": "No such account among those you manage (another tenant's is not found "
    "either).",
    "NOTHING_TO_RETRY": "No operation of the account has failed.",
})


@strawberry.type(name="ProvisioningOutcome",
                 description="What one provisioner (the recorder, a PBX, a carrier) made of "
                 "one operation.")
class OutcomeNode:
    provisioner: str = strawberry.field(description="The provisioner's name: recorder, or the "
                                        "plugin's name.")
    status: OperationStatus = strawberry.field(description="Its part of the operation: "
                                               "PENDING, DONE or FAILED.")
    attempts: int = strawberry.field(description="How many times it was asked so far.")
    last_error: str = strawberry.field(description="Its last failure's message (no stack "
                                       "trace); empty once done.")
    done_at: DateTime | None = strawberry.field(description="When it carried the operation "
                                                "out; null until then.")

    @classmethod
    def from_row(cls, row: Outcome) -> OutcomeNode:
        return cls(provisioner=row.provisioner, status=OperationStatus(row.status),
                   attempts=row.attempts, last_error=row.last_error, done_at=row.done_at)


@strawberry.type(name="ProvisioningOperation",
                 description="One thing the phone system and the carrier must be told about "
                 "the account, delivered in order and retried.")
class OperationNode:
    key: str = strawberry.field(description="The operation's idempotency key, as every "
                                "provisioner received it.")
    kind: OperationKind = strawberry.field(description="What the phone system is told to do.")
    number: str | None = strawberry.field(description="The phone number (E.164) assigned or "
                                          "released; null for the account's own operations.")
    status: OperationStatus = strawberry.field(description="PENDING, DONE (by every "
                                               "provisioner) or FAILED.")
    attempts: int = strawberry.field(description="How many times it was delivered so far.")
    created_at: DateTime = strawberry.field(description="When the change that asks for it "
                                            "was made.")
    done_at: DateTime | None = strawberry.field(description="When every provisioner had "
                                                "carried it out; null until then.")
    outcomes: list[OutcomeNode] = strawberry.field(description="Each provisioner's part, by "
                                                   "name.")
    row: strawberry.Private[Operation]
    record: strawberry.Private[Record | None]

    @strawberry.field(description="The user the number is routed to; null: the account "
                      "itself (its receptionist).")
    def user_id(self) -> strawberry.ID | None:
        return global_id("User", self.row.user_id) if self.row.user_id is not None else None

    @strawberry.field(description="Why it is not done yet, in the caller's language; empty "
                      "when nothing failed.")
    def last_error(self, info: strawberry.Info) -> str:
        return self.row.last_error_fr if info.context.language == "fr" else (
            self.row.last_error_en)

    @strawberry.field(description="What the built-in recorder wrote down (what a real phone "
                      "system would have been told), in the caller's language; null when "
                      "not recorded.")
    def recorded(self, info: strawberry.Info) -> str | None:
        if self.record is None:
            return None
        return self.record.text_fr if info.context.language == "fr" else self.record.text_en

    @classmethod
    def build(cls, row: Operation, outcomes: list[Outcome], record: Record | None
              ) -> OperationNode:
        return cls(key=row.key, kind=OperationKind(row.kind), number=row.number,
                   status=OperationStatus(row.status), attempts=row.attempts,
                   created_at=row.created_at, done_at=row.done_at,
                   outcomes=[OutcomeNode.from_row(o) for o in outcomes], row=row, record=record)


@strawberry.type(description="How far the phone system and the carrier know about an "
                 "account: its state and its provisioning operations.")
class AccountProvisioning:
    account_row_id: strawberry.Private[int]
    state: ProvisioningState = strawberry.field(description="UP_TO_DATE, PENDING or FAILED.")

    @strawberry.field(description="The account's global ID.")
    def account_id(self) -> strawberry.ID:
        return global_id("Account", self.account_row_id)

    @strawberry.field(description="The account's provisioning operations, newest first, each "
                      "with every provisioner's outcome.")
    async def operations(self, info: strawberry.Info, first: int | None = None,
                         after: str | None = None) -> Connection[OperationNode]:
        offset, limit = page_window(first, after, info.context.settings.max_page_size)
        query = services.operations_of(self.account_row_id)
        total = await query.count()
        rows = await query.offset(offset).limit(limit + 1)
        pks = [row.id for row in rows]
        outcomes = await services.outcomes_of(pks)
        records = await services.records_of(pks)
        return build_connection(rows, offset, limit, total, lambda row: OperationNode.build(
            row, outcomes.get(row.id, []), records.get(row.id)))

    @classmethod
    async def of(cls, account_id: int) -> AccountProvisioning:
        state = await services.state_of(account_id)
        return cls(account_row_id=account_id, state=ProvisioningState.UP_TO_DATE
                   if state is None else ProvisioningState(state.value))


AccountIdArg = Annotated[strawberry.ID, strawberry.argument(
    description="The account's global ID; an account you may not see answers null.")]


@strawberry.input(description="The account whose failed provisioning operations to retry.")
class RetryProvisioningInput:
    account_id: strawberry.ID = strawberry.field(description="The account's global ID.")


@strawberry.type(description="The result of retryProvisioning.")
class RetryProvisioningPayload:
    provisioning: AccountProvisioning | None = strawberry.field(
        description="The account's provisioning, its failed operations PENDING again; null "
        "when errors.")
    errors: list[ProvisioningError] = strawberry.field(
        default_factory=list, description="Why nothing was retried; empty on success.")


@strawberry.type
class ProvisioningQuery:
    @field(*READERS, description="What the phone system (PBX) and the carrier were told about "
           "an account, and whether it went through (ravitaillement): staff, and the "
           "account's company admin or professional (read only).")
    async def account_provisioning(self, info: strawberry.Info,
                                   account_id: AccountIdArg) -> AccountProvisioning | None:
        try:
            account = await services.visible_account(
                info.context.principal, node_pk(account_id, "Account", ["accountId"]))
        except Problem:
            return None
        return await AccountProvisioning.of(account.id)


@strawberry.type
class ProvisioningMutation:
    @mutation(*STAFF, errors=ProvisioningError,
              description="Deliver an account's failed provisioning operations again, in "
              "order, with a fresh set of attempts (staff).")
    async def retry_provisioning(
        self, info: strawberry.Info,
        input: Annotated[RetryProvisioningInput, strawberry.argument(
            description="The account.")],
    ) -> RetryProvisioningPayload:
        account = await services.retry_failed(
            info.context.principal,
            node_pk(input.account_id, "Account", ["input", "accountId"], e.ACCOUNT_NOT_FOUND))
        return RetryProvisioningPayload(provisioning=await AccountProvisioning.of(account.id))
