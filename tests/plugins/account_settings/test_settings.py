"""The Options page: every section with the seed's defaults, validation with field and reason,
nothing half-saved, roles, test mode through the clients plugin, the provisioning codes, the
SIP secret encrypted at rest."""

from __future__ import annotations

from typing import Any

from gateway.identity.models import User, UserRole
from gateway.identity.secrets import verify_secret
from plugins.account_settings.models import AccountOptions
from plugins.clients import services as clients
from tests.plugins.account_settings.conftest import FTP_SITE, World

COMPANY = """query($id: ID!) { accountOptions(accountId: $id) {
  customUrls { portalUrl voiceAssistantUrl voiceReceptionistUrl voiceAlertsUrl logoutUrl }
  extensions { length users { first last } groups { first last } services { first last } }
  sharedContactsLimit restrictions { forbidUserManagement testMode }
  provisioning { ftpSite user password } limits { contactsLimit } } }"""
PROFESSIONAL = """query($id: ID!) { accountOptions(accountId: $id) {
  customUrls { portalUrl } limits { contactsLimit directoryContactsLimit
  downloadedMessagesLimit voicemailsOnDisk faxesOnDisk }
  assistant { staysOnOutgoing staysOnIncoming alwaysRefreshContacts }
  transcription { method email choices } adminManaged sipCredentials { username hasSecret }
  callerId { displayName number } } }"""
UPDATE = """mutation($input: UpdateAccountOptionsInput!) { updateAccountOptions(input: $input) {
  options { extensions { length users { first last } } sharedContactsLimit
    customUrls { portalUrl logoutUrl } restrictions { forbidUserManagement testMode }
    limits { contactsLimit } transcription { method email } sipCredentials { username hasSecret }
    callerId { displayName number } adminManaged }
  errors { code field message } } }"""


async def update(world: World, input: dict[str, Any], who: str = "staff") -> dict[str, Any]:
    data = await world.call(who, UPDATE, {"input": input})
    return data["updateAccountOptions"]  # type: ignore[no-any-return]


async def test_company_defaults_as_the_seed_gives_them(world: World) -> None:
    options = (await world.call("staff", COMPANY, {"id": world.company_id}))["accountOptions"]
    assert options["customUrls"] == {"portalUrl": "", "voiceAssistantUrl": "",
                                     "voiceReceptionistUrl": "", "voiceAlertsUrl": "",
                                     "logoutUrl": ""}
    assert options["extensions"] == {"length": 3, "users": {"first": 100, "last": 299},
                                     "groups": {"first": 500, "last": 599},
                                     "services": {"first": 700, "last": 799}}
    assert options["sharedContactsLimit"] == 500
    assert options["restrictions"] == {"forbidUserManagement": False, "testMode": False}
    assert options["limits"] is None  # a professional section
    provisioning = options["provisioning"]
    assert provisioning["ftpSite"] == FTP_SITE
    assert provisioning["user"] == world.tenant.company.can
    assert provisioning["password"] and provisioning["password"].isdigit()
    # The security code is stable and stored encrypted, not in clear.
    again = (await world.call("staff", COMPANY, {"id": world.company_id}))["accountOptions"]
    assert again["provisioning"]["password"] == provisioning["password"]
    stored = await AccountOptions.get(account_id=world.tenant.company.id)
    assert stored.security_code and provisioning["password"] not in stored.security_code


async def test_professional_defaults(world: World) -> None:
    options = (await world.call("staff", PROFESSIONAL, {"id": world.professional_id})
               )["accountOptions"]
    assert options["customUrls"] is None
    assert options["limits"] == {"contactsLimit": 500, "directoryContactsLimit": 500,
                                 "downloadedMessagesLimit": 50, "voicemailsOnDisk": 25,
                                 "faxesOnDisk": 25}
    assert options["assistant"] == {"staysOnOutgoing": False, "staysOnIncoming": False,
                                    "alwaysRefreshContacts": False}
    # Mutare is the default method when installed; the choices are the installed providers.
    assert options["transcription"] == {"method": "Mutare", "email": "",
                                        "choices": ["GoogleSpeech", "Mutare", "MyScribbit",
                                                    "NONE"]}
    assert options["adminManaged"] is False
    assert options["sipCredentials"] == {"username": "", "hasSecret": False}
    assert options["callerId"] == {"displayName": "", "number": None}


