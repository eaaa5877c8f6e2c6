"""GraphQL of the sign-up wizard: drafts saved step by step, the client's link, completion."""

from __future__ import annotations

from enum import Enum
from typing import Any

import strawberry
from strawberry import relay
from tortoise.queryset import QuerySet

from gateway.api import (
    ACCOUNT_COLUMNS,
    ANONYMOUS,
    RESELLER_SIDE,
    Account,
    AccountKind,
    AccountNode,
    BillingStatus,
    Connection,
    DateTime,
    Error,
    Principal,
    ProblemsToPayload,
    RowNode,
    account_loader,
    allow,
    as_data,
    build_connection,
    error_type,
    field,
    given,
    mutation,
    node_pk,
    page_window,
)
from plugins.clients import errors as e
from plugins.clients import signup
from plugins.clients.config import PLUGIN_NAME, ClientsConfig
from plugins.clients.errors import ClientsErrorCode
from plugins.clients.models import PaymentMethod, SignupDraft, SignupStatus


# The clients area's one error type (the Clients page's mutations in ``schema`` use it too).
@error_type("Clients", ClientsErrorCode)
class ClientsError(Error):
    """A refusal of the Clients area: what was wrong, where, and why."""

strawberry.enum(SignupStatus, name="SignupStatus",
                description="OPEN, SENT to the client, or COMPLETED.")
strawberry.enum(PaymentMethod, name="PaymentMethodKind",
                description="Credit card (processor token) or monthly invoice.")


def _config(info: strawberry.Info) -> ClientsConfig:
    return info.context.host.config_for(PLUGIN_NAME, ClientsConfig)


@strawberry.enum(description="Port (transfer) an existing number, or order a new one.")
class NumberAction(Enum):
    PORT = "PORT"
    ORDER = "ORDER"


@strawberry.enum(description="Toll-free, local or international number.")
class NumberType(Enum):
    LOCAL = "LOCAL"
    TOLL_FREE = "TOLL_FREE"
    INTERNATIONAL = "INTERNATIONAL"


@strawberry.enum(description="The steps of the sign-up wizard.")
class SignupStep(Enum):
    CUSTOMER = "customer"
    SUBSCRIPTION = "subscription"
    NUMBERS = "numbers"
    BILLING = "billing"
    ADMINISTRATOR = "administrator"
    ACTIVATION = "activation"


# --- Output -------------------------------------------------------------------------------

@strawberry.type(description="Client name, address, email, phone, languages and time zone.")
class SignupCustomer:
    name: str | None = None
    address: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str | None = None
    email: str | None = None
    phone_number: str | None = None
    language: str | None = None
    voice_languages: list[str] = strawberry.field(
        default_factory=list, description="Languages of the virtual receptionist (companies).")
    time_zone: str | None = None


@strawberry.type
class SignupDevice:
    model: str
    quantity: int


@strawberry.type(description="The plan, options and phone devices asked for.")
class SignupSubscription:
    plan: str | None = None
    options: list[str] = strawberry.field(default_factory=list)
    devices: list[SignupDevice] = strawberry.field(default_factory=list)


@strawberry.type(description="A number to port or to order, with its options.")
class SignupNumber:
    action: NumberAction
    type: NumberType
    number: str | None
    area_code: str | None
    fax: bool
    sms: bool
    e911: bool


@strawberry.type(description="How the client pays; a card shows only its brand and last 4 "
                 "digits.")
class SignupBilling:
    payment_method: PaymentMethod | None = None
    card_brand: str | None = None
    card_last4: str | None = None
    card_expiry: str | None = None
    card_holder_name: str | None = None
    invoice_contact: str | None = None
    invoice_email: str | None = None


@strawberry.type(description="The first user: the company admin, or the professional.")
class SignupAdministrator:
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = strawberry.field(default=None, description="Becomes the login id.")
    language: str | None = None


@strawberry.type(description="The billing status the account starts with (reseller's choice).")
class SignupActivation:
    billing_status: BillingStatus
    trial_days: int | None


@strawberry.type(description="Whether a step has what completing needs.")
class SignupStepState:
    step: SignupStep
    complete: bool
    missing: list[str] = strawberry.field(description="GraphQL names of the missing fields.")


