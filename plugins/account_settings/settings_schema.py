"""GraphQL of the Options page (Réglages d'un compte client): every section of a company's
and of a professional's settings, read by the account's admin, written by reseller staff."""

from __future__ import annotations

from typing import Any

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


@strawberry.type
class ExtensionRange:
    first: int
    last: int


@strawberry.type(description="Adresse URL des interfaces personnalisées; empty = the system "
                 "default.")
class CustomUrls:
    portal_url: str = strawberry.field(description="Pages du portail Web.")
    voice_assistant_url: str = strawberry.field(description="Voix - Assistante virtuelle.")
    voice_receptionist_url: str = strawberry.field(description="Voix - Réceptionniste "
                                                   "virtuelle.")
    voice_alerts_url: str = strawberry.field(description="Voix - Alertes vocales.")
    logout_url: str = strawberry.field(description="Page après déconnexion.")


@strawberry.type(description="Postes téléphoniques: length (default 3) and the ranges of each "
                 "kind (users 100-299, groups 500-599, services 700-799). Changes apply to new "
                 "extensions only.")
class ExtensionSettings:
    length: int
    users: ExtensionRange
    groups: ExtensionRange
    services: ExtensionRange


@strawberry.type(description="Restrictions de gestion du compte.")
class ManagementRestrictions:
    forbid_user_management: bool = strawberry.field(
        description="Interdire la gestion des utilisateurs (to the company admin).")
    test_mode: bool = strawberry.field(description="Compte en mode test: no outgoing call or "
                                       "email; billing goes on.")


@strawberry.type(description="Configuration de démarrage des téléphones IP.")
class IpPhoneProvisioning:
    ftp_site: str
    user: str = strawberry.field(description="The account's CAN.")
    password: str | None = strawberry.field(description="The account's security code; null "
                                            "for whoever may not see it.")


@strawberry.type(description="Limites du compte d'utilisateur.")
class AccountLimits:
    contacts_limit: int = strawberry.field(description="Default 500, at most 3000.")
    directory_contacts_limit: int = strawberry.field(description="Voice directory; default "
                                                     "500.")
    downloaded_messages_limit: int = strawberry.field(description="Default 50.")
    voicemails_on_disk: int = strawberry.field(description="Default 25; the oldest are "
                                               "removed beyond it.")
    faxes_on_disk: int = strawberry.field(description="Default 25; the oldest are removed "
                                          "beyond it.")


@strawberry.type(description="Options d'appel de l'assistante.")
class AssistantCallOptions:
    stays_on_outgoing: bool = strawberry.field(description="Stays on the line during and after "
                                               "outgoing calls.")
    stays_on_incoming: bool = strawberry.field(description="Stays on the line during incoming "
                                               "calls, for conferences.")
    always_refresh_contacts: bool


@strawberry.type(description="Transcription de messages vocaux.")
class VoicemailTranscription:
    method: str
    email: str = strawberry.field(description="The MyScribbit account's address, if that is "
                                  "the method.")
    choices: list[str] = strawberry.field(description="The installed providers, then NONE.")


@strawberry.type(description="Codes d'accès SIP pour les appels sortants. The password is "
                 "never shown.")
class SipCredentials:
    username: str
    has_secret: bool


@strawberry.type(description="Information affichée pour les appels sortants.")
class CallerId:
    display_name: str
    number: PhoneNumber | None


@strawberry.type(name="AccountOptions",
                 description="The Options page of an account. Company sections are null for "
                 "a professional and the other way round.")
class AccountOptionsView:
    account_id: strawberry.Private[int]
    custom_urls: CustomUrls | None
    extensions: ExtensionSettings | None
    shared_contacts_limit: int | None
    restrictions: ManagementRestrictions | None
    provisioning: IpPhoneProvisioning
    limits: AccountLimits | None
    assistant: AssistantCallOptions | None
    transcription: VoicemailTranscription | None
    admin_managed: bool | None = strawberry.field(description="Compte géré par "
                                                  "l'administrateur.")
    sip_credentials: SipCredentials | None
    caller_id: CallerId | None

    @strawberry.field
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

@strawberry.input
class CustomUrlsInput:
    portal_url: str | None = None
    voice_assistant_url: str | None = None
    voice_receptionist_url: str | None = None
    voice_alerts_url: str | None = None
    logout_url: str | None = None


@strawberry.input
class ExtensionRangeInput:
    first: int
    last: int


@strawberry.input
class ExtensionSettingsInput:
    length: int | None = None
    users: ExtensionRangeInput | None = None
    groups: ExtensionRangeInput | None = None
    services: ExtensionRangeInput | None = None


@strawberry.input
class ManagementRestrictionsInput:
    forbid_user_management: bool | None = None
    test_mode: bool | None = None


@strawberry.input
class AccountLimitsInput:
    contacts_limit: int | None = None
    directory_contacts_limit: int | None = None
    downloaded_messages_limit: int | None = None
    voicemails_on_disk: int | None = None
    faxes_on_disk: int | None = None


@strawberry.input
class AssistantCallOptionsInput:
    stays_on_outgoing: bool | None = None
    stays_on_incoming: bool | None = None
    always_refresh_contacts: bool | None = None


@strawberry.input
class VoicemailTranscriptionInput:
    method: str = strawberry.field(description="One of transcription.choices.")
    email: str | None = None


@strawberry.input
class PinChangeInput:
    pin: str
    confirmation: str


@strawberry.input
class SipCredentialsInput:
    username: str = strawberry.field(description="Empty clears the credentials.")
    secret: str | None = strawberry.field(default=None, description="Null keeps the stored "
                                          "one.")


@strawberry.input
class CallerIdInput:
    display_name: str | None = None
    number: str | None = strawberry.field(default=None, description="One of the account's "
                                          "numbers; empty clears it.")


@strawberry.input(description="Only the sections given change; all are checked before "
                  "anything is saved.")
class UpdateAccountOptionsInput:
    account_id: strawberry.ID
    custom_urls: CustomUrlsInput | None = None
    extensions: ExtensionSettingsInput | None = None
    shared_contacts_limit: int | None = None
    restrictions: ManagementRestrictionsInput | None = None
    limits: AccountLimitsInput | None = None
    assistant: AssistantCallOptionsInput | None = None
    transcription: VoicemailTranscriptionInput | None = None
    admin_managed: bool | None = None
    pin: PinChangeInput | None = None
    sip_credentials: SipCredentialsInput | None = None
    caller_id: CallerIdInput | None = None


@strawberry.type
class AccountOptionsPayload:
    options: AccountOptionsView | None
    errors: list[AccountSettingsError] = strawberry.field(
        default_factory=list)


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
           "defaults.")
    async def account_options(self, info: strawberry.Info,
                              account_id: strawberry.ID) -> AccountOptionsView | None:
        try:
            target = await target_account(info, account_id, ["accountId"])
        except Problem:
            return None
        return await view(info, target, await get_options(target.id))


@strawberry.type
class SettingsMutation:
    @mutation(*STAFF, errors=AccountSettingsError,
              description="Save sections of the Options page (reseller staff).")
    async def update_account_options(self, info: strawberry.Info,
                                     input: UpdateAccountOptionsInput) -> AccountOptionsPayload:
        target = await target_account(info, input.account_id)
        options = await settings.update_settings(target, _changes(input), host=info.context.host,
                                                 principal=info.context.principal)
        return AccountOptionsPayload(options=await view(info, target, options))
