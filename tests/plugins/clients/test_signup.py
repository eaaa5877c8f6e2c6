"""The sign-up wizard: a draft saved step by step, sent to the client who finishes it through
a signed link, completed into an account whose first user gets their access codes by email."""

from __future__ import annotations

import datetime as dt
import re
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from strawberry.relay import to_base64

from gateway.identity.models import Account, BillingStatus, User, UserRole
from gateway.models import OutboxJob
from plugins.account_settings.numbers import import_numbers
from plugins.clients.models import AccountProfile, SignupDraft, SignupStatus
from tests.conftest import Gateway
from tests.plugins.clients import lifecycle_plugin
from tests.plugins.clients.conftest import received
from tests.support.identity_factory import bearer_for, make_tenant

DRAFT_FIELDS = """id kind status ready sentTo
  customer { name address city postalCode country email phoneNumber language voiceLanguages
             timeZone }
  subscription { plan options devices { model quantity } }
  numbers { action type number areaCode fax sms e911 }
  billing { paymentMethod cardBrand cardLast4 cardExpiry invoiceEmail }
  administrator { firstName lastName email language }
  activation { billingStatus trialDays }
  steps { step complete missing }"""

SAVE = f"""mutation($input: SaveSignupDraftInput!) {{
  saveSignupDraft(input: $input) {{ draft {{ {DRAFT_FIELDS} }} errors {{ code field message }} }}
}}"""
SEND = """mutation($input: SendSignupToClientInput!) {
  sendSignupToClient(input: $input) { draft { id status sentTo } errors { code field message } }
}"""
COMPLETE = """mutation($input: CompleteSignupInput!) {
  completeSignup(input: $input) {
    account { id accountNumber name billingStatus language timeZone phoneNumber userCount
              trialEndsAt }
    draft { status }
    errors { code field message }
  }
}"""
INVITATION = f"""query($token: String!) {{
  signupInvitation(token: $token) {{ draft {{ {DRAFT_FIELDS} }} errors {{ code field message }} }}
}}"""
SAVE_AS_CLIENT = """mutation($input: SaveSignupDraftAsClientInput!) {
  saveSignupDraftAsClient(input: $input) {
    draft { ready administrator { email } steps { step missing } } errors { code field }
  }
}"""
COMPLETE_AS_CLIENT = """mutation($input: CompleteSignupAsClientInput!) {
  completeSignupAsClient(input: $input) {
    account { accountNumber name billingStatus } errors { code field message }
  }
}"""

CUSTOMER = {
    "name": "Plomberie Laval", "address": "12 rue Principale", "city": "Laval",
    "postalCode": "H7N 1A1", "country": "CA", "email": "Info@Plomberie-Laval.test",
    "phoneNumber": "(450) 555-0123", "voiceLanguages": ["fr", "en"],
    "timeZone": "America/Toronto",
}
ADMIN = {"firstName": "Julie", "lastName": "Roy", "email": "julie@plomberie-laval.test"}


async def _save(gateway: Gateway, headers: dict[str, str], **input: Any) -> dict[str, Any]:
    result = await gateway.graphql(SAVE, {"input": input}, **headers)
    assert "errors" not in result, result
    return result["data"]["saveSignupDraft"]


def _steps(draft: dict[str, Any]) -> dict[str, list[str]]:
    return {s["step"]: s["missing"] for s in draft["steps"]}


