"""GraphQL of the Options page (Réglages d'un compte client): every section of a company's
and of a professional's settings, read by the account's admin, written by reseller staff."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry

from gateway.api import (
    ACCOUNT_NOT_FOUND,
    STAFF,
    Account,
    AccountKind,
    AccountNode,
    Error,
    PhoneNumber,
    Problem,
    Role,
    account_for,
    account_loader,
    as_data,
    describe_enum_values,
    error_type,
    field,
    given,
    mutation,
    node_pk,
)
from plugins.account_settings import services, settings
from plugins.account_settings.config import config_of
from plugins.account_settings.errors import AccountSettingsErrorCode
from plugins.account_settings.models import AccountOptions
from plugins.account_settings.options import get_options
from plugins.clients import api as clients


@error_type("AccountSettings", AccountSettingsErrorCode)
class AccountSettingsError(Error):
    """A refusal of the AccountSettings area: what was wrong, where, and why."""


describe_enum_values(AccountSettingsErrorCode, {
    "INVALID": "The value is malformed: a URL, email, phone number, MAC address, PIN, SIP "
    "credential or name that is not valid or too long.",
    "REQUIRED": "A value is missing (e.g. a name, the MyScribbit email, a contact's phone "
    "number or email, whose pool or contact it is).",
    "OUT_OF_RANGE": "A number outside its bounds: a limit, an extension length, or an "
    "extension outside its range.",
    "NOT_FOUND": "No such account, user, number, device, contact, extension or message among "
    "those you may see.",
    "NOT_ALLOWED": "You may not make this change (e.g. user management is forbidden, or the "
    "account is managed by its reseller's administrator).",
    "WRONG_ACCOUNT_KIND": "The section belongs to the other kind of account (company or "
    "professional).",
    "RANGES_OVERLAP": "Two extension ranges (users, groups, services) overlap.",
    "EXTENSION_TAKEN": "The extension is already given to a user, a group or a service.",
    "RANGE_FULL": "No free extension is left in the range.",
    "DUPLICATE": "Already there: a number in the pool or twice in the file, or a device's MAC "
    "address.",
    "IGNORED": "An import line skipped because its number has letters (e.g. 1-800-COMPAGN).",
    "NUMBER_IN_USE": "The number is assigned to an account: release it first.",
    "LIMIT_REACHED": "The account's contacts limit (or its voice directory's) is reached.",
    "FREE_TRIAL_RESTRICTION": "Not during a free trial (Essai gratuit): assigning numbers and "
    "turning their options on.",
    "ACCOUNT_UNSUBSCRIBED": "The account is unsubscribed (Désabonné).",
    "TOO_MANY": "Too many lines in one import (at most 10,000).",
    "NUMBER_UNAVAILABLE": "The number belongs to another pool of the platform (whose is never "
    "said).",
    "NO_NUMBER_AVAILABLE": "Not enough free numbers of the type and area code asked in the "
    "pool: nothing was taken.",
})

# The account an argument names: one the caller may not see reads as none.
AccountIdArg = Annotated[strawberry.ID, strawberry.argument(
    description="The account's global ID; an account you may not see gives an empty answer "
    "(null or nothing listed).")]

# Who reads an account's Options page: the reseller's staff, and the account's own admin.
READERS = (*STAFF, Role.COMPANY_ADMIN, Role.PROFESSIONAL)
# Who manages devices and extensions: staff, and a company admin unless it is forbidden.
MANAGERS = (*STAFF, Role.COMPANY_ADMIN)
ACCOUNT_ID: list[str | int] = ["input", "accountId"]


async def target_account(info: strawberry.Info, raw: Any,
                         where: list[str | int] | None = None) -> Account:
    """The account an input names, among those the caller sees ("not found" at ``where``)."""
    where = where or ACCOUNT_ID
    return await account_for(info.context.principal,
                             node_pk(raw, "Account", where, ACCOUNT_NOT_FOUND), where)


@strawberry.type(description="A range of extension numbers, both ends included.")
class ExtensionRange:
    first: int = strawberry.field(description="The range's lowest extension, e.g. 100.")
    last: int = strawberry.field(description="The range's highest extension, e.g. 299.")


@strawberry.type(description="Adresse URL des interfaces personnalisées; empty = the system "
                 "default.")
class CustomUrls:
    portal_url: str = strawberry.field(description="Pages du portail Web: the company's own web "
                                       "portal, where its users sign in.")
    voice_assistant_url: str = strawberry.field(description="Voix - Assistante virtuelle: the "
                                                "virtual assistant's custom voice.")
    voice_receptionist_url: str = strawberry.field(description="Voix - Réceptionniste "
                                                   "virtuelle: the virtual receptionist's "
                                                   "custom voice.")
    voice_alerts_url: str = strawberry.field(description="Voix - Alertes vocales: the voice "
                                             "alerts' custom voice.")
    logout_url: str = strawberry.field(description="Page après déconnexion: where users land "
                                       "after signing out of the web portal.")


@strawberry.type(description="Postes téléphoniques: length (default 3) and the ranges of each "
                 "kind (users 100-299, groups 500-599, services 700-799). Changes apply to new "
                 "extensions only.")
class ExtensionSettings:
    length: int = strawberry.field(description="Digits in every extension (2 to 6; default "
                                   "3).")
    users: ExtensionRange = strawberry.field(description="Employees' extensions (Utilisateurs; "
                                             "default 100-299).")
    groups: ExtensionRange = strawberry.field(description="Extension groups' and employee "
                                              "groups' extensions (Groupes; default 500-599).")
    services: ExtensionRange = strawberry.field(
        description="Services' extensions: virtual assistant, voicemail, recorder, virtual "
        "receptionist, on-call agent (Services; default 700-799).")


@strawberry.type(description="Restrictions de gestion du compte (company): what its admin "
                 "may change, and test mode.")
class ManagementRestrictions:
    forbid_user_management: bool = strawberry.field(
        description="Interdire la gestion des utilisateurs (to the company admin).")
    test_mode: bool = strawberry.field(description="Compte en mode test: no outgoing call or "
                                       "email; billing goes on.")


@strawberry.type(description="Configuration de démarrage des téléphones IP: the FTP site and "
                 "access codes an IP phone is provisioned with.")
class IpPhoneProvisioning:
    ftp_site: str = strawberry.field(description="Site FTP: the IP phones' provisioning server, "
                                     "set by the system administrator (empty until set).")
    user: str = strawberry.field(description="Utilisateur: the account's number (CAN).")
    password: str | None = strawberry.field(
        description="Mot de passe: the account's 8-digit security code; null for whoever may "
        "not see it (shown to staff, and to the account's company admin unless user management "
        "is forbidden).")


@strawberry.type(description="Limites du compte d'utilisateur (professional): how many "
                 "contacts, messages and faxes it keeps.")
class AccountLimits:
    contacts_limit: int = strawberry.field(description="Nombre de contacts: the most personal "
                                           "contacts a user keeps; default 500, at most 3000.")
    directory_contacts_limit: int = strawberry.field(
        description="Nombre de contacts dans le bottin vocal: the most shared contacts in the "
        "voice directory; default 500, at most 3000 (a smaller directory recognises names "
        "better).")
    downloaded_messages_limit: int = strawberry.field(
        description="Nombre de messages téléchargés: messages the virtual assistant downloads "
        "in a phone session; default 50, at most 500 (more means a longer wait).")
    voicemails_on_disk: int = strawberry.field(
        description="Messages vocaux sur disque: voicemails kept; default 25, at most 1000; the "
        "oldest are removed beyond it.")
    faxes_on_disk: int = strawberry.field(
        description="Télécopies sur disque: faxes kept; default 25, at most 1000; the oldest "
        "are removed beyond it.")


@strawberry.type(description="Options d'appel de l'assistante (professional): how the "
                 "virtual assistant behaves during calls.")
class AssistantCallOptions:
    stays_on_outgoing: bool = strawberry.field(description="Stays on the line during and after "
                                               "outgoing calls.")
    stays_on_incoming: bool = strawberry.field(description="Stays on the line during incoming "
                                               "calls, for conferences.")
    always_refresh_contacts: bool = strawberry.field(
        description="Toujours rafraîchir les contacts personnels: the virtual assistant always "
        "refreshes the user's personal contacts list.")


@strawberry.type(description="Transcription de messages vocaux (professional): the "
                 "provider that transcribes the user's voicemails.")
class VoicemailTranscription:
    method: str = strawberry.field(description="The provider voicemails are transcribed with, "
                                   "one of choices (NONE: Aucun); the system default (Mutare "
                                   "when offered) until one is chosen.")
    email: str = strawberry.field(description="The MyScribbit account's address, if that is "
                                  "the method.")
    choices: list[str] = strawberry.field(description="The installed providers, then NONE.")


@strawberry.type(description="Codes d'accès SIP pour les appels sortants. The password is "
                 "never shown.")
class SipCredentials:
    username: str = strawberry.field(description="The SIP user name (Nom d'utilisateur); empty "
                                     "when none is set.")
    has_secret: bool = strawberry.field(description="Whether a SIP password is stored (it is "
                                        "kept encrypted and never returned).")


@strawberry.type(description="Information affichée pour les appels sortants (professional): "
                 "the caller ID people called see.")
class CallerId:
    display_name: str = strawberry.field(description="Nom affiché: the name people called see "
                                         "(at most 15 characters; empty: none set).")
    number: PhoneNumber | None = strawberry.field(description="Numéro affiché: one of the "
                                                  "account's own numbers, E.164; null: none "
                                                  "chosen.")


@strawberry.type(name="AccountOptions",
                 description="The Options page of an account. Company sections are null for "
                 "a professional and the other way round.")
class AccountOptionsView:
    account_id: strawberry.Private[int]
    custom_urls: CustomUrls | None = strawberry.field(
        description="Company: the custom voices' and web pages' URLs; null for a professional.")
    extensions: ExtensionSettings | None = strawberry.field(
        description="Company: extension length and ranges; null for a professional.")
    shared_contacts_limit: int | None = strawberry.field(
        description="Company (Limite des contacts partagés): the most contacts its voice "
        "directory holds, employees and shared contacts together (1 to 3000, default 500); null "
        "for a professional.")
    restrictions: ManagementRestrictions | None = strawberry.field(
        description="Company: management restrictions and test mode; null for a professional.")
    provisioning: IpPhoneProvisioning = strawberry.field(
        description="The IP phones' provisioning access codes (both kinds of account).")
    limits: AccountLimits | None = strawberry.field(
        description="Professional: contacts, messages and faxes limits; null for a company.")
    assistant: AssistantCallOptions | None = strawberry.field(
        description="Professional: the virtual assistant's call options; null for a company.")
    transcription: VoicemailTranscription | None = strawberry.field(
        description="Professional: how voicemails are transcribed; null for a company.")
    admin_managed: bool | None = strawberry.field(
        description="Compte géré par l'administrateur (professional): while true, only the "
        "reseller changes the account's configuration; null for a company.")
    sip_credentials: SipCredentials | None = strawberry.field(
        description="Professional: the SIP credentials for outgoing calls; null for a company.")
    caller_id: CallerId | None = strawberry.field(
        description="Professional: what people called see; null for a company.")

    @strawberry.field(description="The account these Options belong to.")
    async def account(self, info: strawberry.Info) -> AccountNode | None:
        return await account_loader(info).load(self.account_id)


async def view(info: strawberry.Info, target: Account,
               options: AccountOptions) -> AccountOptionsView:
    host = info.context.host
    provisioning = await services.provisioning(target, info.context.principal, host,
                                               config_of(host).provisioning_ftp_site)
    company = AccountKind(target.kind) == AccountKind.COMPANY
    ranges = settings.current_ranges(options)
    return AccountOptionsView(
        account_id=target.id,
        custom_urls=CustomUrls(**{n: getattr(options, n) for n in settings.URL_FIELDS})
        if company else None,
        extensions=ExtensionSettings(length=options.extension_length,
                                     **{n: ExtensionRange(first=r[0], last=r[1])
                                        for n, r in ranges.items()}) if company else None,
        shared_contacts_limit=options.shared_contacts_limit if company else None,
        restrictions=ManagementRestrictions(
            forbid_user_management=options.forbid_user_management,
            test_mode=await clients.is_test_mode(target.id)) if company else None,
        provisioning=IpPhoneProvisioning(ftp_site=provisioning.ftp_site,
                                         user=provisioning.user,
                                         password=provisioning.password),
        limits=None if company else AccountLimits(
            contacts_limit=options.contacts_limit,
            directory_contacts_limit=options.directory_contacts_limit,
            downloaded_messages_limit=options.downloaded_messages_limit,
            voicemails_on_disk=options.voicemails_on_disk, faxes_on_disk=options.faxes_on_disk),
        assistant=None if company else AssistantCallOptions(
            stays_on_outgoing=options.assistant_stays_on_outgoing,
            stays_on_incoming=options.assistant_stays_on_incoming,
            always_refresh_contacts=options.always_refresh_contacts),
        transcription=None if company else VoicemailTranscription(
            method=services.effective_transcription(options, host),
            email=options.transcription_email,
            choices=services.transcription_choices(host)),
        admin_managed=None if company else options.admin_managed,
        sip_credentials=None if company else SipCredentials(
            username=options.sip_username, has_secret=bool(options.sip_secret)),
        caller_id=None if company else CallerId(display_name=options.caller_id_name,
                                                number=options.caller_id_number),
    )


# --- Inputs -------------------------------------------------------------------------------

# Null or left out: unchanged (every optional field of the Options inputs, unless it says).
@strawberry.input(description="Adresse URL des interfaces personnalisées (company): each URL "
                  "is http(s), at most 500 characters; empty restores the system default.")
class CustomUrlsInput:
    portal_url: str | None = strawberry.field(
        default=None, description="Pages du portail Web: the company's own web portal.")
    voice_assistant_url: str | None = strawberry.field(
        default=None, description="Voix - Assistante virtuelle: the custom voice of the virtual "
        "assistant.")
    voice_receptionist_url: str | None = strawberry.field(
        default=None, description="Voix - Réceptionniste virtuelle: the custom voice of the "
        "virtual receptionist.")
    voice_alerts_url: str | None = strawberry.field(
        default=None, description="Voix - Alertes vocales: the custom voice of voice alerts.")
    logout_url: str | None = strawberry.field(
        default=None, description="Page après déconnexion: where users land after signing out "
        "of the web portal.")


@strawberry.input(description="A range of extensions, both ends included; both ends have the "
                  "extension length's digits.")
class ExtensionRangeInput:
    first: int = strawberry.field(description="The lowest extension, e.g. 100; not above last.")
    last: int = strawberry.field(description="The highest extension, e.g. 299.")


@strawberry.input(description="Postes téléphoniques (company): changes apply to new extensions "
                  "only; the three ranges must not overlap.")
class ExtensionSettingsInput:
    length: int | None = strawberry.field(default=None, description="Digits in an extension, 2 "
                                          "to 6; null: unchanged.")
    users: ExtensionRangeInput | None = strawberry.field(
        default=None, description="Employees' range (Utilisateurs); null: unchanged.")
    groups: ExtensionRangeInput | None = strawberry.field(
        default=None, description="Groups' range (Groupes); null: unchanged.")
    services: ExtensionRangeInput | None = strawberry.field(
        default=None, description="Services' range (Services); null: unchanged.")


@strawberry.input(description="Restrictions de gestion du compte (company); null fields stay "
                  "as they are.")
class ManagementRestrictionsInput:
    forbid_user_management: bool | None = strawberry.field(
        default=None, description="Interdire la gestion des utilisateurs: the company admin "
        "may no longer change the account (extensions, devices, shared contacts).")
    test_mode: bool | None = strawberry.field(
        default=None, description="Compte en mode test: block outgoing calls and emails; "
        "billing goes on (not a free trial).")


@strawberry.input(description="Limites du compte d'utilisateur (professional); each limit is "
                  "at least 1, null leaves it as it is.")
class AccountLimitsInput:
    contacts_limit: int | None = strawberry.field(
        default=None, description="Nombre de contacts: personal contacts, at most 3000.")
    directory_contacts_limit: int | None = strawberry.field(
        default=None, description="Nombre de contacts dans le bottin vocal, at most 3000.")
    downloaded_messages_limit: int | None = strawberry.field(
        default=None, description="Nombre de messages téléchargés by the virtual assistant in "
        "a phone session, at most 500.")
    voicemails_on_disk: int | None = strawberry.field(
        default=None, description="Messages vocaux sur disque, at most 1000; lowering it "
        "removes the oldest at once.")
    faxes_on_disk: int | None = strawberry.field(
        default=None, description="Télécopies sur disque, at most 1000; lowering it removes "
        "the oldest at once.")


@strawberry.input(description="Options d'appel de l'assistante (professional); null fields "
                  "stay as they are.")
class AssistantCallOptionsInput:
    stays_on_outgoing: bool | None = strawberry.field(
        default=None, description="The assistant stays on the line during and after outgoing "
        "calls.")
    stays_on_incoming: bool | None = strawberry.field(
        default=None, description="The assistant stays on the line during incoming calls, for "
        "conferences.")
    always_refresh_contacts: bool | None = strawberry.field(
        default=None, description="Toujours rafraîchir les contacts personnels.")


@strawberry.input(description="Transcription de messages vocaux (professional): the method, "
                  "and the user's MyScribbit address when the method is MyScribbit.")
class VoicemailTranscriptionInput:
    method: str = strawberry.field(description="One of transcription.choices (any case); NONE "
                                   "turns transcription off.")
    email: str | None = strawberry.field(
        default=None, description="The email address of the user's MyScribbit account: "
        "required for MyScribbit, dropped for any other method.")


@strawberry.input(description="NIP d'utilisateur (professional): the new PIN of the "
                  "professional's user, typed twice; it is stored hashed.")
class PinChangeInput:
    pin: str = strawberry.field(description="The new PIN: 4 to 10 digits.")
    confirmation: str = strawberry.field(description="The same PIN again.")


@strawberry.input(description="Codes d'accès SIP pour les appels sortants (professional).")
class SipCredentialsInput:
    username: str = strawberry.field(description="The SIP user name: 1 to 100 characters "
                                     "without spaces; empty clears the credentials.")
    secret: str | None = strawberry.field(default=None, description="The SIP password, 8 to 128 "
                                          "characters; null keeps the stored one.")


@strawberry.input(description="Information affichée pour les appels sortants "
                  "(professional).")
class CallerIdInput:
    display_name: str | None = strawberry.field(
        default=None, description="Nom affiché: at most 15 characters; null: unchanged, empty "
        "clears it.")
    number: str | None = strawberry.field(
        default=None, description="Numéro affiché: one of the account's numbers, in any "
        "format; null or empty clears it.")


@strawberry.input(description="Only the sections given change; all are checked before "
                  "anything is saved. Company sections: customUrls, extensions, "
                  "sharedContactsLimit, restrictions; the others are a professional's.")
class UpdateAccountOptionsInput:
    account_id: strawberry.ID = strawberry.field(description="The account whose Options "
                                                 "change.")
    custom_urls: CustomUrlsInput | None = strawberry.field(
        default=None, description="Adresse URL des interfaces personnalisées (company).")
    extensions: ExtensionSettingsInput | None = strawberry.field(
        default=None, description="Postes téléphoniques: length and ranges (company).")
    shared_contacts_limit: int | None = strawberry.field(
        default=None, description="Limite des contacts partagés (company): 1 to 3000.")
    restrictions: ManagementRestrictionsInput | None = strawberry.field(
        default=None, description="Restrictions de gestion and test mode (company).")
    limits: AccountLimitsInput | None = strawberry.field(
        default=None, description="Limites du compte d'utilisateur (professional).")
    assistant: AssistantCallOptionsInput | None = strawberry.field(
        default=None, description="Options d'appel de l'assistante (professional).")
    transcription: VoicemailTranscriptionInput | None = strawberry.field(
        default=None, description="Transcription de messages vocaux (professional).")
    admin_managed: bool | None = strawberry.field(
        default=None, description="Compte géré par l'administrateur (professional): true "
        "stops the professional changing the account's configuration.")
    pin: PinChangeInput | None = strawberry.field(
        default=None, description="A new NIP d'utilisateur (professional).")
    sip_credentials: SipCredentialsInput | None = strawberry.field(
        default=None, description="Codes d'accès SIP (professional).")
    caller_id: CallerIdInput | None = strawberry.field(
        default=None, description="Information affichée pour les appels sortants "
        "(professional).")


@strawberry.type(description="The result of updateAccountOptions.")
class AccountOptionsPayload:
    options: AccountOptionsView | None = strawberry.field(
        description="The account's Options as saved; null when errors.")
    errors: list[AccountSettingsError] = strawberry.field(
        default_factory=list, description="Why nothing was saved; empty on success.")


def _changes(input: UpdateAccountOptionsInput) -> dict[str, Any]:
    """The sections given, as ``settings.update_settings`` reads them (in this order: a
    refusal lists the sections in it)."""
    changes: dict[str, Any] = {}
    for name in ("custom_urls", "restrictions", "limits", "assistant", "transcription", "pin"):
        value = getattr(input, name)
        if given(value):
            changes[name] = as_data(value)
    caller_id = input.caller_id
    if caller_id is not None:
        # A null number clears it, unlike the other optional fields.
        changes["caller_id"] = {"display_name": caller_id.display_name} if given(
            caller_id.display_name) else {}
        if caller_id.number is not strawberry.UNSET:
            changes["caller_id"]["number"] = caller_id.number
    sip = input.sip_credentials
    if sip is not None:
        changes["sip_credentials"] = {"username": sip.username, "secret": sip.secret}
    if input.extensions is not None:
        changes["extensions"] = _extension_changes(input.extensions)
    for name in ("shared_contacts_limit", "admin_managed"):
        if given(getattr(input, name)):
            changes[name] = getattr(input, name)
    return changes


def _extension_changes(extensions: ExtensionSettingsInput) -> dict[str, Any]:
    ext: dict[str, Any] = {}
    if given(extensions.length):
        ext["length"] = extensions.length
    for name in settings.RANGES:
        value = getattr(extensions, name)
        if given(value):
            ext[name] = (value.first, value.last)
    return ext


@strawberry.type
class SettingsQuery:
    @field(*READERS, description="Options: the settings of an account, every section with its "
           "defaults (reseller staff, and the account's company admin or professional).")
    async def account_options(self, info: strawberry.Info,
                              account_id: AccountIdArg) -> AccountOptionsView | None:
        try:
            target = await target_account(info, account_id, ["accountId"])
        except Problem:
            return None
        return await view(info, target, await get_options(target.id))


@strawberry.type
class SettingsMutation:
    @mutation(*STAFF, errors=AccountSettingsError,
              description="Save sections of the Options page (reseller staff).")
    async def update_account_options(
        self, info: strawberry.Info,
        input: Annotated[UpdateAccountOptionsInput, strawberry.argument(
            description="The account and the sections to save.")],
    ) -> AccountOptionsPayload:
        target = await target_account(info, input.account_id)
        options = await settings.update_settings(target, _changes(input), host=info.context.host,
                                                 principal=info.context.principal)
        return AccountOptionsPayload(options=await view(info, target, options))