DRAFT_COLUMNS = ("id", "reseller_id", "kind", "status", "data", "sent_to", "sent_at",
                 "account_id", "completed_at", "created_at", "updated_at")


@strawberry.type(name="SignupDraft", description="A sign-up in progress (the wizard's draft).")
class SignupDraftNode(RowNode):
    id: relay.NodeID[int]
    kind: AccountKind
    status: SignupStatus
    sent_to: str | None = strawberry.field(description="Where the client's link was sent.")
    sent_at: DateTime | None
    completed_at: DateTime | None
    created_at: DateTime
    updated_at: DateTime
    data: strawberry.Private[dict[str, Any]]
    account_id: strawberry.Private[int | None]
    reseller_id: strawberry.Private[int]

    COLUMNS = DRAFT_COLUMNS

    @classmethod
    def visible(cls, principal: Principal | None) -> QuerySet[SignupDraft]:
        return signup.drafts_visible(principal)

    @classmethod
    def from_model(cls, draft: SignupDraft) -> SignupDraftNode:
        return cls.from_row({k: getattr(draft, k) for k in DRAFT_COLUMNS})

    @strawberry.field
    def customer(self) -> SignupCustomer:
        return SignupCustomer(**(self.data.get("customer") or {}))

    @strawberry.field
    def subscription(self) -> SignupSubscription:
        data = self.data.get("subscription") or {}
        return SignupSubscription(plan=data.get("plan"), options=data.get("options", []),
                                  devices=[SignupDevice(**d) for d in data.get("devices", [])])

    @strawberry.field
    def numbers(self) -> list[SignupNumber]:
        return [SignupNumber(action=NumberAction(n["action"]), type=NumberType(n["type"]),
                             number=n["number"], area_code=n["area_code"], fax=n["fax"],
                             sms=n["sms"], e911=n["e911"])
                for n in self.data.get("numbers") or []]

    @strawberry.field
    def billing(self) -> SignupBilling:
        data = self.data.get("billing") or {}
        card = data.get("card") or {}
        method = data.get("payment_method")
        return SignupBilling(
            payment_method=PaymentMethod(method) if method else None,
            card_brand=card.get("brand"), card_last4=card.get("last4"),
            card_expiry=card.get("expiry"), card_holder_name=card.get("holder_name"),
            invoice_contact=data.get("invoice_contact"), invoice_email=data.get("invoice_email"),
        )

    @strawberry.field
    def administrator(self) -> SignupAdministrator:
        return SignupAdministrator(**(self.data.get("administrator") or {}))

    @strawberry.field
    def activation(self, info: strawberry.Info) -> SignupActivation:
        data = self.data.get("activation") or {}
        status = data.get("billing_status") or "FREE_TRIAL"
        days = data.get("trial_days")
        if days is None and status == "FREE_TRIAL":
            days = _config(info).trial_days_default
        return SignupActivation(billing_status=BillingStatus(status), trial_days=days)

    @strawberry.field(description="Each step, and what completing still needs from it.")
    def steps(self) -> list[SignupStepState]:
        return [SignupStepState(step=SignupStep(s.step), complete=s.complete, missing=s.missing)
                for s in signup.step_states(self.data, AccountKind(self.kind))]

    @strawberry.field(description="True when completeSignup has everything it needs.")
    def ready(self) -> bool:
        return all(s.complete for s in signup.step_states(self.data, AccountKind(self.kind)))

    @strawberry.field(description="The account created by completing (reseller staff only).")
    async def account(self, info: strawberry.Info) -> AccountNode | None:
        if self.account_id is None or info.context.principal is None:
            return None
        return await account_loader(info).load(self.account_id)


# --- Input --------------------------------------------------------------------------------

@strawberry.input
class SignupCustomerInput:
    name: str | None = None
    address: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str | None = strawberry.field(default=None, description="ISO code, e.g. CA.")
    email: str | None = None
    phone_number: str | None = strawberry.field(
        default=None, description="Any format; kept in E.164.")
    language: str | None = strawberry.field(default=None, description="fr or en; default: "
                                            "the reseller's default language.")
    voice_languages: list[str] | None = strawberry.field(
        default=None, description="fr/en, for the virtual receptionist (companies only).")
    time_zone: str | None = strawberry.field(default=None, description="IANA name, e.g. "
                                             "America/Toronto.")


