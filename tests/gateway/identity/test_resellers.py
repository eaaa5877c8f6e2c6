"""Resellers: creation by a system admin (with the primary admin's email), the phone system,
and the reseller's own settings: general information, account administrator, branding."""

from __future__ import annotations

import base64
import re
from typing import Any

from strawberry.relay import to_base64

from gateway.identity.models import Reseller, ResellerImage, User, UserRole
from gateway.identity.resellers import default_language_for
from gateway.models import OutboxJob
from gateway.settings import Settings
from tests.conftest import Gateway
from tests.gateway.identity.test_auth import login
from tests.gateway.identity.test_password_reset import RESET, outbox_mail
from tests.support.identity_factory import bearer_for, make_tenant, make_user

CREATE = """mutation($input: CreateResellerInput!) {
  createReseller(input: $input) {
    reseller { id name can defaultLanguage phoneSystem defaultProvider country }
    primaryAdmin { login email role firstName language phone }
    errors { code field message }
  }
}"""
RESELLERS = """query($search: String, $first: Int, $after: String) {
  resellers(filter: {search: $search}, first: $first, after: $after) {
    totalCount edges { cursor node { name can } } pageInfo { hasNextPage endCursor }
  }
}"""
MY_RESELLER = """{ myReseller { id name spid can defaultLanguage address city country state
  postalCode phoneSystem defaultProvider } }"""
GENERAL = """mutation($input: UpdateResellerGeneralInfoInput!) {
  updateResellerGeneralInfo(input: $input) {
    reseller { name spid can defaultLanguage address city country state postalCode }
    errors { code field message }
  }
}"""
PHONE_SYSTEM = """mutation($input: SetResellerPhoneSystemInput!) {
  setResellerPhoneSystem(input: $input) {
    reseller { phoneSystem defaultProvider } errors { code field message }
  }
}"""
ADMINISTRATOR = """mutation($input: UpdateAccountAdministratorInput!) {
  updateAccountAdministrator(input: $input) {
    user { login email language phone } errors { code field message }
  }
}"""
BRANDING = """mutation($input: UpdateResellerBrandingInput!) {
  updateResellerBranding(input: $input) {
    branding { resellerName logoUrl faviconUrl primaryColor secondaryColor supportEmail
      supportPhone }
    errors { code field message }
  }
}"""
READ_BRANDING = """query($id: ID) { resellerBranding(resellerId: $id) {
  resellerName logoUrl primaryColor supportEmail supportPhone } }"""

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(64))
ICO = b"\x00\x00\x01\x00" + bytes(32)


def data_url(content_type: str, data: bytes) -> str:
    return f"data:{content_type};base64,{base64.b64encode(data).decode()}"


def new_reseller_input(email: str = "Admin@Gamma.Example", **extra: Any) -> dict[str, Any]:
    return {
        "name": "Gamma Télécom", "defaultLanguage": "EN", "address": "1 rue Principale",
        "city": "Québec", "country": "ca", "state": "QC", "postalCode": "G1R 4P5",
        "phoneSystem": "Asterisk", "defaultProvider": "Twilio",
        "primaryAdmin": {"email": email, "firstName": "Gaby", "lastName": "Roy",
                         "language": "FR", "phone": "418 555 0142"},
        **extra,
    }


async def sysadmin_headers() -> dict[str, str]:
    return await bearer_for(await make_user(UserRole.SYSTEM_ADMIN))


# ---- creation ------------------------------------------------------------------------------