async def test_each_step_is_checked_and_saved_with_field_paths(gateway: Gateway) -> None:
    tenant = await make_tenant()
    headers = await bearer_for(tenant.admin)
    refused = await _save(gateway, headers, kind="COMPANY", customer={
        "name": "X" * 201, "email": "not-an-email", "phoneNumber": "555",
        "timeZone": "Mars/Olympus", "language": "de", "country": "Canada"})
    assert refused["draft"] is None
    assert {(e["code"], tuple(e["field"])) for e in refused["errors"]} == {
        ("INVALID", ("input", "customer", "name")),
        ("INVALID", ("input", "customer", "email")),
        ("INVALID", ("input", "customer", "phoneNumber")),
        ("INVALID", ("input", "customer", "timeZone")),
        ("INVALID", ("input", "customer", "language")),
        ("INVALID", ("input", "customer", "country")),
    }
    assert await SignupDraft.all().count() == 0

    # A first step, partly filled: saved, and what is still missing is listed per step.
    draft = (await _save(gateway, headers, kind="COMPANY",
                         customer={"name": "Plomberie Laval"}))["draft"]
    assert draft["status"] == "OPEN" and not draft["ready"]
    assert _steps(draft)["CUSTOMER"] == ["email", "timeZone"]
    assert _steps(draft)["ADMINISTRATOR"] == ["firstName", "lastName", "email"]

    draft = (await _save(gateway, headers, id=draft["id"], customer=CUSTOMER))["draft"]
    assert draft["customer"]["email"] == "info@plomberie-laval.test"
    assert draft["customer"]["phoneNumber"] == "+14505550123"
    assert _steps(draft)["CUSTOMER"] == []
    assert _steps(draft)["ADMINISTRATOR"] == ["firstName", "lastName"]  # email: the customer's

    bad = await _save(gateway, headers, id=draft["id"],
                      numbers=[{"action": "ORDER", "type": "TOLL_FREE"},
                               {"action": "PORT", "type": "LOCAL"},
                               {"action": "PORT", "number": "+1 514 55"}],
                      subscription={"plan": "Réceptionniste", "devices": [
                          {"model": "Polycom VVX 250", "quantity": 0}]},
                      billing={"paymentMethod": "CREDIT_CARD",
                               "card": {"token": "4111 1111 1111 1111", "last4": "11"}})
    assert {(e["code"], tuple(e["field"])) for e in bad["errors"]} == {
        ("REQUIRED", ("input", "numbers", "1", "number")),
        ("INVALID", ("input", "numbers", "2", "number")),
        ("OUT_OF_RANGE", ("input", "subscription", "devices", "0", "quantity")),
        ("CARD_NUMBER_REFUSED", ("input", "billing", "card", "token")),
        ("INVALID", ("input", "billing", "card", "last4")),
    }

    await import_numbers(tenant.reseller.id, "+1 888 555 0199")  # the pool serves the order
    draft = (await _save(
        gateway, headers, id=draft["id"],
        numbers=[{"action": "ORDER", "type": "TOLL_FREE", "areaCode": "888", "fax": True},
                 {"action": "PORT", "number": "514-555-0100", "sms": True, "e911": True}],
        subscription={"plan": "Réceptionniste", "options": ["Enregistreur d'appels"],
                      "devices": [{"model": "Polycom VVX 250", "quantity": 2}]},
        billing={"paymentMethod": "CREDIT_CARD",
                 "card": {"token": "tok_visa_abc", "brand": "Visa", "last4": "4242",
                          "expiry": "12/2099"}},
        administrator=ADMIN,
    ))["draft"]
    assert draft["ready"]
    assert draft["numbers"][1] == {"action": "PORT", "type": "LOCAL", "number": "+15145550100",
                                   "areaCode": None, "fax": False, "sms": True, "e911": True}
    assert draft["subscription"]["devices"] == [{"model": "Polycom VVX 250", "quantity": 2}]
    # The card shows its brand and last digits; the token never comes back.
    assert draft["billing"] == {"paymentMethod": "CREDIT_CARD", "cardBrand": "Visa",
                                "cardLast4": "4242", "cardExpiry": "12/2099",
                                "invoiceEmail": None}
    assert draft["activation"] == {"billingStatus": "FREE_TRIAL", "trialDays": 30}

    pro = await _save(gateway, headers, kind="PROFESSIONAL",
                      customer={"name": "Dre Roy", "voiceLanguages": ["fr"]})
    assert [(e["code"], e["field"]) for e in pro["errors"]] == [
        ("INVALID", ["input", "customer", "voiceLanguages"])]


async def test_another_reseller_cannot_see_or_change_a_draft(gateway: Gateway) -> None:
    alpha, beta = await make_tenant("Alpha"), await make_tenant("Beta")
    draft = (await _save(gateway, await bearer_for(alpha.admin), kind="COMPANY",
                         customer={"name": "Secret"}))["draft"]
    beta_headers = await bearer_for(beta.admin)
    seen = await gateway.graphql("query($id: ID!) { node(id: $id) { id } }", {"id": draft["id"]},
                                 **beta_headers)
    assert seen == {"data": {"node": None}}
    changed = await _save(gateway, beta_headers, id=draft["id"], customer={"name": "Mine"})
    assert [e["code"] for e in changed["errors"]] == ["NOT_FOUND"]
    completed = await gateway.graphql(COMPLETE, {"input": {"id": draft["id"]}}, **beta_headers)
    assert [e["code"] for e in completed["data"]["completeSignup"]["errors"]] == ["NOT_FOUND"]
    mine = await gateway.graphql("query($id: ID!) { node(id: $id) { ... on SignupDraft "
                                 "{ customer { name } } } }", {"id": draft["id"]},
                                 **await bearer_for(alpha.admin))
    assert mine["data"]["node"]["customer"]["name"] == "Secret"


