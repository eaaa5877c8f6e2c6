"""GraphQL of the sign-up wizard: drafts saved step by step, the client's link, completion."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

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
    describe_enum_values,
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


describe_enum_values(ClientsErrorCode, {
    "INVALID": "A value has the wrong shape or is not accepted (email, phone number, language, "
    "country, time zone, card details, a checked account of the other kind...).",
    "REQUIRED": "A required value is missing; completing a sign-up names each missing field "
    "of each step.",
    "OUT_OF_RANGE": "A number is outside its bounds: free-trial days 15 to 90, device "
    "quantity 1 to 999.",
    "NOT_FOUND": "No such account or sign-up among those the caller may see (another "
    "reseller's id is not found either).",
    "TOO_MANY": "Too many items at once: accounts selected, email copies, numbers, options or "
    "devices (the message says the limit).",
    "LOGIN_TAKEN": "The first user's email address is already somebody's login id.",
    "DRAFT_COMPLETED": "The sign-up is already complete: its account exists.",
    "INCOMPLETE": "A sign-up step lacks what completing needs (completing currently reports "
    "each missing field as REQUIRED).",
    "LINK_INVALID": "The client's sign-up link is forged, replaced by a newer one, or already "
    "used.",
    "LINK_EXPIRED": "The client's sign-up link is past its lifetime (14 days by default): the "
    "reseller sends a new one.",
    "CARD_NUMBER_REFUSED": "A card number was sent: the gateway keeps only the payment "
    "processor's token and the last 4 digits.",
    "NO_NUMBER_AVAILABLE": "The reseller's pool of numbers cannot serve an ordered number of "
    "this type and area code (now, or any more at completion): ask for fewer or another area "
    "code.",
    "TRANSITION_NOT_ALLOWED": "The billing status cannot go from the current one to the one "
    "asked for (only the changes of the seed's Gérer le statut d'un compte are allowed).",
    "STATUS_UNCHANGED": "The account already has this billing status.",
    "INVOICE_PREVIEW_REQUIRED": "Leaving a free trial needs a token from invoicePreview: "
    "missing, over 1 hour old, or out of date.",
    "TERMS_NOT_ACCEPTED": "Leaving a free trial needs the terms accepted (J'accepte les "
    "modalités et conditions).",
    "PAYMENT_METHOD_REQUIRED": "Going to production needs a payment method, given with the "
    "change or already on file.",
    "FREE_TRIAL_RESTRICTION": "Phone numbers and options cannot be added during a free trial "
    "(Essai gratuit): move the account to production first.",
    "ACCOUNT_UNSUBSCRIBED": "The account is unsubscribed (Désabonné): only a system admin's "
    "reactivation brings it back.",
    "NOT_UNSUBSCRIBED": "Only an unsubscribed account can be reactivated, and not to the "
    "UNSUBSCRIBED status.",
    "SENDER_NOT_ADMIN": "The sender (fromId) is not an active administrator or delegate of the "
    "accounts' reseller.",
    "RECIPIENT_NOT_ALLOWED": "A typed email address is refused by the gateway's recipient "
    "check (e.g. given with a display name).",
    "RATE_LIMITED": "Too many emails to typed addresses this hour, per user or per reseller: "
    "try again in the minutes the message says.",
    "NO_ADDRESS": "The account has no email address to send to.",
    "TOO_MANY_ROWS": "A PDF export would hold more accounts than allowed (100,000 by default): "
    "narrow the filter or export CSV.",
})

strawberry.enum(SignupStatus, name="SignupStatus",
                description="OPEN, SENT to the client, or COMPLETED.")
describe_enum_values(SignupStatus, {
    "OPEN": "Being filled in by the reseller; no link was sent to the client yet.",
    "SENT": "A link went to the client, who may read, change and finish it (the reseller "
    "still can).",
    "COMPLETED": "Completed: the account exists and the draft can no longer change.",
})
strawberry.enum(PaymentMethod, name="PaymentMethodKind",
                description="Credit card (processor token) or monthly invoice.")
describe_enum_values(PaymentMethod, {
    "CREDIT_CARD": "Payer par carte de crédit: a card, kept as the payment processor's token.",
    "MONTHLY_INVOICE": "Paiement par factures: a monthly invoice emailed to the client, paid "
    "by cheque or card.",
})


def _config(info: strawberry.Info) -> ClientsConfig:
    return info.context.host.config_for(PLUGIN_NAME, ClientsConfig)


@strawberry.enum(description="Port (transfer) an existing number, or order a new one.")
class NumberAction(Enum):
    PORT = "PORT"
    ORDER = "ORDER"


describe_enum_values(NumberAction, {
    "PORT": "Transfer (port) a number the client already has from another carrier.",
    "ORDER": "Order a new number from the reseller's pool: checked at each save, taken and "
    "assigned to the account at completion.",
})


@strawberry.enum(description="Toll-free, local or international number.")
class NumberType(Enum):
    LOCAL = "LOCAL"
    TOLL_FREE = "TOLL_FREE"
    INTERNATIONAL = "INTERNATIONAL"


describe_enum_values(NumberType, {
    "LOCAL": "A local number (numéro local).",
    "TOLL_FREE": "A toll-free number (numéro sans frais).",
    "INTERNATIONAL": "A number in another country (numéro international).",
})


@strawberry.enum(description="The steps of the sign-up wizard.")
class SignupStep(Enum):
    CUSTOMER = "customer"
    SUBSCRIPTION = "subscription"
    NUMBERS = "numbers"
    BILLING = "billing"
    ADMINISTRATOR = "administrator"
    ACTIVATION = "activation"


describe_enum_values(SignupStep, {
    "CUSTOMER": "The client: name, address, email, phone, languages and time zone.",
    "SUBSCRIPTION": "The plan, its options and the phone devices (Abonnement).",
    "NUMBERS": "The numbers to port or to order, with their options.",
    "BILLING": "How the client pays: credit card or monthly invoice.",
    "ADMINISTRATOR": "The first user, who gets the login id and a link to set a password.",
    "ACTIVATION": "The billing status the account starts with; only the reseller sets it.",
})


# --- Output -------------------------------------------------------------------------------

@strawberry.type(description="Client name, address, email, phone, languages and time zone "
                 "(the customer step); a field is null until given.")
class SignupCustomer:
    name: str | None = strawberry.field(
        default=None, description="Company name, or the professional's own name.")
    address: str | None = strawberry.field(default=None, description="The client's street "
                                           "address.")
    city: str | None = strawberry.field(default=None, description="City of the address.")
    state: str | None = strawberry.field(default=None, description="Province or state.")
    postal_code: str | None = strawberry.field(default=None,
                                               description="Postal or ZIP code.")
    country: str | None = strawberry.field(
        default=None, description="ISO 3166-1 alpha-2 country code, e.g. CA.")
    email: str | None = strawberry.field(
        default=None, description="The client's email address; also the first user's login "
        "id unless the administrator step gives another.")
    phone_number: str | None = strawberry.field(
        default=None, description="The client's phone number in E.164, e.g. +15145551212.")
    language: str | None = strawberry.field(default=None,
                                            description="The client's language: fr or en.")
    voice_languages: list[str] = strawberry.field(
        default_factory=list, description="Languages of the virtual receptionist (companies).")
    time_zone: str | None = strawberry.field(
        default=None, description="IANA time zone name where the client is, e.g. "
        "America/Toronto.")


@strawberry.type(description="A phone device model asked for, and how many (appareils).")
class SignupDevice:
    model: str = strawberry.field(description="The device model, as the reseller's offer "
                                  "names it.")
    quantity: int = strawberry.field(description="How many devices of this model, 1 to 999.")


@strawberry.type(description="The plan, options and phone devices asked for.")
class SignupSubscription:
    plan: str | None = strawberry.field(default=None, description="The plan's name (forfait); "
                                        "null until chosen.")
    options: list[str] = strawberry.field(default_factory=list,
                                          description="Names of the options added to the plan.")
    devices: list[SignupDevice] = strawberry.field(default_factory=list,
                                                   description="The phone devices asked for.")


@strawberry.type(description="A number to port or to order, with its options.")
class SignupNumber:
    action: NumberAction = strawberry.field(description="Port this number, or order a new one.")
    type: NumberType = strawberry.field(description="Local, toll-free or international.")
    number: str | None = strawberry.field(
        description="The number in E.164: the one to port (a request staff carry out); for an "
        "ordered one, the number the reseller's pool gave at completion (null before).")
    area_code: str | None = strawberry.field(
        description="The area code wanted for a new number (indicatif régional); null: any.")
    fax: bool = strawberry.field(description="Receive faxes on this number (télécopies).")
    sms: bool = strawberry.field(description="Send and receive SMS on this number.")
    e911: bool = strawberry.field(description="Register this number for 911 emergency calls.")


@strawberry.type(description="How the client pays; a card shows only its brand and last 4 "
                 "digits.")
class SignupBilling:
    payment_method: PaymentMethod | None = strawberry.field(
        default=None, description="Credit card or monthly invoice; null until chosen.")
    card_brand: str | None = strawberry.field(
        default=None, description="The card's brand as the payment processor gave it, e.g. "
        "VISA.")
    card_last4: str | None = strawberry.field(default=None,
                                              description="The card's last 4 digits.")
    card_expiry: str | None = strawberry.field(default=None,
                                               description="The card's expiry, MM/YYYY.")
    card_holder_name: str | None = strawberry.field(default=None,
                                                    description="The name on the card.")
    invoice_contact: str | None = strawberry.field(
        default=None, description="The person the monthly invoices are for.")
    invoice_email: str | None = strawberry.field(
        default=None, description="Where the monthly invoice is emailed.")


@strawberry.type(description="The first user: the company admin, or the professional.")
class SignupAdministrator:
    first_name: str | None = strawberry.field(default=None,
                                              description="The first user's first name.")
    last_name: str | None = strawberry.field(default=None,
                                             description="The first user's last name.")
    email: str | None = strawberry.field(default=None, description="Becomes the login id.")
    language: str | None = strawberry.field(
        default=None, description="The first user's language, fr or en; null: the customer's.")


@strawberry.type(description="The billing status the account starts with (reseller's choice).")
class SignupActivation:
    billing_status: BillingStatus = strawberry.field(
        description="FREE_TRIAL (default), IN_PRODUCTION or BILLING_SUSPENDED.")
    trial_days: int | None = strawberry.field(
        description="Days of free trial before billing starts, 15 to 90 (30 by default for a "
        "free trial); null: none.")


@strawberry.type(description="Whether a step has what completing needs.")
class SignupStepState:
    step: SignupStep = strawberry.field(description="The wizard step.")
    complete: bool = strawberry.field(description="True when the step has everything "
                                      "completing needs.")
    missing: list[str] = strawberry.field(description="GraphQL names of the missing fields.")


DRAFT_COLUMNS = ("id", "reseller_id", "kind", "status", "data", "sent_to", "sent_at",
                 "account_id", "completed_at", "created_at", "updated_at")


@strawberry.type(name="SignupDraft", description="A sign-up in progress (the wizard's draft).")
class SignupDraftNode(RowNode):
    id: relay.NodeID[int]
    kind: AccountKind = strawberry.field(description="The account it creates: a company or a "
                                         "professional.")
    status: SignupStatus = strawberry.field(description="OPEN, SENT to the client, or "
                                            "COMPLETED.")
    sent_to: str | None = strawberry.field(description="Where the client's link was sent.")
    sent_at: DateTime | None = strawberry.field(
        description="When the client's link was last sent; null: never sent.")
    completed_at: DateTime | None = strawberry.field(
        description="When completing created the account; null until then.")
    created_at: DateTime = strawberry.field(description="When the sign-up was started.")
    updated_at: DateTime = strawberry.field(description="When a step was last saved.")
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

    @strawberry.field(description="The customer step as last saved.")
    def customer(self) -> SignupCustomer:
        return SignupCustomer(**(self.data.get("customer") or {}))

    @strawberry.field(description="The subscription step (plan, options, devices) as last "
                      "saved.")
    def subscription(self) -> SignupSubscription:
        data = self.data.get("subscription") or {}
        return SignupSubscription(plan=data.get("plan"), options=data.get("options", []),
                                  devices=[SignupDevice(**d) for d in data.get("devices", [])])

    @strawberry.field(description="The numbers to port or to order, as last saved.")
    def numbers(self) -> list[SignupNumber]:
        return [SignupNumber(action=NumberAction(n["action"]), type=NumberType(n["type"]),
                             number=n["number"], area_code=n["area_code"], fax=n["fax"],
                             sms=n["sms"], e911=n["e911"])
                for n in self.data.get("numbers") or []]

    @strawberry.field(description="The billing step as last saved (never a card number or "
                      "token).")
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

    @strawberry.field(description="The administrator step (the first user) as last saved.")
    def administrator(self) -> SignupAdministrator:
        return SignupAdministrator(**(self.data.get("administrator") or {}))

    @strawberry.field(description="The billing status the account will start with; a free "
                      "trial of the default length until the reseller chooses.")
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

LINK_TOKEN = "The signed token of the client's sign-up link (its token parameter)."
STEP_CUSTOMER = "The customer step, replaced whole; null or left out: unchanged."
STEP_SUBSCRIPTION = "The subscription step, replaced whole; null or left out: unchanged."
STEP_NUMBERS = "Every number of the sign-up, replacing the list; null or left out: unchanged."
STEP_BILLING = "The billing step, replaced whole; null or left out: unchanged."
STEP_ADMINISTRATOR = "The administrator step, replaced whole; null or left out: unchanged."

@strawberry.input(description="The customer step; completing needs a name, an email and a "
                  "time zone.")
class SignupCustomerInput:
    name: str | None = strawberry.field(
        default=None, description="Company name, or the professional's own name (at most 200 "
        "characters).")
    address: str | None = strawberry.field(default=None, description="Street address (at most "
                                           "200 characters).")
    city: str | None = strawberry.field(default=None, description="City (at most 100 "
                                        "characters).")
    state: str | None = strawberry.field(default=None, description="Province or state (at most "
                                         "100 characters).")
    postal_code: str | None = strawberry.field(default=None, description="Postal or ZIP code "
                                               "(at most 20 characters).")
    country: str | None = strawberry.field(default=None, description="ISO code, e.g. CA.")
    email: str | None = strawberry.field(
        default=None, description="The client's email address; also the first user's login "
        "id unless the administrator step gives another.")
    phone_number: str | None = strawberry.field(
        default=None, description="Any format; kept in E.164.")
    language: str | None = strawberry.field(default=None, description="fr or en; default: "
                                            "the reseller's default language.")
    voice_languages: list[str] | None = strawberry.field(
        default=None, description="fr/en, for the virtual receptionist (companies only).")
    time_zone: str | None = strawberry.field(default=None, description="IANA name, e.g. "
                                             "America/Toronto.")


@strawberry.input(description="A phone device to order, and how many.")
class SignupDeviceInput:
    model: str = strawberry.field(description="The device model (at most 100 characters).")
    quantity: int = strawberry.field(default=1, description="How many, 1 to 999.")


@strawberry.input(description="The subscription step (Abonnement); with a billing plugin, the "
                  "plan, options and devices must be in the reseller's offer.")
class SignupSubscriptionInput:
    plan: str | None = strawberry.field(default=None, description="The plan's name (at most "
                                        "100 characters).")
    options: list[str] | None = strawberry.field(default=None, description="Names of the "
                                                 "options (at most 50).")
    devices: list[SignupDeviceInput] | None = strawberry.field(
        default=None, description="The phone devices (at most 50 models).")


@strawberry.input(description="A number to port or to order (at most 50 in a sign-up).")
class SignupNumberInput:
    action: NumberAction = strawberry.field(default=NumberAction.ORDER,
                                            description="Port it, or order a new one.")
    type: NumberType = strawberry.field(default=NumberType.LOCAL,
                                        description="Local, toll-free or international.")
    number: str | None = strawberry.field(
        default=None, description="The number, any format (kept in E.164); required to port.")
    area_code: str | None = strawberry.field(
        default=None, description="The area code wanted for a new number (at most 10 "
        "characters).")
    fax: bool = strawberry.field(default=False, description="Receive faxes on this number.")
    sms: bool = strawberry.field(default=False, description="Send and receive SMS on this "
                                 "number.")
    e911: bool = strawberry.field(default=False, description="Register this number for 911 "
                                  "emergency calls.")


@strawberry.input(description="A card as the payment processor tokenized it: never its number.")
class SignupCardInput:
    token: str | None = strawberry.field(
        default=None, description="The payment processor's token for the card; required with "
        "the last 4 digits.")
    brand: str | None = strawberry.field(default=None, description="The card's brand, e.g. "
                                         "VISA.")
    last4: str | None = strawberry.field(default=None, description="Exactly the card's last 4 "
                                         "digits.")
    expiry: str | None = strawberry.field(default=None, description="MM/YYYY, not in the "
                                          "past.")
    holder_name: str | None = strawberry.field(default=None, description="The name on the "
                                               "card.")


@strawberry.input(description="How the client pays: a card needs its token and last 4 digits, "
                  "a monthly invoice an invoice email.")
class SignupBillingInput:
    payment_method: PaymentMethod | None = strawberry.field(
        default=None, description="Credit card or monthly invoice.")
    card: SignupCardInput | None = strawberry.field(default=None, description="The card, for "
                                                    "CREDIT_CARD.")
    invoice_contact: str | None = strawberry.field(
        default=None, description="The person the invoices are for (at most 200 characters).")
    invoice_email: str | None = strawberry.field(
        default=None, description="Where the monthly invoice is emailed; required for "
        "MONTHLY_INVOICE.")


@strawberry.input(description="The administrator step: the first user (company admin or the "
                  "professional); completing needs a first and a last name.")
class SignupAdministratorInput:
    first_name: str | None = strawberry.field(default=None, description="First name (at most "
                                              "100 characters).")
    last_name: str | None = strawberry.field(default=None, description="Last name (at most 100 "
                                             "characters).")
    email: str | None = strawberry.field(default=None, description="The login id; default: "
                                         "the customer's email.")
    language: str | None = strawberry.field(default=None, description="fr or en; default: "
                                            "the customer's language.")


@strawberry.input(description="The activation step: the billing status the account starts "
                  "with (reseller only).")
class SignupActivationInput:
    billing_status: BillingStatus = strawberry.field(
        default=BillingStatus.FREE_TRIAL,
        description="FREE_TRIAL, IN_PRODUCTION or BILLING_SUSPENDED.")
    trial_days: int | None = strawberry.field(default=None, description="15 to 90; default "
                                              "30 for a free trial.")


@strawberry.input(description="Save the steps given (each one whole); a new draft without id.")
class SaveSignupDraftInput:
    id: strawberry.ID | None = strawberry.field(
        default=None, description="The draft (a SignupDraft id); null to start a new one.")
    kind: AccountKind | None = strawberry.field(
        default=None, description="Required for a new draft.")
    customer: SignupCustomerInput | None = strawberry.field(default=None,
                                                            description=STEP_CUSTOMER)
    subscription: SignupSubscriptionInput | None = strawberry.field(
        default=None, description=STEP_SUBSCRIPTION)
    numbers: list[SignupNumberInput] | None = strawberry.field(default=None,
                                                               description=STEP_NUMBERS)
    billing: SignupBillingInput | None = strawberry.field(default=None,
                                                          description=STEP_BILLING)
    administrator: SignupAdministratorInput | None = strawberry.field(
        default=None, description=STEP_ADMINISTRATOR)
    activation: SignupActivationInput | None = strawberry.field(
        default=None, description="The activation step, replaced whole; null or left out: "
        "unchanged.")


@strawberry.input(description="The client saves steps through the link they received.")
class SaveSignupDraftAsClientInput:
    token: str = strawberry.field(description=LINK_TOKEN)
    customer: SignupCustomerInput | None = strawberry.field(default=None,
                                                            description=STEP_CUSTOMER)
    subscription: SignupSubscriptionInput | None = strawberry.field(
        default=None, description=STEP_SUBSCRIPTION)
    numbers: list[SignupNumberInput] | None = strawberry.field(default=None,
                                                               description=STEP_NUMBERS)
    billing: SignupBillingInput | None = strawberry.field(default=None,
                                                          description=STEP_BILLING)
    administrator: SignupAdministratorInput | None = strawberry.field(
        default=None, description=STEP_ADMINISTRATOR)


@strawberry.input(description="Which sign-up to send to the client, and where.")
class SendSignupToClientInput:
    id: strawberry.ID = strawberry.field(description="The sign-up (a SignupDraft id).")
    email: str | None = strawberry.field(default=None, description="Default: the customer's.")
    language: str | None = strawberry.field(
        default=None, description="Language of the email, fr or en; default: the customer's, "
        "else the reseller's default language.")


@strawberry.input(description="The sign-up to complete, with the reseller's last-minute "
                  "choice of billing status.")
class CompleteSignupInput:
    id: strawberry.ID = strawberry.field(description="The sign-up (a SignupDraft id).")
    billing_status: BillingStatus | None = strawberry.field(
        default=None, description="Replaces the activation step's status (and drops its trial "
        "length); null: as saved.")
    trial_days: int | None = strawberry.field(
        default=None, description="Days of free trial, 15 to 90; null: as saved (30 by "
        "default for a free trial).")


@strawberry.input(description="The client's link, to finish the sign-up it opens.")
class CompleteSignupAsClientInput:
    token: str = strawberry.field(description=LINK_TOKEN)


@strawberry.type(description="The sign-up as saved, or why it was not.")
class SignupDraftPayload:
    draft: SignupDraftNode | None = strawberry.field(description="The draft as now saved; null "
                                                     "when refused.")
    errors: list[ClientsError] = strawberry.field(
        default_factory=list)


@strawberry.type(description="The account a completed sign-up created, or why it was not "
                 "created.")
class CompleteSignupPayload:
    account: AccountNode | None = strawberry.field(description="The new account; null when "
                                                   "refused.")
    draft: SignupDraftNode | None = strawberry.field(description="The sign-up, now COMPLETED; "
                                                     "null when refused.")
    errors: list[ClientsError] = strawberry.field(
        default_factory=list)


@strawberry.type(description="The draft a client's sign-up link opens, or why it does not.")
class SignupInvitation:
    draft: SignupDraftNode | None = strawberry.field(description="The sign-up the link opens; "
                                                     "null when it does not.")
    errors: list[ClientsError] = strawberry.field(
        default_factory=list, description="LINK_INVALID or LINK_EXPIRED when the link does not "
        "open; empty otherwise.")


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
        self, info: strawberry.Info,
        status: Annotated[SignupStatus | None, strawberry.argument(
            description="Only the sign-ups with this status; null: all.")] = None,
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
    async def signup_invitation(
        self, info: strawberry.Info,
        token: Annotated[str, strawberry.argument(description=LINK_TOKEN)],
    ) -> SignupInvitation:
        draft = await signup.draft_for_token(token, info.context.host, _config(info))
        return SignupInvitation(draft=SignupDraftNode.from_model(draft))


@strawberry.type
class SignupMutation:
    @mutation(*RESELLER_SIDE, errors=ClientsError,
              description="Save steps of the sign-up wizard (Suivant / Précédent); each step "
              "given is checked and kept whole.")
    async def save_signup_draft(
        self, info: strawberry.Info,
        input: Annotated[SaveSignupDraftInput, strawberry.argument(
            description="The draft (none: a new one) and the steps to save.")],
    ) -> SignupDraftPayload:
        draft = await signup.save_draft(
            info.context.principal, None if input.id is None else _draft_id(input.id),
            input.kind, _steps(input), _config(info), info.context.host)
        return SignupDraftPayload(draft=SignupDraftNode.from_model(draft))

    @mutation(*RESELLER_SIDE, errors=ClientsError,
              description="Envoyer au client: email the client a link to read and finish this "
              "sign-up without an account.")
    async def send_signup_to_client(
        self, info: strawberry.Info,
        input: Annotated[SendSignupToClientInput, strawberry.argument(
            description="The sign-up, and the address and language of the email.")],
    ) -> SignupDraftPayload:
        draft = await signup.draft_for(info.context.principal, _draft_id(input.id))
        draft = await signup.send_to_client(draft, email=input.email, language=input.language,
                                            host=info.context.host, config=_config(info),
                                            principal=info.context.principal)
        return SignupDraftPayload(draft=SignupDraftNode.from_model(draft))

    @mutation(*RESELLER_SIDE, errors=ClientsError,
              description="Create the account from a complete sign-up; its first user gets "
              "their login id and a link to set a password.")
    async def complete_signup(
        self, info: strawberry.Info,
        input: Annotated[CompleteSignupInput, strawberry.argument(
            description="The sign-up, and the billing status if it changes at the last step.")],
    ) -> CompleteSignupPayload:
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
        self, info: strawberry.Info,
        input: Annotated[SaveSignupDraftAsClientInput, strawberry.argument(
            description="The link's token and the steps the client saves.")],
    ) -> SignupDraftPayload:
        draft = await signup.draft_for_token(input.token, info.context.host, _config(info))
        draft = await signup.save_steps(draft, _steps(input), _config(info), info.context.host)
        return SignupDraftPayload(draft=SignupDraftNode.from_model(draft))

    @mutation(ANONYMOUS, errors=ClientsError,
              description="The client finishes the sign-up they were sent; the billing status "
              "is the one the reseller chose.")
    async def complete_signup_as_client(
        self, info: strawberry.Info,
        input: Annotated[CompleteSignupAsClientInput, strawberry.argument(
            description="The token of the link the client received.")],
    ) -> CompleteSignupPayload:
        draft = await signup.draft_for_token(input.token, info.context.host, _config(info))
        account = await signup.complete(draft, host=info.context.host, config=_config(info))
        await draft.refresh_from_db()
        return CompleteSignupPayload(account=await _account_node(account.id),
                                     draft=SignupDraftNode.from_model(draft))