async def test_system_admin_creates_a_reseller_whose_admin_gets_a_link_and_signs_in(
    gateway: Gateway, settings: Settings
) -> None:
    result = await gateway.graphql(CREATE, {"input": new_reseller_input()},
                                   **await sysadmin_headers())
    payload = result["data"]["createReseller"]
    assert payload["errors"] == []
    reseller = payload["reseller"]
    assert reseller["name"] == "Gamma Télécom" and reseller["defaultLanguage"] == "en"
    assert re.fullmatch(r"CAN-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}", reseller["can"])
    assert (reseller["phoneSystem"], reseller["defaultProvider"]) == ("Asterisk", "Twilio")
    assert reseller["country"] == "CA"
    assert payload["primaryAdmin"] == {
        "login": "admin@gamma.example", "email": "admin@gamma.example",
        "role": "RESELLER_ADMIN", "firstName": "Gaby", "language": "fr",
        "phone": "+14185550142",
    }
    stored = await Reseller.get(can=reseller["can"]).prefetch_related("primary_admin")
    assert stored.primary_admin.login == "admin@gamma.example"
    assert stored.primary_admin.password_hash is None  # nobody knows a password yet

    [mail] = await outbox_mail(settings)
    assert mail.to == "admin@gamma.example" and mail.language == "fr"
    assert "Gamma Télécom" in mail.subject
    assert "admin@gamma.example" in mail.text and reseller["can"] in mail.text
    reset = await gateway.graphql(RESET, {"token": mail.token, "password": "Premier-mdp-9"})
    assert reset["data"]["resetPassword"] == {"login": "admin@gamma.example", "errors": []}
    signed_in = await login(gateway, "ADMIN@gamma.example", "Premier-mdp-9")
    assert signed_in["errors"] == [] and signed_in["user"]["role"] == "RESELLER_ADMIN"


async def test_create_reseller_reports_every_problem_and_creates_nothing(
    gateway: Gateway
) -> None:
    tenant = await make_tenant()
    headers = await sysadmin_headers()
    bad = new_reseller_input(email=tenant.company_admin.email.upper(), name=" ",
                             country="Canada")
    bad["primaryAdmin"]["phone"] = "514-CALL-NOW"
    result = await gateway.graphql(CREATE, {"input": bad}, **headers, **{"Accept-Language": "fr"})
    payload = result["data"]["createReseller"]
    assert payload["reseller"] is None
    codes = {(e["code"], tuple(e["field"])) for e in payload["errors"]}
    assert codes == {
        ("REQUIRED", ("input", "name")),
        ("INVALID_COUNTRY", ("input", "country")),
        ("INVALID_PHONE", ("input", "primaryAdmin", "phone")),
        ("EMAIL_TAKEN", ("input", "primaryAdmin", "email")),
    }
    # The system admin's own language (en here) wins over the header: messages follow the user.
    taken = next(e for e in payload["errors"] if e["code"] == "EMAIL_TAKEN")
    assert "already" in taken["message"]
    assert await Reseller.all().count() == 1
    assert not await OutboxJob.filter(job="email.send").exists()


async def test_messages_are_in_the_callers_language(gateway: Gateway) -> None:
    sysadmin = await make_user(UserRole.SYSTEM_ADMIN, language="fr")
    result = await gateway.graphql(CREATE, {"input": new_reseller_input(name="")},
                                   **await bearer_for(sysadmin))
    [error] = result["data"]["createReseller"]["errors"]
    assert error["message"] == "Ce champ est obligatoire."