async def _ready_draft(gateway: Gateway, headers: dict[str, str], kind: str = "COMPANY",
                       **steps: Any) -> str:
    customer = dict(CUSTOMER)
    if kind == "PROFESSIONAL":
        customer.pop("voiceLanguages")
    draft = (await _save(gateway, headers, kind=kind, customer=customer, administrator=ADMIN,
                         **steps))["draft"]
    assert draft["ready"], draft
    return str(draft["id"])


def _link(message: Any) -> str:
    text = message.get_body(preferencelist=("plain",)).get_content()
    return re.search(r"https?://\S+", text).group(0)  # type: ignore[union-attr]


async def test_completing_creates_the_account_and_emails_the_first_user(
    clients_gateway: Gateway,
) -> None:
    gateway = clients_gateway
    tenant = await make_tenant()
    headers = await bearer_for(tenant.admin)
    draft_id = await _ready_draft(gateway, headers)

    too_short = await gateway.graphql(COMPLETE, {"input": {"id": draft_id, "trialDays": 10}},
                                      **headers)
    assert [(e["code"], e["field"]) for e in too_short["data"]["completeSignup"]["errors"]] == [
        ("OUT_OF_RANGE", ["input", "activation", "trialDays"])]
    no_payment = await gateway.graphql(
        COMPLETE, {"input": {"id": draft_id, "billingStatus": "IN_PRODUCTION"}}, **headers)
    assert [(e["code"], e["field"]) for e in no_payment["data"]["completeSignup"]["errors"]] == [
        ("REQUIRED", ["input", "billing", "paymentMethod"])]

    before = time.time()
    result = await gateway.graphql(COMPLETE, {"input": {"id": draft_id, "trialDays": 45}},
                                   **headers)
    payload = result["data"]["completeSignup"]
    assert payload["errors"] == []
    account = payload["account"]
    assert account["name"] == "Plomberie Laval"
    assert account["billingStatus"] == "FREE_TRIAL"
    assert account["language"] == "fr"  # the reseller's default language
    assert account["phoneNumber"] == "+14505550123"
    assert account["userCount"] == 1
    trial_ends = dt.datetime.fromisoformat(account["trialEndsAt"].replace("Z", "+00:00"))
    assert abs(trial_ends.timestamp() - (before + 45 * 86400)) < 120
    assert payload["draft"]["status"] == "COMPLETED"

    user = await User.get(account_id=account["accountNumber"])
    assert user.role == UserRole.COMPANY_ADMIN
    assert user.login == "julie@plomberie-laval.test" and user.password_hash is None
    profile = await AccountProfile.get(account_id=account["accountNumber"])
    assert profile.voice_languages == ["fr", "en"] and profile.city == "Laval"
    assert lifecycle_plugin.calls == [("created", account["accountNumber"], True)]

    (message,) = await received(gateway.smtp, 1)  # type: ignore[attr-defined]
    assert message["To"] == "julie@plomberie-laval.test"
    assert message["Subject"].startswith("Bienvenue")
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "julie@plomberie-laval.test" in text and "Secret" not in text
    link = _link(message)
    assert urlsplit(link).path == "/set-password"
    token = parse_qs(urlsplit(link).query)["token"][0]
    # The link really lets the person choose a password, then sign in with the login id.
    reset = await gateway.graphql(
        "mutation($i: ResetPasswordInput!) { resetPassword(input: $i) { login errors { code } } }",
        {"i": {"token": token, "newPassword": "Nouveau-pass1"}})
    assert reset["data"]["resetPassword"] == {"login": "julie@plomberie-laval.test",
                                              "errors": []}
    login = await gateway.graphql(
        "mutation($i: LoginInput!) { login(input: $i) { token errors { code } } }",
        {"i": {"login": "Julie@Plomberie-Laval.test", "password": "Nouveau-pass1"}})
    assert login["data"]["login"]["errors"] == [] and login["data"]["login"]["token"]

    again = await gateway.graphql(COMPLETE, {"input": {"id": draft_id}}, **headers)
    assert [e["code"] for e in again["data"]["completeSignup"]["errors"]] == ["DRAFT_COMPLETED"]
    # The same person cannot be the first user of a second account.
    other = await _ready_draft(gateway, headers)
    taken = await gateway.graphql(COMPLETE, {"input": {"id": other}}, **headers)
    assert [(e["code"], e["field"]) for e in taken["data"]["completeSignup"]["errors"]] == [
        ("LOGIN_TAKEN", ["input", "administrator", "email"])]


