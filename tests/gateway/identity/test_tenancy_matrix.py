"""Every root Query and Mutation field, called as every kind of caller of reseller Alpha with
the objects of reseller Beta: no answer ever shows a Beta object, a field given a Beta id
answers not found (null, an empty list, a payload error), and nothing fails with a 500.

Arguments are built from the schema itself: each top-level argument type needs an entry in
ARGUMENTS (a new mutation's input type fails the test until it is added here); the leaves
inside inputs are filled from LEAVES, and every ID leaf gets Beta's ids in turn.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLUnionType,
    Undefined,
)
from strawberry.relay import to_base64

from gateway.api import Principal, Role
from gateway.identity.models import ApiToken, AuditEntry, ResellerDelegate, User, UserRole
from gateway.identity.secrets import API_TOKEN_PREFIX, new_token, token_digest
from gateway.identity.sessions import open_session
from gateway.settings import Settings
from plugins.account_settings.models import MailboxKind, MailboxMessage
from plugins.billing import catalogue, offer, promotions, subscriptions
from plugins.billing.catalogue import PriceInput
from plugins.billing.ledger_models import EntryKind, LedgerEntry, PaymentMethod, Statement
from plugins.billing.models import ItemKind, Recurrence
from plugins.billing.models import PromotionKind as BillingPromotionKind
from plugins.chat.conversation_models import Conversation
from plugins.chat.models import ChatSettings, ScheduleKind, SpecialEvent, WeeklySchedule
from plugins.subscription_portal import links as portal_links
from plugins.transcription.models import TranscriptStatus, VoicemailTranscript
from plugins.twilio_voip import access as voip_access
from plugins.twilio_voip.models import (
    CallNote,
    CallStatus,
    ContactPhone,
    Direction,
    NumberOperator,
    TwilioAccount,
    VoipCall,
    VoipContact,
    VoipNumber,
)
from plugins.twilio_voip.twilio_api import GatewayHttpClient, TwilioUnavailable
from tests.conftest import Gateway, make_settings
from tests.support.identity_factory import (
    Tenant,
    make_account,
    make_tenant,
    make_user,
)

WRONG_PASSWORD = "Wrong-pass-1"
DEPTH = 3  # object levels selected under a root field


@dataclass
class World:
    alpha: Tenant
    beta: Tenant
    alpha_delegate: User
    alpha_token: str
    foreign: dict[str, list[str]] = field(default_factory=dict)  # kind -> Beta global ids
    exact: set[str] = field(default_factory=set)  # values no answer may contain
    texts: list[str] = field(default_factory=list)  # nor any text contain
    numbers: set[int] = field(default_factory=set)  # Beta's account numbers (accountNumber)
    # Global ids of objects that are not Beta's but make an input valid (Alpha's own, or the
    # platform's catalogue and promotions, which belong to no tenant).
    valid: dict[str, str] = field(default_factory=dict)


class Variants(tuple[dict[str, Any], ...]):
    """Several overrides of one input: the field is called with each in turn (an input whose
    ids may not all be given at once, e.g. one call target of three)."""


# Top-level argument types (or "name:Type"): the values' overrides; the rest of a required
# input is filled from LEAVES. A field whose argument type is missing here fails the test.
ARGUMENTS: dict[str, Callable[[World], Any]] = {
    "ID": lambda w: None,  # an id: Beta's, in turn
    "token:String": lambda w: "gwl_not-a-link",
    "AccountKind": lambda w: "COMPANY",
    "AuditLogFilter": lambda w: {},
    "AccountFilter": lambda w: {"search": w.beta.company.name},
    "RerunJobInput": lambda w: {},
    "LoginInput": lambda w: {"login": w.beta.admin.login, "password": WRONG_PASSWORD},
    "ChangePasswordInput": lambda w: {"currentPassword": WRONG_PASSWORD,
                                      "newPassword": "Matrix-new-9"},
    "RequestPasswordResetInput": lambda w: {"login": w.beta.admin.login},
    "ResetPasswordInput": lambda w: {"token": "gwl_not-a-link", "newPassword": "Matrix-new-9"},
    "CreateApiTokenInput": lambda w: {"name": "matrix"},
    "RevokeApiTokenInput": lambda w: {},
    "CreateResellerInput": lambda w: {"name": "Matrix", "primaryAdmin": {
        "email": "matrix@matrix.example", "firstName": "M", "lastName": "X"}},
    "SetResellerPhoneSystemInput": lambda w: {"phoneSystem": "PBX", "defaultProvider": "P"},
    "UpdateResellerGeneralInfoInput": lambda w: {"city": "Matrix"},
    "UpdateAccountAdministratorInput": lambda w: {"email": w.beta.admin.email},
    "UpdateResellerBrandingInput": lambda w: {"supportEmail": "help@matrix.example"},
    "ResellerDelegateInput": lambda w: {},
    "StartDirectAccessInput": lambda w: {},
    "ChangeBillingStatusInput": lambda w: {"billingStatus": "IN_PRODUCTION"},
    "DeleteAccountInput": lambda w: {},
    "ReactivateAccountInput": lambda w: {},
    "SendAccountMessageInput": lambda w: {"kind": "CUSTOM", "subject": "S", "body": "B"},
    "ExportAccountsInput": lambda w: {"kind": "COMPANY", "format": "CSV"},
    "SaveSignupDraftInput": lambda w: {"kind": "COMPANY"},
    "SendSignupToClientInput": lambda w: {},
    "CompleteSignupInput": lambda w: {},
    "SaveSignupDraftAsClientInput": lambda w: {},
    "CompleteSignupAsClientInput": lambda w: {},
    # callcenter: Beta's CAN or account number is "not found" (an error, or a payload error).
    "CallStatisticsFilter": lambda w: {"billingNumber": w.beta.company.can},
    "StatisticsInterval": lambda w: "DAY",
    "CallRecorderFilter": lambda w: {"billingNumber": w.beta.company.can},
    "TakenMessageFilter": lambda w: {"billingNumber": w.beta.company.can},
    "BillableCallFilter": lambda w: {"billingNumber": w.beta.company.can},
    "CallCenterReport": lambda w: "RECORDER",
    "ReportFileFormat": lambda w: "CSV",
    "accountNumber:Int": lambda w: w.beta.company.id,
    "EmailCallCenterReportInput": lambda w: {
        "report": "RECORDER", "to": ["matrix@matrix.example"],
        "recorder": {"billingNumber": w.beta.company.can}},
    "SaveAccountInformationPageInput": lambda w: {"accountNumber": w.beta.company.id,
                                                  "title": "Matrix"},
    "RequestAccountInformationChangeInput": lambda w: {"accountNumber": w.beta.company.id,
                                                       "message": "matrix"},
    # Call restrictions: a valid number, so that only Beta's account id is what refuses.
    "CallRestrictionScope": lambda w: "ACCOUNT",
    "number:String": lambda w: "+15145550100",
    "CreateCallRestrictionInput": lambda w: Variants((
        {"scope": "ACCOUNT", "action": "DENY", "prefix": "33"},
        {"scope": "SUBSCRIBER", "action": "DENY", "prefix": "33"})),
    "UpdateCallRestrictionInput": lambda w: {"action": "ALLOW"},
    "DeleteCallRestrictionInput": lambda w: {},
    "CreateCallRestrictionExceptionInput": lambda w: {},
    "DeleteCallRestrictionExceptionInput": lambda w: {},
    # account_settings: only Beta's ids (account, reseller, user, number, device, contact) refuse.
    "ExtensionKind": lambda w: "USER",
    "MailboxKind": lambda w: "VOICEMAIL",
    "UpdateAccountOptionsInput": lambda w: {"sharedContactsLimit": 10},
    "AddPhoneNumberInput": lambda w: {"number": "+15145550100"},
    "ImportPhoneNumbersInput": lambda w: {"content": "+15145550100"},
    "AssignPhoneNumberInput": lambda w: {},
    "PhoneNumberOptionsInput": lambda w: {"sms": True},
    "ReleasePhoneNumberInput": lambda w: {},
    "RemovePoolPhoneNumberInput": lambda w: {},
    "AssignUserExtensionInput": lambda w: {},
    "ReserveExtensionInput": lambda w: {"kind": "GROUP"},
    "ReleaseExtensionInput": lambda w: {"extension": "500"},
    "AddDeviceInput": lambda w: {"name": "Matrix", "macAddress": "00:04:F2:00:00:01"},
    "RemoveDeviceInput": lambda w: {},
    "AddContactInput": lambda w: {"name": "Matrix", "phoneNumber": "+15145550100"},
    "UpdateContactInput": lambda w: {"name": "Matrix", "phoneNumber": "+15145550100"},
    "RemoveContactInput": lambda w: {},
    # affiliation: Beta's account (as the account and as the organisation) is not found.
    "AffiliateAccountInput": lambda w: {"notify": False},
    "UnaffiliateAccountInput": lambda w: {"notify": False},
    # chat (live conversations): only Beta's ids (conversation, message, user) refuse.
    "OpenChatConversationInput": lambda w: {"text": "matrix"},
    "SendChatMessageInput": lambda w: {"text": "matrix"},
    "ChatConversationInput": lambda w: {},
    "MarkChatReadInput": lambda w: {},
    "SetChatOnDutyInput": lambda w: {"onDuty": True},
    "TransferChatConversationInput": lambda w: {},
    # transcription: Beta's voicemail is not found, whatever the provider; Beta's caller's
    # name searched from Alpha finds nothing.
    "search:String": lambda w: "Beta Zulu caller",
    "TranscribeVoicemailInput": lambda w: {"provider": "Mutare"},
    "ApproveTranscriptionProvidersInput": lambda w: {"names": []},
    # billing: the catalogue and the promotions are the platform's (the system admin's), no
    # tenant's: they are given valid (w.valid), so that only Beta's ids (reseller, account,
    # account number, offer item, statement, reseller promotion) refuse. Prices and dates are
    # valid: a price version from today, a past close day.
    "BillingFileFormat": lambda w: "CSV",
    "cycleStart:Date": lambda w: "2025-10-20",
    "CreateCatalogueItemInput": lambda w: {
        "code": "MATRIX-PLAN", "kind": "PLAN", "recurrence": "MONTHLY", "nameFr": "Matrice",
        "nameEn": "Matrix", "listPrice": "10.00"},
    "SetCataloguePriceInput": lambda w: {"itemId": w.valid["catalogue item"],
                                         "listPrice": "12.00"},
    "CatalogueItemIdInput": lambda w: {"itemId": w.valid["catalogue item"]},
    "OfferCatalogueItemInput": lambda w: {"itemId": w.valid["catalogue item"],
                                          "wholesalePrice": "5.00"},
    "OfferItemIdInput": lambda w: {},
    "SetOfferItemRetailInput": lambda w: {"selling": True, "retailPrice": "9.00"},
    "UpdateBillingSettingsInput": lambda w: {"selfService": False},
    "SetTaxesInput": lambda w: {"taxes": [{"name": "TPS", "rate": "5",
                                           "registrationNumber": "123456789RT0001"}]},
    # Beta's account with an item Alpha sells; Alpha's account with Beta's offer items.
    "SetSubscriptionInput": lambda w: Variants((
        {"lines": [{"offerItemId": w.valid["alpha offer item"], "quantity": 1}]},
        {"accountId": w.valid["alpha account"]})),
    "CreatePromotionInput": lambda w: {"code": "MATRIX-PROMO", "nameFr": "Matrice",
                                       "nameEn": "Matrix", "kind": "FREE_MONTHS"},
    "PromotionIdInput": lambda w: {"promotionId": w.valid["promotion"]},
    "OfferPromotionInput": lambda w: {"promotionId": w.valid["promotion"]},
    "ResellerPromotionIdInput": lambda w: {},
    "RecordPaymentInput": lambda w: {"accountNumber": w.beta.company.id, "amount": "10.00",
                                     "method": "CHEQUE", "reference": "matrix"},
    "GrantBillingCreditInput": lambda w: {"accountNumber": w.beta.company.id,
                                          "amount": "5.00", "description": "matrix"},
    "SendBillingStatementInput": lambda w: {},
    "CloseBillingCycleInput": lambda w: {"closeDay": "2025-11-20"},
    # chat (service hours): only Beta's reseller, schedule or special event refuses.
    "SetChatPermittedInput": lambda w: {"permitted": True},
    "UpdateChatSettingsInput": lambda w: {"enabled": False, "timeZone": "America/Toronto"},
    "CreateChatScheduleInput": lambda w: {"language": "en", "name": "Matrix",
                                          "days": ["MONDAY"], "startTime": "07:00",
                                          "endTime": "08:00"},
    "UpdateChatScheduleInput": lambda w: {"name": "Matrix"},
    "DeleteChatScheduleInput": lambda w: {},
    "CreateChatSpecialEventInput": lambda w: {"language": "en", "name": "Matrix",
                                              "startsAt": "2030-01-01T00:00:00Z",
                                              "endsAt": "2030-01-02T00:00:00Z"},
    "UpdateChatSpecialEventInput": lambda w: {"name": "Matrix"},
    "DeleteChatSpecialEventInput": lambda w: {},
    # twilio_voip: Alpha's company is connected, with a number its admin and employee operate
    # (restored before each caller), so that only Beta's number, operator, user, contact
    # phone, call or contact refuses. Twilio itself is never reached (_no_twilio): what Alpha
    # asks of its own account fails there as "unavailable"; nothing may reach it with Beta's.
    "country:String": lambda w: "CA",
    "ConnectTwilioInput": lambda w: {"accountSid": "AC" + "a1" * 16, "authToken": "f" * 32},
    "UpdateVoipSettingsInput": lambda w: {"ringSeconds": 25},
    "BuyVoipNumberInput": lambda w: {"phoneNumber": "+15145550177"},
    "LinkVoipNumberInput": lambda w: {"sid": "PN" + "a1" * 16},
    "UpdateVoipNumberInput": lambda w: {"friendlyName": "Matrix"},
    "DeleteVoipNumberInput": lambda w: {"mode": "RELEASE"},
    # Beta's number with Alpha's employee; Alpha's number with Beta's users.
    "SetVoipNumberOperatorsInput": lambda w: Variants((
        {"userIds": [to_base64("User", w.alpha.employee.id)]},
        {"numberId": w.valid["alpha number"]})),
    "UpdateVoipOperatorInput": lambda w: {"outgoingCalls": False},
    "RemoveVoipOperatorInput": lambda w: {},
    "SetVoipPresenceInput": lambda w: {"online": True},
    # One target at a time: a typed number from Beta's number, Beta's contact's number or
    # Beta's missed call from Alpha's own number (the one the caller operates).
    "StartVoipCallInput": lambda w: Variants((
        {"to": "+15145550100", "country": "CA", "contactPhoneId": None, "callBackId": None},
        {"numberId": None, "callBackId": None},
        {"numberId": None, "contactPhoneId": None})),
    "SaveVoipContactInput": lambda w: {"name": "Matrix",
                                       "phones": [{"kind": "MOBILE", "number": "+15145550100"}]},
    "AddVoipCallNoteInput": lambda w: {"text": "matrix"},
    # subscription_portal: only Beta's link (or reseller) refuses; the expiry is valid.
    "SubscriptionLinkIdInput": lambda w: {},
    "SetSubscriptionLinkExpiryInput": lambda w: {"expiresAt": "2030-01-01T00:00:00Z"},
    # -- issue 20: company users (plugins/company_users)
    # Valid values, so that only Beta's account or user id is what refuses.
    "CreateCompanyUserInput": lambda w: {"email": "matrix-user@matrix.example",
                                         "firstName": "Matrix"},
    "UpdateCompanyUserInput": lambda w: {"firstName": "Matrix"},
    "CompanyUserIdInput": lambda w: {},
    "SetCompanyUserPinInput": lambda w: {"pin": "1234", "pinConfirmation": "1234"},
    # -- issue 20: numbers self-service (plugins/account_settings)
    # Only Beta's account, number or user id refuses (a valid type, area code and quantity).
    "PoolNumberType": lambda w: "LOCAL",
    "areaCode:String": lambda w: "514",
    "OrderPhoneNumbersInput": lambda w: {"type": "LOCAL", "areaCode": "514", "quantity": 1},
    "AssignPhoneNumberToUserInput": lambda w: {},
    # -- issue 20: subscriber call restrictions (plugins/restrictions)
    # (no new input: the SUBSCRIBER scope is a variant of CreateCallRestrictionInput above)
    # -- issue 20: provisioning (plugins/provisioning)
    "RetryProvisioningInput": lambda w: {},  # Beta's account id: NOT_FOUND
    # -- issue 20: portal settings (plugins/subscription_portal)
    # Only Beta's reseller refuses; the status and free days are valid.
    "SetSubscriptionPortalSettingsInput": lambda w: {"signupStatus": "IN_PRODUCTION",
                                                     "trialDays": 45},
    # -- issue 23: dashboards
    # (no new input; the Subscription callsImported(accountNumber) lies outside this matrix's
    # Query and Mutation: Beta's account is NOT_FOUND there and Beta's imports are never heard,
    # in tests/plugins/callcenter/test_dashboard_page.py, test_calls_imported_is_heard_by_...)
}

# Fields that may succeed when given Beta ids, and why (each is a decision, not a default).
SUCCEEDS_EMPTY: dict[str, str] = {
    # exportAccounts names each Beta id NOT_FOUND (plugins/clients/schema.py _check_selected).
    "chatAvailability": "public by decision: anyone, anonymous included, may ask whether any "
                        "reseller's chat is open (the portal shows it before sign-in); the "
                        "deciding schedule's id is shown to that reseller's staff only",
}

# Leaves inside inputs: "Type.field", "field:Type" or "Type".
LEAVES: dict[str, Any] = {
    "String": "matrix",
    "token:String": "gwl_not-a-link",
    "Int": 30,
    "Boolean": False,
    "DateTime": "2020-01-01T00:00:00Z",
    "PhoneNumber": "+15145550100",
    "Decimal": "1.00",
}


async def build_world(host: Any) -> World:
    alpha = await make_tenant("Alpha Matrix")
    beta = await make_tenant("Beta Zulu Télécom")
    second = await make_account(alpha.reseller, name="Alpha Deuxième")
    delegate = await make_user(UserRole.COMPANY_ADMIN, reseller=alpha.reseller, account=second)
    await ResellerDelegate.create(reseller=alpha.reseller, user=delegate)
    token = new_token(API_TOKEN_PREFIX)
    await ApiToken.create(reseller=alpha.reseller, name="alpha", prefix=token[:12],
                          token_hash=token_digest(token), scopes=["*:write"])
    beta_token = await ApiToken.create(reseller=beta.reseller, name="beta secret integrator",
                                       prefix="gwt_betaXYZ", token_hash=token_digest("gwt_b"))
    beta_entry = await AuditEntry.create(
        reseller=beta.reseller, account=beta.company, actor=beta.admin,
        acting_as=beta.company_admin, action="DIRECT_ACCESS_START", operation="betaOnlyOp")
    for account in (beta.company, beta.professional_account):
        account.name = f"Beta Zulu account {account.id}"
        await account.save()
    accounts = [to_base64("Account", a.id) for a in (beta.company, beta.professional_account)]
    users = [to_base64("User", u.id) for u in (beta.company_admin, beta.admin)]
    resellers = [to_base64("Reseller", beta.reseller.id)]
    beta_voicemail = await MailboxMessage.create(
        account=beta.professional_account, user=beta.professional, kind=MailboxKind.VOICEMAIL,
        received_at=beta_entry.created_at, content_type="audio/wav", size=1,
        storage_key="beta-voicemail.wav", caller_name="Beta Zulu caller")
    beta_chat = await Conversation.create(
        reseller_id=beta.reseller.id, account_id=beta.company.id, language="en",
        opened_by_id=beta.employee.id, opened_by_name="Beta Zulu chatter")
    await VoicemailTranscript.create(
        message=beta_voicemail, account=beta.professional_account, user=beta.professional,
        status=TranscriptStatus.DONE, provider="Mutare", language="fr",
        text="Beta Zulu transcript words", request_key="beta-matrix",
        requested_at=beta_entry.created_at, completed_at=beta_entry.created_at)
    world = World(alpha=alpha, beta=beta, alpha_delegate=delegate, alpha_token=token,
                  numbers={beta.company.id, beta.professional_account.id},
                  valid={"alpha account": to_base64("Account", alpha.company.id)})
    billing_ids, billing_texts = await _billing_rows(world)
    chat_ids, chat_texts = await _chat_rows(world)
    voip_ids, voip_texts = await _voip_rows(world, host)
    beta_links = await portal_links.links_of(beta.reseller)  # their tokens must never show
    portal_ids = [to_base64("SubscriptionLink", link.id) for link in beta_links]
    voip_ids += portal_ids
    voip_texts += [portal_links.token_of(host, link) for link in beta_links]
    await restore_alpha_voip(world, host)
    others = [to_base64("ApiToken", beta_token.id), to_base64("AuditEntry", beta_entry.id),
              to_base64("MailboxMessage", beta_voicemail.id),
              to_base64("ChatConversation", beta_chat.id), *billing_ids, *chat_ids, *voip_ids]
    # An id of unknown kind ("id: ID!") gets one object of each type in turn.
    world.foreign = {"account": accounts, "user": users, "reseller": resellers,
                     "any": [accounts[0], users[0], *resellers, *others]}
    world.exact = {*accounts, *users, *resellers, *others, beta.reseller.can, beta.company.can,
                   beta.professional_account.can}
    world.texts = [beta.reseller.name, *(f"Beta Zulu account {a.id}" for a in
                                         (beta.company, beta.professional_account)),
                   *(u.login for u in (beta.admin, beta.company_admin, beta.employee,
                                       beta.professional)),
                   "beta secret integrator", "gwt_betaXYZ", "betaOnlyOp", "Beta Zulu caller",
                   "Beta Zulu chatter", "Beta Zulu transcript", *billing_texts, *chat_texts,
                   *voip_texts]
    return world


SYSTEM = Principal(role=Role.SYSTEM_ADMIN)


def _staff(tenant: Tenant) -> Principal:
    return Principal(role=Role.RESELLER_ADMIN, user_id=tenant.admin.id,
                     reseller_id=tenant.reseller.id)


async def _billing_rows(w: World) -> tuple[list[str], list[str]]:
    """A platform catalogue item and promotion (no tenant's: given valid), the item offered to
    and sold by both resellers; Beta's offer item, subscription line, a closed statement, its
    reseller promotion and a payment."""
    beta = w.beta
    item = await catalogue.create_item(
        SYSTEM, code="MATRIX-BASE", kind=ItemKind.PLAN, recurrence=Recurrence.MONTHLY,
        name_fr="Forfait matrice", name_en="Matrix plan", currency="CAD",
        price=PriceInput(Decimal("30.00"), 100, Decimal("0.50")), usage_key="MINUTE")
    offered = {}
    for tenant in (w.alpha, beta):
        row = await offer.make_available(SYSTEM, reseller_id=tenant.reseller.id,
                                         item_id=item.id, wholesale_price=Decimal("20.00"))
        await offer.set_retail(_staff(tenant), row.id,
                               offer.RetailInput(True, Decimal("29.00")))
        offered[tenant.reseller.id] = row.id
    [line] = await subscriptions.set_subscription(
        _staff(beta), beta.company.id, [subscriptions.LineInput(offered[beta.reseller.id])])
    number = f"{beta.company.can}-20251120"
    statement = await Statement.create(
        account=beta.company, reseller_id=beta.reseller.id, starts_on=dt.date(2025, 10, 20),
        ends_on=dt.date(2025, 11, 20), number=number, currency="CAD", language="fr",
        reseller_bills_clients=True, previous_balance=Decimal("0.00"),
        payments=Decimal("0.00"), charges=Decimal("29.00"), discounts=Decimal("0.00"),
        taxes=Decimal("0.00"), total=Decimal("29.00"), balance=Decimal("29.00"),
        wholesale=Decimal("20.00"))
    await LedgerEntry.create(
        account=beta.company, reseller_id=beta.reseller.id, kind=EntryKind.PAYMENT,
        entry_date=dt.date(2025, 11, 25), description_fr="Paiement Beta Zulu",
        description_en="Beta Zulu payment", amount=Decimal("-29.00"), currency="CAD",
        method=PaymentMethod.CHEQUE, reference="Beta Zulu cheque 4417",
        idempotency_key="beta-matrix-payment")
    promotion = await promotions.create_promotion(
        SYSTEM, code="MATRIX-FREE", name_fr="Mois gratuit", name_en="Free month",
        kind=BillingPromotionKind.FREE_MONTHS, months=1)
    at_beta = await promotions.make_available(SYSTEM, promotion.id, beta.reseller.id)
    w.valid.update({"catalogue item": to_base64("CatalogueItem", item.id),
                    "promotion": to_base64("Promotion", promotion.id),
                    "alpha offer item": to_base64("OfferItem", offered[w.alpha.reseller.id])})
    ids = [to_base64("OfferItem", offered[beta.reseller.id]),
           to_base64("SubscriptionLine", line.id), to_base64("BillingStatement", statement.id),
           to_base64("ResellerPromotion", at_beta.id)]
    return ids, [number, "Beta Zulu payment", "Paiement Beta Zulu", "Beta Zulu cheque"]


async def _chat_rows(w: World) -> tuple[list[str], list[str]]:
    """Beta's chat settings (permitted), a schedule and a special event of its own. Chat is off:
    the public chatAvailability (SUCCEEDS_EMPTY) then answers CHAT_OFF whenever the test runs,
    never the public name of the schedule in force (shown to anyone by design)."""
    reseller_id = w.beta.reseller.id
    settings = await ChatSettings.create(reseller_id=reseller_id, permitted=True,
                                         enabled=False)
    schedule = await WeeklySchedule.create(
        reseller_id=reseller_id, language="en", kind=ScheduleKind.CUSTOM,
        name="Beta Zulu evenings", days=1, start_minute=18 * 60, end_minute=20 * 60, open=True)
    start = dt.datetime(2030, 12, 25, 5, tzinfo=dt.UTC)
    event = await SpecialEvent.create(
        reseller_id=reseller_id, language="en", name="Beta Zulu holiday", starts_at=start,
        ends_at=start + dt.timedelta(days=1), open=False)
    ids = [to_base64("ChatSettings", settings.id), to_base64("ChatSchedule", schedule.id),
           to_base64("ChatSpecialEvent", event.id)]
    return ids, ["Beta Zulu evenings", "Beta Zulu holiday"]


BETA_TWILIO_SID = "AC" + "be" * 16


async def _voip_rows(w: World, host: Any) -> tuple[list[str], list[str]]:
    """Beta's company connected to Twilio (rows only, never Twilio itself): a number its
    employee operates, a contact with a number, a missed call from it with a note."""
    beta = w.beta
    await TwilioAccount.create(
        account=beta.company, account_sid=BETA_TWILIO_SID,
        auth_token=voip_access.seal(host, "beta-zulu-auth-token"), api_key_sid="SK" + "be" * 16,
        api_key_secret=voip_access.seal(host, "beta-zulu-key-secret-32-chars-xx"),
        application_sid="AP" + "be" * 16, friendly_name="Beta Zulu Twilio")
    number = await VoipNumber.create(
        account=beta.company, sid="PN" + "be" * 16, phone_number="+15145559990",
        friendly_name="Beta Zulu line", outgoing_calls=True)
    operator = await NumberOperator.create(number=number, user=beta.employee,
                                           account_id=beta.company.id)
    contact = await VoipContact.create(account=beta.company, name="Beta Zulu contact")
    phone = await ContactPhone.create(contact=contact, account_id=beta.company.id,
                                      number="+15145559991")
    call = await VoipCall.create(
        account=beta.company, number=number, call_sid="CA" + "be" * 16,
        direction=Direction.INBOUND, status=CallStatus.MISSED, our_number=number.phone_number,
        other_number=phone.number, contact=contact, started_at=dt.datetime.now(dt.UTC))
    note = await CallNote.create(call=call, account_id=beta.company.id, author=beta.employee,
                                 text="Beta Zulu note")
    ids = [to_base64("VoipNumber", number.id), to_base64("VoipOperator", operator.id),
           to_base64("VoipContact", contact.id), to_base64("VoipContactPhone", phone.id),
           to_base64("VoipCall", call.id), to_base64("VoipCallNote", note.id)]
    return ids, [BETA_TWILIO_SID, "Beta Zulu Twilio", "+15145559990", "Beta Zulu line",
                 "Beta Zulu contact", "+15145559991", "CA" + "be" * 16, "Beta Zulu note"]


async def restore_alpha_voip(w: World, host: Any) -> None:
    """Alpha's company and professional connected, each with a number its people operate, as
    before the callers' mutations (disconnectTwilio, deleteVoipNumber, removeVoipOperator ...)."""
    alpha = w.alpha
    for index, (account, users) in enumerate((
            (alpha.company, (alpha.company_admin, alpha.employee)),
            (alpha.professional_account, (alpha.professional,)))):
        tag = f"a{index}" * 16
        values: dict[str, Any] = {
            "account_sid": "AC" + tag, "auth_token": voip_access.seal(host, "f" * 32),
            "api_key_sid": "SK" + tag,
            "api_key_secret": voip_access.seal(host, "alpha-key-secret-of-32-characters"),
            "application_sid": "AP" + tag, "active": True, "disconnected_at": None}
        if not await TwilioAccount.filter(account_id=account.id).update(**values):
            await TwilioAccount.create(account_id=account.id, **values)
        number, _ = await VoipNumber.get_or_create(
            phone_number=f"+1514555014{index}", defaults={"account_id": account.id,
                                                          "sid": "PN" + tag})
        await VoipNumber.filter(id=number.id).update(outgoing_calls=True)
        for user in users:
            await NumberOperator.get_or_create(number_id=number.id, user_id=user.id,
                                               defaults={"account_id": account.id})
        await NumberOperator.filter(number_id=number.id).update(outgoing_calls=True)
        if account == alpha.company:
            w.valid["alpha number"] = to_base64("VoipNumber", number.id)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """The suite's settings with room for the matrix's documents: the node query names each
    clashing field of every Node type under a per-type alias, and a selection DEPTH levels deep
    under a connection (offerItems, voipCalls ...) costs more than a client's query may; over
    the limits a field would answer an error and go unchecked."""
    return make_settings(database_url, tmp_path, max_aliases=100, max_cost=10_000_000)


# ---- callers -------------------------------------------------------------------------------

Caller = Callable[[World], Awaitable[dict[str, str]]]


async def _session(user: User) -> dict[str, str]:
    _, token = await open_session(user)
    return {"Authorization": f"Bearer {token}"}


async def _inside(w: World) -> dict[str, str]:
    parent, _ = await open_session(w.alpha.admin)
    _, token = await open_session(w.alpha.admin, acting_account=w.alpha.company, parent=parent)
    return {"Authorization": f"Bearer {token}"}


async def _sysadmin(w: World) -> dict[str, str]:
    user = await User.filter(role=UserRole.SYSTEM_ADMIN).first()
    return await _session(user or await make_user(UserRole.SYSTEM_ADMIN))


CALLERS: dict[str, Caller] = {
    "anonymous": lambda w: _none(),
    "reseller admin": lambda w: _session(w.alpha.admin),
    "delegate": lambda w: _session(w.alpha_delegate),
    "company admin": lambda w: _session(w.alpha.company_admin),
    "employee": lambda w: _session(w.alpha.employee),
    "professional": lambda w: _session(w.alpha.professional),
    "integrator": lambda w: _bearer(w.alpha_token),
    "direct access": _inside,
    # Last: a system admin sees every tenant, so its calls only must not fail, and what it
    # changes in Beta must not matter to the callers before it.
    "system admin": _sysadmin,
}


async def _none() -> dict[str, str]:
    return {}


async def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# ---- arguments -----------------------------------------------------------------------------

def _named(type_: Any) -> Any:
    while isinstance(type_, GraphQLNonNull | GraphQLList):
        type_ = type_.of_type
    return type_


def _id_kind(name: str) -> str:
    lowered = name.lower()
    for kind in ("account", "reseller"):
        if kind in lowered:
            return kind
    if "user" in lowered or "actor" in lowered:
        return "user"
    return "any"


class _Args:
    """Builds one call's argument values; ``turn`` picks which Beta id each ID leaf gets."""

    def __init__(self, world: World, turn: int) -> None:
        self.world = world
        self.turn = turn
        self.kinds: set[str] = set()

    def foreign_id(self, name: str) -> str:
        kind = _id_kind(name)
        self.kinds.add(kind)
        ids = self.world.foreign[kind]
        return ids[self.turn % len(ids)]

    def value(self, type_: Any, name: str, override: Any = Undefined) -> Any:
        if isinstance(type_, GraphQLNonNull):
            return self.value(type_.of_type, name, override)
        if isinstance(type_, GraphQLList):
            item = self.value(type_.of_type, name, Undefined)
            return override if override is not Undefined else [item]
        if isinstance(type_, GraphQLInputObjectType):
            return self.input(type_, override if isinstance(override, dict) else {})
        if override is not Undefined:
            return override
        if isinstance(type_, GraphQLScalarType) and type_.name == "ID":
            return self.foreign_id(name)
        if isinstance(type_, GraphQLEnumType):
            return next(iter(type_.values))
        for key in (f"{name}:{type_.name}", type_.name):
            if key in LEAVES:
                return LEAVES[key]
        raise AssertionError(f"no LEAVES entry for {name}: {type_.name}; add one")

    def input(self, type_: GraphQLInputObjectType, given: dict[str, Any]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name, input_field in type_.fields.items():
            required = (isinstance(input_field.type, GraphQLNonNull)
                        and input_field.default_value is Undefined)
            is_id = getattr(_named(input_field.type), "name", "") == "ID"
            if name in given:
                values[name] = self.value(input_field.type, name, given[name])
            elif required or is_id:
                values[name] = self.value(input_field.type, name)
        return values


def _argument_key(name: str, type_: Any) -> str | None:
    named = _named(type_).name
    for key in (f"{name}:{named}", named):
        if key in ARGUMENTS:
            return key
    return None


def calls_for(root: str, name: str, gql_field: GraphQLField, world: World) -> list[dict[str, Any]]:
    """The variable sets to call a field with: one per Beta id its ID leaves take in turn (and
    per variant of an input given as Variants)."""
    givens: dict[str, Any] = {}
    for arg_name, arg in gql_field.args.items():
        required = isinstance(arg.type, GraphQLNonNull) and arg.default_value is Undefined
        key = _argument_key(arg_name, arg.type)
        if key is None:
            assert not required, (
                f"{root}.{name}({arg_name}: {arg.type}) has no entry in the tenancy matrix: "
                f"add {_named(arg.type).name!r} (or '{arg_name}:{_named(arg.type).name}') "
                "to ARGUMENTS in tests/gateway/identity/test_tenancy_matrix.py")
            continue
        givens[arg_name] = ARGUMENTS[key](world)
    variants = [givens]
    for arg_name, given in givens.items():
        if isinstance(given, Variants):
            variants = [{**givens, arg_name: one} for one in given]
    calls: list[dict[str, Any]] = []
    for overrides in variants:
        turn = 0
        while True:
            args = _Args(world, turn)
            variables: dict[str, Any] = {}
            for arg_name, given in overrides.items():
                arg = gql_field.args[arg_name]
                required = isinstance(arg.type, GraphQLNonNull) and arg.default_value is Undefined
                if given is None and not required and _named(arg.type).name != "ID":
                    continue
                variables[arg_name] = args.value(arg.type, arg_name,
                                                 Undefined if given is None else given)
            calls.append(variables)
            sizes = [len(world.foreign[k]) for k in args.kinds]
            turn += 1
            if not sizes or turn >= max(sizes):
                break
    return calls


# ---- selections ----------------------------------------------------------------------------

def selection(type_: Any, schema: Any, depth: int = 0) -> str:
    named: GraphQLNamedType = _named(type_)
    if isinstance(named, GraphQLScalarType | GraphQLEnumType):
        return ""
    if isinstance(named, GraphQLInterfaceType | GraphQLUnionType):
        possible = schema.get_possible_types(named)
        # Two types' same-named fields may differ in type: those get a per-type alias.
        types_of: dict[str, set[str]] = {}
        for concrete in possible:
            for name, child in concrete.fields.items():
                types_of.setdefault(name, set()).add(str(child.type))
        clashing = {name for name, types in types_of.items() if len(types) > 1}
        parts = ["__typename"]
        if isinstance(named, GraphQLInterfaceType):
            parts.append(_fields(named, schema, depth, clashing))
        parts += [f"... on {t.name} {{ {_fields(t, schema, depth, clashing, t.name)} }}"
                  for t in possible]
        return "{ " + " ".join(parts) + " }"
    return "{ " + (_fields(named, schema, depth) or "__typename") + " }"


def _fields(named: GraphQLObjectType | GraphQLInterfaceType, schema: Any, depth: int,
            clashing: set[str] | None = None, owner: str = "") -> str:
    parts = ["__typename"]
    for name, child in named.fields.items():
        if any(isinstance(a.type, GraphQLNonNull) and a.default_value is Undefined
               for a in child.args.values()):
            continue
        leaf = isinstance(_named(child.type), GraphQLScalarType | GraphQLEnumType)
        head = f"{owner}_{name}: {name}" if clashing and name in clashing and owner else name
        if clashing and name in clashing and not owner:
            continue
        if leaf:
            parts.append(head)
        elif depth < DEPTH:
            parts.append(f"{head} {selection(child.type, schema, depth + 1)}")
    return " ".join(parts)


def _type_string(type_: Any) -> str:
    return str(type_)


def document(root: str, name: str, gql_field: GraphQLField, variables: dict[str, Any],
             schema: Any) -> str:
    definitions = ", ".join(f"${arg}: {_type_string(gql_field.args[arg].type)}"
                            for arg in variables)
    arguments = ", ".join(f"{arg}: ${arg}" for arg in variables)
    operation = "query" if root == "Query" else "mutation"
    head = f"{operation} Matrix({definitions})" if definitions else f"{operation} Matrix"
    call = f"{name}({arguments})" if arguments else name
    return f"{head} {{ {call} {selection(gql_field.type, schema, 1)} }}"


# ---- checks --------------------------------------------------------------------------------

def _strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return [value] if isinstance(value, str) else []


def _leaks(world: World, response: dict[str, Any]) -> list[str]:
    found = []
    for text in _strings(response):
        if text in world.exact:
            found.append(text)
        found += [marker for marker in world.texts if marker in text]
    return found


def _refused_or_empty(value: Any) -> bool:
    """Not found: null, an empty list or connection, or a payload that reports errors."""
    if value is None:
        return True
    if isinstance(value, list):
        return not value
    if isinstance(value, dict):
        if value.get("errors"):
            return True
        if "totalCount" in value:
            return value["totalCount"] == 0 and not value.get("edges") and not value.get("nodes")
    return False


def _signed_out(response: dict[str, Any]) -> bool:
    return any((e.get("extensions") or {}).get("code") == "UNAUTHENTICATED"
               for e in response.get("errors", []))


def _beta_account_number(world: World, variables: Any) -> bool:
    """Whether an accountNumber anywhere in the variables is one of Beta's accounts."""
    if isinstance(variables, dict):
        return any((key == "accountNumber" and value in world.numbers)
                   or _beta_account_number(world, value) for key, value in variables.items())
    if isinstance(variables, list):
        return any(_beta_account_number(world, value) for value in variables)
    return False


def _problems(world: World, where: str, variables: dict[str, Any],
              response: dict[str, Any], sees_all: bool) -> list[str]:
    """What is wrong with one call's answer: a failure, a bad document, Beta's data shown or
    Beta's object touched (a caller that ``sees_all`` tenants only must not fail)."""
    name = where.rsplit(".", 1)[1]
    where = f"{where}({json.dumps(variables)[:200]})"
    codes = [(e.get("extensions") or {}).get("code") for e in response.get("errors", [])]
    if "INTERNAL_ERROR" in codes or None in codes:
        return [f"{where} failed: {response['errors'][0]}"]
    if "GRAPHQL_VALIDATION_FAILED" in codes or "GRAPHQL_PARSE_FAILED" in codes:
        return [f"{where}: the matrix built a bad document: {response['errors'][0]['message']}"]
    if sees_all:
        return []  # sees every tenant by design
    found = []
    leaked = _leaks(world, response)
    if leaked:
        found.append(f"{where} showed Beta's {sorted(set(leaked))}")
    value = (response.get("data") or {}).get(name)
    takes_beta_id = (any(i in json.dumps(variables) for i in world.exact)
                     or _beta_account_number(world, variables))
    if takes_beta_id and not _refused_or_empty(value) and name not in SUCCEEDS_EMPTY:
        found.append(f"{where} answered {json.dumps(value)[:300]}")
    return found


async def test_no_field_shows_or_touches_another_tenants_objects(
        monkeypatch: Any, gateway: Gateway) -> None:
    # Twilio is never reached: every request the SDK would send is kept here and fails as
    # unavailable (monkeypatch is set up before the app and undone after it stopped).
    # Each request is kept with the caller whose calls were being made: the system admin (last)
    # may end Beta's connection (deleteAccount unsubscribes, which disconnects Twilio).
    to_twilio: list[tuple[str, str]] = []
    current = {"caller": ""}

    async def no_twilio(self: Any, method: str, uri: str, *args: Any, **kwargs: Any) -> Any:
        to_twilio.append((current["caller"], f"{method} {uri} {args} {kwargs}"))
        raise TwilioUnavailable(f"{method} {uri}: the tenancy matrix never calls Twilio")

    monkeypatch.setattr(GatewayHttpClient, "request", no_twilio)
    host = gateway.app.state.host
    world = await build_world(host)
    schema = gateway.app.state.schema._schema
    problems: list[str] = []
    calls = 0
    for caller, headers_for in CALLERS.items():
        current["caller"] = caller
        await restore_alpha_voip(world, host)
        headers: dict[str, str] | None = None
        for root_type in (schema.query_type, schema.mutation_type):
            root = root_type.name
            for name, gql_field in root_type.fields.items():
                for variables in calls_for(root, name, gql_field, world):
                    query = document(root, name, gql_field, variables, schema)
                    # One session per caller, opened again when a call finds it ended (a
                    # logout, a revocation...): every call is made signed in.
                    if headers is None:
                        headers = await headers_for(world)
                    response = await gateway.graphql(query, variables, **headers)
                    if headers and _signed_out(response):
                        headers = await headers_for(world)
                        response = await gateway.graphql(query, variables, **headers)
                    calls += 1
                    value = (response.get("data") or {}).get(name)
                    if root == "Mutation" and ("Voip" in name or "Twilio" in name) \
                            and not (response.get("errors") or _refused_or_empty(value)):
                        # disconnectTwilio, deletions: what a refusal did not change
                        await restore_alpha_voip(world, host)
                    problems += _problems(world, f"{caller}: {root}.{name}", variables,
                                          response, sees_all=caller == "system admin")
    assert calls > 100
    beta_at_twilio = [f"{caller}: {r}" for caller, r in to_twilio if caller != "system admin"
                      and any(m in r for m in (BETA_TWILIO_SID, "be" * 16))]
    assert not beta_at_twilio, f"Twilio was asked with Beta's account: {beta_at_twilio}"
    assert not problems, "\n".join(problems)


def test_the_matrix_knows_every_argument_type(settings: Any) -> None:
    """Fails fast (without a database) when a new field's argument type is missing."""
    from gateway.plugins import PluginHost
    from schema.build import build_schema

    schema = build_schema(PluginHost(settings))._schema
    world = World(alpha=None, beta=None, alpha_delegate=None, alpha_token="",  # type: ignore[arg-type]
                  foreign={k: ["X"] for k in ("account", "user", "reseller", "any")})
    for root_type in (schema.query_type, schema.mutation_type):
        for name, gql_field in root_type.fields.items():
            try:
                calls_for(root_type.name, name, gql_field, world)
            except (AttributeError, KeyError):
                pass  # an override reads the tenants or their rows; the database test builds those