async def test_urls_and_ranges_saved_and_refused_with_field_and_reason(world: World) -> None:
    payload = await update(world, {
        "accountId": world.company_id,
        "customUrls": {"portalUrl": "https://portal.example.com/alpha", "logoutUrl": ""},
        "extensions": {"length": 4, "users": {"first": 1000, "last": 4999},
                       "groups": {"first": 5000, "last": 5999},
                       "services": {"first": 7000, "last": 7999}},
        "sharedContactsLimit": 800,
    })
    assert payload["errors"] == []
    assert payload["options"]["customUrls"] == {"portalUrl": "https://portal.example.com/alpha",
                                                "logoutUrl": ""}
    assert payload["options"]["extensions"] == {"length": 4,
                                                "users": {"first": 1000, "last": 4999}}
    assert payload["options"]["sharedContactsLimit"] == 800

    bad = await update(world, {
        "accountId": world.company_id,
        "customUrls": {"voiceAlertsUrl": "ftp://voices.example.com", "portalUrl": "portal"},
        "extensions": {"users": {"first": 1000, "last": 5500}},  # overlaps the groups
        "sharedContactsLimit": 3001,
    })
    assert bad["options"] is None
    assert sorted((e["code"], ".".join(e["field"])) for e in bad["errors"]) == [
        ("INVALID", "input.customUrls.portalUrl"),
        ("INVALID", "input.customUrls.voiceAlertsUrl"),
        ("OUT_OF_RANGE", "input.sharedContactsLimit"),
        ("RANGES_OVERLAP", "input.extensions.groups"),
    ]
    assert all(e["message"] for e in bad["errors"])
    # Nothing of it was saved.
    stored = await AccountOptions.get(account_id=world.tenant.company.id)
    assert (stored.portal_url, stored.user_extensions_last, stored.shared_contacts_limit) == (
        "https://portal.example.com/alpha", 4999, 800)

    # A length the ranges do not fit, and a range backwards.
    shorter = await update(world, {"accountId": world.company_id, "extensions": {"length": 3}})
    assert {(e["code"], e["field"][-1]) for e in shorter["errors"]} == {
        ("OUT_OF_RANGE", "users"), ("OUT_OF_RANGE", "groups"), ("OUT_OF_RANGE", "services")}
    backwards = await update(world, {"accountId": world.company_id,
                                     "extensions": {"services": {"first": 7999, "last": 7000}}})
    assert [(e["code"], e["field"]) for e in backwards["errors"]] == [
        ("INVALID", ["input", "extensions", "services"])]
    # A company has no professional sections and the other way round.
    wrong = await update(world, {"accountId": world.company_id, "adminManaged": True})
    assert [(e["code"], e["field"]) for e in wrong["errors"]] == [
        ("WRONG_ACCOUNT_KIND", ["input", "adminManaged"])]


async def test_test_mode_is_the_clients_plugins_flag(world: World) -> None:
    payload = await update(world, {"accountId": world.company_id,
                                   "restrictions": {"testMode": True,
                                                    "forbidUserManagement": True}})
    assert payload["options"]["restrictions"] == {"forbidUserManagement": True,
                                                  "testMode": True}
    assert await clients.is_test_mode(world.tenant.company.id)
    await clients.set_test_mode(world.tenant.company.id, False)
    options = (await world.call("staff", COMPANY, {"id": world.company_id}))["accountOptions"]
    assert options["restrictions"]["testMode"] is False