async def test_a_professional_in_production_from_the_start(clients_gateway: Gateway) -> None:
    tenant = await make_tenant()
    headers = await bearer_for(tenant.admin)
    draft_id = await _ready_draft(
        clients_gateway, headers, kind="PROFESSIONAL",
        billing={"paymentMethod": "MONTHLY_INVOICE", "invoiceEmail": "compta@roy.test"},
        activation={"billingStatus": "IN_PRODUCTION"},
        subscription={"plan": "Numéro unique", "options": ["Transcription"],
                      "devices": [{"model": "Yealink T54W", "quantity": 2}]})
    payload = (await clients_gateway.graphql(COMPLETE, {"input": {"id": draft_id}},
                                             **headers))["data"]["completeSignup"]
    assert payload["errors"] == []
    assert payload["account"]["billingStatus"] == "IN_PRODUCTION"
    assert payload["account"]["trialEndsAt"] is None
    user = await User.get(account_id=payload["account"]["accountNumber"])
    assert user.role == UserRole.PROFESSIONAL
    await received(clients_gateway.smtp, 1)  # type: ignore[attr-defined]
    # Without a billing plugin, the invoice preview lists what the sign-up asked for.
    preview = await clients_gateway.graphql(
        "query($id: ID!) { invoicePreview(accountId: $id) { lines { description quantity "
        "amount { amount } } total { amount } } }",
        {"id": payload["account"]["accountNumber"]}, **headers)
    assert preview["data"]["invoicePreview"] == {"total": None, "lines": [
        {"description": "Numéro unique", "quantity": 1, "amount": None},
        {"description": "Transcription", "quantity": 1, "amount": None},
        {"description": "Yealink T54W", "quantity": 2, "amount": None}]}


async def test_a_failing_hook_rolls_the_whole_sign_up_back(clients_gateway: Gateway) -> None:
    tenant = await make_tenant()
    headers = await bearer_for(tenant.admin)
    draft_id = await _ready_draft(clients_gateway, headers)
    accounts = await Account.all().count()
    lifecycle_plugin.fail_on.add("created")
    result = await clients_gateway.graphql(COMPLETE, {"input": {"id": draft_id}}, **headers)
    assert result["errors"][0]["extensions"]["code"] == "INTERNAL_ERROR"
    assert await Account.all().count() == accounts
    assert not await User.filter(login=ADMIN["email"]).exists()
    assert not await OutboxJob.filter(job="email.send").exists()
    draft = await SignupDraft.get(id=int(_db_id(draft_id)))
    assert draft.status == SignupStatus.OPEN


def _db_id(global_id: str) -> str:
    from strawberry.relay import GlobalID

    return GlobalID.from_id(global_id).node_id