@strawberry.input
class SignupDeviceInput:
    model: str
    quantity: int = 1


@strawberry.input
class SignupSubscriptionInput:
    plan: str | None = None
    options: list[str] | None = None
    devices: list[SignupDeviceInput] | None = None


@strawberry.input
class SignupNumberInput:
    action: NumberAction = NumberAction.ORDER
    type: NumberType = NumberType.LOCAL
    number: str | None = strawberry.field(default=None, description="Required to port.")
    area_code: str | None = None
    fax: bool = False
    sms: bool = False
    e911: bool = False


@strawberry.input(description="A card as the payment processor tokenized it: never its number.")
class SignupCardInput:
    token: str | None = None
    brand: str | None = None
    last4: str | None = None
    expiry: str | None = strawberry.field(default=None, description="MM/YYYY")
    holder_name: str | None = None


@strawberry.input
class SignupBillingInput:
    payment_method: PaymentMethod | None = None
    card: SignupCardInput | None = None
    invoice_contact: str | None = None
    invoice_email: str | None = None


@strawberry.input
class SignupAdministratorInput:
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = strawberry.field(default=None, description="The login id; default: "
                                         "the customer's email.")
    language: str | None = None


@strawberry.input
class SignupActivationInput:
    billing_status: BillingStatus = strawberry.field(
        default=BillingStatus.FREE_TRIAL,
        description="FREE_TRIAL, IN_PRODUCTION or BILLING_SUSPENDED.")
    trial_days: int | None = strawberry.field(default=None, description="15 to 90; default "
                                              "30 for a free trial.")


@strawberry.input(description="Save the steps given (each one whole); a new draft without id.")
class SaveSignupDraftInput:
    id: strawberry.ID | None = None
    kind: AccountKind | None = strawberry.field(
        default=None, description="Required for a new draft.")
    customer: SignupCustomerInput | None = None
    subscription: SignupSubscriptionInput | None = None
    numbers: list[SignupNumberInput] | None = None
    billing: SignupBillingInput | None = None
    administrator: SignupAdministratorInput | None = None
    activation: SignupActivationInput | None = None


@strawberry.input(description="The client saves steps through the link they received.")
class SaveSignupDraftAsClientInput:
    token: str
    customer: SignupCustomerInput | None = None
    subscription: SignupSubscriptionInput | None = None
    numbers: list[SignupNumberInput] | None = None
    billing: SignupBillingInput | None = None
    administrator: SignupAdministratorInput | None = None


@strawberry.input
class SendSignupToClientInput:
    id: strawberry.ID
    email: str | None = strawberry.field(default=None, description="Default: the customer's.")
    language: str | None = strawberry.field(default=None, description="fr or en.")


@strawberry.input
class CompleteSignupInput:
    id: strawberry.ID
    billing_status: BillingStatus | None = None
    trial_days: int | None = None


@strawberry.input
class CompleteSignupAsClientInput:
    token: str


@strawberry.type
class SignupDraftPayload:
    draft: SignupDraftNode | None
    errors: list[ClientsError] = strawberry.field(
        default_factory=list)


@strawberry.type
class CompleteSignupPayload:
    account: AccountNode | None
    draft: SignupDraftNode | None
    errors: list[ClientsError] = strawberry.field(
        default_factory=list)


@strawberry.type(description="The draft a client's sign-up link opens, or why it does not.")
class SignupInvitation:
    draft: SignupDraftNode | None
    errors: list[ClientsError] = strawberry.field(
        default_factory=list)


_STEP_FIELDS = ("customer", "subscription", "numbers", "billing", "administrator", "activation")


def _steps(input: Any) -> dict[str, Any]:
    return {step: as_data(getattr(input, step)) for step in _STEP_FIELDS
            if hasattr(input, step) and given(getattr(input, step))}


def _draft_id(raw: Any) -> int:
    return node_pk(raw, "SignupDraft", ["input", "id"], text=e.DRAFT_NOT_FOUND)


async def _account_node(account_id: int) -> AccountNode | None:
    rows = await Account.filter(id=account_id).values(*ACCOUNT_COLUMNS)
    return AccountNode.from_row(rows[0]) if rows else None