async def test_roles_and_other_resellers(world: World) -> None:
    # The company admin reads its own Options, with the provisioning password...
    own = (await world.call("company admin", COMPANY, {"id": world.company_id}))
    assert own["accountOptions"]["provisioning"]["password"]
    # ...but cannot change them; an employee cannot even read them.
    refused = await world.gateway.graphql(UPDATE, {"input": {
        "accountId": world.company_id, "sharedContactsLimit": 10}},
        **world.headers["company admin"])
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    employee = await world.gateway.graphql(COMPANY, {"id": world.company_id},
                                           **world.headers["employee"])
    assert employee["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # Once user management is forbidden, the company admin no longer sees the password.
    await update(world, {"accountId": world.company_id,
                         "restrictions": {"forbidUserManagement": True}})
    hidden = await world.call("company admin", COMPANY, {"id": world.company_id})
    assert hidden["accountOptions"]["provisioning"]["password"] is None
    # Another reseller's account is "not found".
    assert (await world.call("other staff", COMPANY, {"id": world.company_id})
            )["accountOptions"] is None
    foreign = await update(world, {"accountId": world.company_id, "sharedContactsLimit": 10},
                           who="other staff")
    assert [e["code"] for e in foreign["errors"]] == ["NOT_FOUND"]


async def test_professional_sections(world: World) -> None:
    pid = world.professional_id
    payload = await update(world, {
        "accountId": pid, "limits": {"contactsLimit": 3000, "faxesOnDisk": 40},
        "transcription": {"method": "myscribbit", "email": "Dre@Scribe.example.com"},
        "adminManaged": True,
        "sipCredentials": {"username": "dre.tremblay", "secret": "sip-secret-42"},
        "callerId": {"displayName": "Dre Tremblay"},
        "pin": {"pin": "4321", "confirmation": "4321"},
    })
    assert payload["errors"] == []
    options = payload["options"]
    assert options["limits"] == {"contactsLimit": 3000}
    assert options["transcription"] == {"method": "MyScribbit",
                                        "email": "dre@scribe.example.com"}
    assert options["sipCredentials"] == {"username": "dre.tremblay", "hasSecret": True}
    assert options["adminManaged"] is True
    # The secret is encrypted at rest and never shown back.
    stored = await AccountOptions.get(account_id=world.tenant.professional_account.id)
    assert stored.sip_secret and "sip-secret-42" not in stored.sip_secret
    from plugins.account_settings.services import decrypt

    assert decrypt(world.gateway.app.state.host, stored.sip_secret) == "sip-secret-42"
    user = await User.get(id=world.tenant.professional.id)
    assert user.role == UserRole.PROFESSIONAL and verify_secret(user.pin_hash, "4321")

    # A new user name keeps the stored secret when none is given.
    kept = await update(world, {"accountId": pid, "sipCredentials": {"username": "dre2"}})
    assert kept["options"]["sipCredentials"] == {"username": "dre2", "hasSecret": True}

    bad = await update(world, {
        "accountId": pid, "limits": {"contactsLimit": 3001, "voicemailsOnDisk": 0},
        "transcription": {"method": "MyScribbit"},
        "pin": {"pin": "12a4", "confirmation": "12a4"},
        "sipCredentials": {"username": "has space", "secret": "short"},
        "callerId": {"displayName": "A name far too long for a display", "number": "+15145550199"},
    })
    assert sorted((e["code"], ".".join(e["field"])) for e in bad["errors"]) == [
        ("INVALID", "input.callerId.displayName"),
        ("INVALID", "input.callerId.number"),
        ("INVALID", "input.pin.pin"),
        ("INVALID", "input.sipCredentials.secret"),
        ("INVALID", "input.sipCredentials.username"),
        ("OUT_OF_RANGE", "input.limits.contactsLimit"),
        ("OUT_OF_RANGE", "input.limits.voicemailsOnDisk"),
        ("REQUIRED", "input.transcription.email"),
    ]
    unknown = await update(world, {"accountId": pid, "transcription": {"method": "Nuance"}})
    assert [(e["code"], e["field"][-1]) for e in unknown["errors"]] == [("INVALID", "method")]
    assert "Mutare" in unknown["errors"][0]["message"]
    mismatch = await update(world, {"accountId": pid,
                                    "pin": {"pin": "1234", "confirmation": "1243"}})
    assert [e["field"] for e in mismatch["errors"]] == [["input", "pin", "confirmation"]]
    # Nothing of the refused updates was saved.
    stored = await AccountOptions.get(account_id=world.tenant.professional_account.id)
    assert (stored.contacts_limit, stored.sip_username) == (3000, "dre2")