async def test_the_client_finishes_the_sign_up_through_the_emailed_link(
    clients_gateway: Gateway,
) -> None:
    gateway = clients_gateway
    tenant = await make_tenant()
    headers = await bearer_for(tenant.admin)
    draft = (await _save(gateway, headers, kind="COMPANY", customer=CUSTOMER,
                         activation={"billingStatus": "FREE_TRIAL", "trialDays": 60}))["draft"]
    sent = await gateway.graphql(SEND, {"input": {"id": draft["id"], "language": "en"}},
                                 **headers)
    assert sent["data"]["sendSignupToClient"]["draft"]["status"] == "SENT"
    (invitation,) = await received(gateway.smtp, 1)  # type: ignore[attr-defined]
    assert invitation["To"] == "info@plomberie-laval.test"
    assert invitation["Subject"] == f"Finish your subscription with {tenant.reseller.name}"
    link = _link(invitation)
    assert link.startswith("http://testserver/signup?token=")
    token = parse_qs(urlsplit(link).query)["token"][0]

    # No account, no session: the token alone opens this draft.
    opened = (await gateway.graphql(INVITATION, {"token": token}))["data"]["signupInvitation"]
    assert opened["errors"] == []
    assert opened["draft"]["customer"]["name"] == "Plomberie Laval"
    assert opened["draft"]["activation"] == {"billingStatus": "FREE_TRIAL", "trialDays": 60}

    # The client cannot choose the billing status: the input has no such step.
    sneaky = await gateway.graphql(SAVE_AS_CLIENT, {"input": {
        "token": token, "activation": {"billingStatus": "BILLING_SUSPENDED"}}})
    assert sneaky["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"

    saved = (await gateway.graphql(SAVE_AS_CLIENT, {"input": {
        "token": token, "administrator": {**ADMIN, "language": "en"}}})
    )["data"]["saveSignupDraftAsClient"]
    assert saved["errors"] == [] and saved["draft"]["ready"]

    finished = (await gateway.graphql(COMPLETE_AS_CLIENT, {"input": {"token": token}})
                )["data"]["completeSignupAsClient"]
    assert finished["errors"] == []
    assert finished["account"]["billingStatus"] == "FREE_TRIAL"
    messages = await received(gateway.smtp, 2)  # type: ignore[attr-defined]
    assert messages[1]["To"] == ADMIN["email"]
    assert messages[1]["Subject"].startswith("Welcome")

    # Used up: the link opens nothing any more.
    spent = (await gateway.graphql(INVITATION, {"token": token}))["data"]["signupInvitation"]
    assert spent["draft"] is None
    assert [(e["code"], e["field"]) for e in spent["errors"]] == [
        ("LINK_INVALID", ["input", "token"])]
    assert (await Account.get(id=finished["account"]["accountNumber"])).billing_status == (
        BillingStatus.FREE_TRIAL)


class _LongAgo(TimestampSigner):
    def get_timestamp(self) -> int:
        return int(time.time()) - 15 * 86400


async def test_forged_replaced_and_expired_links_open_nothing(clients_gateway: Gateway) -> None:
    gateway = clients_gateway
    tenant = await make_tenant()
    headers = await bearer_for(tenant.admin)
    draft = (await _save(gateway, headers, kind="COMPANY", customer=CUSTOMER))["draft"]
    await gateway.graphql(SEND, {"input": {"id": draft["id"]}}, **headers)
    first = parse_qs(urlsplit(_link((await received(gateway.smtp, 1))[0])).query)["token"][0]  # type: ignore[attr-defined]
    await gateway.graphql(SEND, {"input": {"id": draft["id"], "email": "autre@laval.test"}},
                          **headers)
    second_message = (await received(gateway.smtp, 2))[1]  # type: ignore[attr-defined]
    assert second_message["To"] == "autre@laval.test"
    second = parse_qs(urlsplit(_link(second_message)).query)["token"][0]

    async def codes(token: str) -> list[str]:
        result = (await gateway.graphql(INVITATION, {"token": token}))["data"]
        return [e["code"] for e in result["signupInvitation"]["errors"]]

    assert await codes(second) == []
    assert await codes(first) == ["LINK_INVALID"]  # replaced by the second sending
    tampered = ("A" if second[0] != "A" else "B") + second[1:]
    assert await codes(tampered) == ["LINK_INVALID"]
    row = await SignupDraft.get(id=int(_db_id(draft["id"])))
    expired = URLSafeTimedSerializer(gateway.app.state.settings.secret_key,
                                     salt="clients.signup-link", signer=_LongAgo).dumps(
        {"d": row.id, "n": row.link_nonce})
    assert await codes(expired) == ["LINK_EXPIRED"]
    stranger = await gateway.graphql(COMPLETE_AS_CLIENT, {"input": {"token": "abc"}})
    assert [e["code"] for e in stranger["data"]["completeSignupAsClient"]["errors"]] == [
        "LINK_INVALID"]


async def test_only_reseller_staff_run_the_wizard(gateway: Gateway) -> None:
    tenant = await make_tenant()
    for user in (tenant.company_admin, tenant.professional):
        result = await gateway.graphql(SAVE, {"input": {"kind": "COMPANY"}},
                                       **await bearer_for(user))
        assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    anonymous = await gateway.graphql(SAVE, {"input": {"kind": "COMPANY"}})
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    listed = await gateway.graphql(
        "{ signupDrafts(first: 5) { totalCount nodes { id } } }", **await bearer_for(tenant.admin))
    assert listed["data"]["signupDrafts"]["totalCount"] == 0
    assert to_base64("SignupDraft", 1)