@strawberry.type
class SignupQuery:
    @field(*RESELLER_SIDE, description="Sign-ups of the caller's reseller, newest first.")
    async def signup_drafts(
        self, info: strawberry.Info, status: SignupStatus | None = None,
        first: int | None = None, after: str | None = None,
    ) -> Connection[SignupDraftNode]:
        offset, limit = page_window(first, after, info.context.settings.max_page_size)
        query = signup.drafts_visible(info.context.principal)
        if status is not None:
            query = query.filter(status=status)
        total = await query.count()
        rows = await query.order_by("-id").offset(offset).limit(limit + 1).values(*DRAFT_COLUMNS)
        return build_connection(rows, offset, limit, total, SignupDraftNode.from_row)

    @strawberry.field(extensions=[ProblemsToPayload(ClientsError), *allow(ANONYMOUS)],
                      description="The sign-up a client's emailed link opens (no account "
                      "needed: the signed token is the key).")
    async def signup_invitation(self, info: strawberry.Info, token: str) -> SignupInvitation:
        draft = await signup.draft_for_token(token, info.context.host, _config(info))
        return SignupInvitation(draft=SignupDraftNode.from_model(draft))


@strawberry.type
class SignupMutation:
    @mutation(*RESELLER_SIDE, errors=ClientsError,
              description="Save steps of the sign-up wizard (Suivant / Précédent); each step "
              "given is checked and kept whole.")
    async def save_signup_draft(self, info: strawberry.Info,
                                input: SaveSignupDraftInput) -> SignupDraftPayload:
        draft = await signup.save_draft(
            info.context.principal, None if input.id is None else _draft_id(input.id),
            input.kind, _steps(input), _config(info), info.context.host)
        return SignupDraftPayload(draft=SignupDraftNode.from_model(draft))

    @mutation(*RESELLER_SIDE, errors=ClientsError,
              description="Envoyer au client: email the client a link to read and finish this "
              "sign-up without an account.")
    async def send_signup_to_client(self, info: strawberry.Info,
                                    input: SendSignupToClientInput) -> SignupDraftPayload:
        draft = await signup.draft_for(info.context.principal, _draft_id(input.id))
        draft = await signup.send_to_client(draft, email=input.email, language=input.language,
                                            host=info.context.host, config=_config(info),
                                            principal=info.context.principal)
        return SignupDraftPayload(draft=SignupDraftNode.from_model(draft))

    @mutation(*RESELLER_SIDE, errors=ClientsError,
              description="Create the account from a complete sign-up; its first user gets "
              "their login id and a link to set a password.")
    async def complete_signup(self, info: strawberry.Info,
                              input: CompleteSignupInput) -> CompleteSignupPayload:
        principal = info.context.principal
        draft = await signup.draft_for(principal, _draft_id(input.id))
        account = await signup.complete(
            draft, host=info.context.host, config=_config(info),
            billing_status=input.billing_status, trial_days=input.trial_days,
            actor_user_id=principal.user_id if not principal.direct_access else None,
        )
        await draft.refresh_from_db()
        return CompleteSignupPayload(account=await _account_node(account.id),
                                     draft=SignupDraftNode.from_model(draft))

    @mutation(ANONYMOUS, errors=ClientsError,
              description="The client saves steps of the sign-up they were sent.")
    async def save_signup_draft_as_client(
        self, info: strawberry.Info, input: SaveSignupDraftAsClientInput
    ) -> SignupDraftPayload:
        draft = await signup.draft_for_token(input.token, info.context.host, _config(info))
        draft = await signup.save_steps(draft, _steps(input), _config(info), info.context.host)
        return SignupDraftPayload(draft=SignupDraftNode.from_model(draft))

    @mutation(ANONYMOUS, errors=ClientsError,
              description="The client finishes the sign-up they were sent; the billing status "
              "is the one the reseller chose.")
    async def complete_signup_as_client(
        self, info: strawberry.Info, input: CompleteSignupAsClientInput
    ) -> CompleteSignupPayload:
        draft = await signup.draft_for_token(input.token, info.context.host, _config(info))
        account = await signup.complete(draft, host=info.context.host, config=_config(info))
        await draft.refresh_from_db()
        return CompleteSignupPayload(account=await _account_node(account.id),
                                     draft=SignupDraftNode.from_model(draft))