async def test_only_system_admins_create_and_list_resellers(gateway: Gateway) -> None:
    tenant = await make_tenant()
    denied = await gateway.graphql(CREATE, {"input": new_reseller_input()},
                                   **await bearer_for(tenant.admin))
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    listed = await gateway.graphql(RESELLERS, **await bearer_for(tenant.admin))
    assert listed["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert not await User.filter(login="admin@gamma.example").exists()


async def test_resellers_connection_pages_and_searches(gateway: Gateway) -> None:
    for name in ("Alpha", "Beta", "Gamma"):
        await make_tenant(name)
    headers = await sysadmin_headers()
    first = (await gateway.graphql(RESELLERS, {"first": 2}, **headers))["data"]["resellers"]
    assert first["totalCount"] == 3
    assert [e["node"]["name"] for e in first["edges"]] == ["Alpha", "Beta"]
    assert first["pageInfo"]["hasNextPage"] is True
    rest = (await gateway.graphql(RESELLERS, {"first": 2, "after": first["pageInfo"]["endCursor"]},
                                  **headers))["data"]["resellers"]
    assert [e["node"]["name"] for e in rest["edges"]] == ["Gamma"]
    found = (await gateway.graphql(RESELLERS, {"search": "bet"}, **headers))["data"]["resellers"]
    assert [e["node"]["name"] for e in found["edges"]] == ["Beta"]


async def test_phone_system_is_set_by_a_system_admin_and_read_only_for_the_reseller(
    gateway: Gateway
) -> None:
    alpha = await make_tenant("Alpha")
    reseller_id = to_base64("Reseller", alpha.reseller.id)
    variables = {"input": {"resellerId": reseller_id, "phoneSystem": "BroadSoft",
                           "defaultProvider": "Bell"}}
    denied = await gateway.graphql(PHONE_SYSTEM, variables, **await bearer_for(alpha.admin))
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    done = await gateway.graphql(PHONE_SYSTEM, variables, **await sysadmin_headers())
    assert done["data"]["setResellerPhoneSystem"] == {
        "reseller": {"phoneSystem": "BroadSoft", "defaultProvider": "Bell"}, "errors": []}
    mine = await gateway.graphql(MY_RESELLER, **await bearer_for(alpha.admin))
    assert mine["data"]["myReseller"]["phoneSystem"] == "BroadSoft"
    # Not a field of the reseller's own input.
    sneaky = await gateway.graphql(GENERAL, {"input": {"phoneSystem": "Mine"}},
                                   **await bearer_for(alpha.admin))
    assert sneaky["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    unknown = await gateway.graphql(
        PHONE_SYSTEM, {"input": {**variables["input"], "resellerId": to_base64("Reseller", 999)}},
        **await sysadmin_headers())
    assert unknown["data"]["setResellerPhoneSystem"]["errors"][0]["code"] == "NOT_FOUND"


# ---- general information -------------------------------------------------------------------

async def test_general_information_changes_only_what_is_given_and_never_the_can(
    gateway: Gateway
) -> None:
    alpha = await make_tenant("Alpha")
    headers = await bearer_for(alpha.admin)
    before = (await gateway.graphql(MY_RESELLER, **headers))["data"]["myReseller"]
    changed = await gateway.graphql(GENERAL, {"input": {
        "spid": " SP-42 ", "name": "Alpha Télécom inc.", "defaultLanguage": "EN",
        "address": "10 rue Sainte-Catherine", "city": "Montréal", "country": "ca",
        "state": "QC", "postalCode": "H2X 1K4"}}, **headers)
    payload = changed["data"]["updateResellerGeneralInfo"]
    assert payload["errors"] == []
    assert payload["reseller"] == {
        "name": "Alpha Télécom inc.", "spid": "SP-42", "can": before["can"],
        "defaultLanguage": "en", "address": "10 rue Sainte-Catherine", "city": "Montréal",
        "country": "CA", "state": "QC", "postalCode": "H2X 1K4"}
    partial = await gateway.graphql(GENERAL, {"input": {"city": "Laval", "spid": None}},
                                    **headers)
    reseller = partial["data"]["updateResellerGeneralInfo"]["reseller"]
    assert (reseller["city"], reseller["spid"], reseller["name"]) == (
        "Laval", None, "Alpha Télécom inc.")
    assert default_language_for(await Reseller.get(id=alpha.reseller.id)) == "en"
    # The CAN is not an input field at all.
    refused = await gateway.graphql(GENERAL, {"input": {"can": "CAN-AAAA-BBBB"}}, **headers)
    assert refused["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert (await Reseller.get(id=alpha.reseller.id)).can == before["can"]


async def test_general_information_refuses_bad_values(gateway: Gateway) -> None:
    alpha = await make_tenant("Alpha")
    result = await gateway.graphql(
        GENERAL, {"input": {"name": "", "defaultLanguage": None, "country": "XX",
                            "postalCode": "9" * 21}}, **await bearer_for(alpha.admin))
    payload = result["data"]["updateResellerGeneralInfo"]
    assert {(e["code"], e["field"][-1]) for e in payload["errors"]} == {
        ("REQUIRED", "name"), ("INVALID_LANGUAGE", "defaultLanguage"),
        ("INVALID_COUNTRY", "country"), ("TOO_LONG", "postalCode")}
    assert (await Reseller.get(id=alpha.reseller.id)).name == "Alpha"


async def test_subscribers_cannot_touch_the_resellers_settings(gateway: Gateway) -> None:
    alpha = await make_tenant("Alpha")
    for user in (alpha.company_admin, alpha.employee, alpha.professional):
        result = await gateway.graphql(GENERAL, {"input": {"name": "Pirate"}},
                                       **await bearer_for(user))
        assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        mine = await gateway.graphql(MY_RESELLER, **await bearer_for(user))
        assert mine["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await Reseller.get(id=alpha.reseller.id)).name == "Alpha"


def test_default_language_for_new_subscribers() -> None:
    assert default_language_for(Reseller(default_language="en")) == "en"
    assert default_language_for(Reseller(default_language="FR")) == "fr"
    assert default_language_for(Reseller(default_language="de")) == "fr"


# ---- account administrator -----------------------------------------------------------------

async def test_account_administrator_changes_language_phone_and_login_email(
    gateway: Gateway, settings: Settings
) -> None:
    alpha = await make_tenant("Alpha")
    old_email = alpha.admin.email
    result = await gateway.graphql(ADMINISTRATOR, {"input": {
        "language": "FR", "phone": "(514) 555-0177", "email": " Nouvel.Admin@Alpha.Example ",
        "currentPassword": "Secret-pass1"}}, **await bearer_for(alpha.admin))
    assert result["data"]["updateAccountAdministrator"] == {
        "user": {"login": "nouvel.admin@alpha.example", "email": "nouvel.admin@alpha.example",
                 "language": "fr", "phone": "+15145550177"}, "errors": []}
    assert (await login(gateway, "nouvel.admin@alpha.example", "Secret-pass1"))["errors"] == []
    old = await login(gateway, old_email, "Secret-pass1")
    assert old["errors"][0]["code"] == "INVALID_CREDENTIALS"
    [notice] = await outbox_mail(settings)
    assert notice.to == old_email and notice.language == "fr"
    assert "nouvel.admin@alpha.example" in notice.text


async def test_account_administrator_email_must_be_free(gateway: Gateway) -> None:
    alpha = await make_tenant("Alpha")
    beta = await make_tenant("Beta")
    headers = await bearer_for(alpha.admin)
    for taken in (beta.employee.login.upper(), alpha.company_admin.email):
        result = await gateway.graphql(ADMINISTRATOR, {"input": {"email": taken}}, **headers)
        [error] = result["data"]["updateAccountAdministrator"]["errors"]
        assert (error["code"], error["field"]) == ("EMAIL_TAKEN", ["input", "email"])
        assert taken.lower() not in error["message"].lower()
    bad = await gateway.graphql(ADMINISTRATOR, {"input": {"email": "pas-un-courriel",
                                                          "phone": "12"}}, **headers)
    assert {e["code"] for e in bad["data"]["updateAccountAdministrator"]["errors"]} == {
        "INVALID_EMAIL", "INVALID_PHONE"}
    assert (await User.get(id=alpha.admin.id)).login == alpha.admin.login


# ---- branding ------------------------------------------------------------------------------

async def test_branding_with_uploaded_images_served_by_the_gateway(gateway: Gateway) -> None:
    alpha = await make_tenant("Alpha")
    result = await gateway.graphql(BRANDING, {"input": {
        "logo": data_url("image/png", PNG), "favicon": data_url("image/x-icon", ICO),
        "primaryColor": "#1a73e8", "secondaryColor": "#FFFFFF",
        "supportEmail": "Soutien@Alpha.Example", "supportPhone": "514 555 0199"}},
        **await bearer_for(alpha.admin))
    payload = result["data"]["updateResellerBranding"]
    assert payload["errors"] == []
    branding = payload["branding"]
    assert branding["primaryColor"] == "#1A73E8" and branding["secondaryColor"] == "#FFFFFF"
    assert branding["supportEmail"] == "soutien@alpha.example"
    assert branding["supportPhone"] == "+15145550199"
    logo = await gateway.client.get(branding["logoUrl"].removeprefix("http://testserver"))
    assert logo.status_code == 200 and logo.content == PNG
    assert logo.headers["content-type"] == "image/png"
    assert logo.headers["x-content-type-options"] == "nosniff"
    favicon = await gateway.client.get(branding["faviconUrl"].removeprefix("http://testserver"))
    assert favicon.content == ICO and favicon.headers["content-type"] == "image/x-icon"
    # The URL names the image: another reseller id or digest finds nothing.
    wrong = branding["logoUrl"].removeprefix("http://testserver").replace(
        f"/{alpha.reseller.id}/", f"/{alpha.reseller.id + 1}/")
    assert (await gateway.client.get(wrong)).status_code == 404

    replaced = await gateway.graphql(BRANDING, {"input": {"logo": "https://cdn.alpha.example/l.png",
                                                          "favicon": None}},
                                     **await bearer_for(alpha.admin))
    branding = replaced["data"]["updateResellerBranding"]["branding"]
    assert branding["logoUrl"] == "https://cdn.alpha.example/l.png"
    assert branding["faviconUrl"] is None and branding["primaryColor"] == "#1A73E8"
    assert await ResellerImage.filter(reseller_id=alpha.reseller.id).count() == 0
    assert (await gateway.client.get(logo.url.path)).status_code == 404


async def test_branding_refuses_unsafe_or_wrong_values(gateway: Gateway) -> None:
    alpha = await make_tenant("Alpha")
    svg = data_url("image/svg+xml", b"<svg onload='alert(1)'></svg>")
    disguised = data_url("image/png", b"GIF89a" + bytes(20))
    huge = data_url("image/png", PNG + bytes(300 * 1024))
    cases = [
        ({"logo": svg}, "INVALID_IMAGE"),
        ({"logo": disguised}, "INVALID_IMAGE"),
        ({"logo": huge}, "IMAGE_TOO_LARGE"),
        ({"logo": "data:image/png;base64,@@@"}, "INVALID_IMAGE"),
        ({"favicon": "http://cdn.example/f.ico"}, "INVALID_URL"),
        ({"logo": "javascript:alert(1)"}, "INVALID_URL"),
        ({"primaryColor": "blue"}, "INVALID_COLOR"),
        ({"secondaryColor": "#12345"}, "INVALID_COLOR"),
        ({"supportEmail": "support@"}, "INVALID_EMAIL"),
        ({"supportPhone": "1-800-FLOWERS"}, "INVALID_PHONE"),
    ]
    headers = await bearer_for(alpha.admin)
    for given, code in cases:
        result = await gateway.graphql(BRANDING, {"input": given}, **headers)
        errors = result["data"]["updateResellerBranding"]["errors"]
        assert [e["code"] for e in errors] == [code], given
    assert (await Reseller.get(id=alpha.reseller.id)).branding == {}
    assert not await ResellerImage.all().exists()


async def test_subscribers_see_their_resellers_branding_and_no_other(gateway: Gateway) -> None:
    alpha = await make_tenant("Alpha")
    beta = await make_tenant("Beta")
    await gateway.graphql(BRANDING, {"input": {"supportEmail": "help@alpha.example",
                                               "supportPhone": "+1 514 555 0123"}},
                          **await bearer_for(alpha.admin))
    for user in (alpha.employee, alpha.professional, alpha.company_admin):
        seen = await gateway.graphql(READ_BRANDING, **await bearer_for(user))
        assert seen["data"]["resellerBranding"] == {
            "resellerName": "Alpha", "logoUrl": None, "primaryColor": None,
            "supportEmail": "help@alpha.example", "supportPhone": "+15145550123"}
    other = await gateway.graphql(READ_BRANDING, {"id": to_base64("Reseller", alpha.reseller.id)},
                                  **await bearer_for(beta.employee))
    assert other["data"]["resellerBranding"] is None
    anonymous = await gateway.graphql(READ_BRANDING)
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
