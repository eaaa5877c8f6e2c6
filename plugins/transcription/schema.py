"""GraphQL of voicemail transcription: the voicemails with their transcript (searchable), asking
for a transcript again with another provider, and the providers the system admin approves."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry

from gateway.api import (
    SIGNED_IN,
    Connection,
    DateTime,
    Error,
    PluginHost,
    Problem,
    Role,
    account_for,
    build_connection,
    describe_enum_values,
    error_type,
    field,
    given,
    global_id,
    mutation,
    node_pk,
    page_window,
)
from plugins.account_settings import api as mailbox
from plugins.transcription import errors as e
from plugins.transcription import services
from plugins.transcription.models import TranscriptStatus
from plugins.transcription.models import VoicemailTranscript as TranscriptRow

MAX_SEARCH = 200

strawberry.enum(TranscriptStatus, name="TranscriptStatus",
                description="PENDING: being transcribed (or tried again after an outage); "
                "DONE: text stored; FORWARDED: sent to a provider that answers the user itself "
                "(MyScribbit); UNTRANSCRIBED: not transcribed for good (language, format), see "
                "reason; FAILED: every attempt failed, see reason.")
describe_enum_values(TranscriptStatus, {
    "PENDING": "Being transcribed, or waiting to be tried again after a provider's outage.",
    "DONE": "Transcribed: the text is stored (it may be empty when no word was recognised).",
    "FORWARDED": "Sent to a send-only provider (MyScribbit), which answers the user itself.",
    "UNTRANSCRIBED": "Not transcribed, for good (language, format, size, key...): see reason.",
    "FAILED": "Every attempt failed (outage): see reason; an operator may try again.",
})


@error_type("Transcription", e.TranscriptionErrorCode)
class TranscriptionError(Error):
    """A refusal of the transcription area."""


describe_enum_values(e.TranscriptionErrorCode, {
    "NOT_FOUND": "No such voicemail among those you may read (another tenant's or another "
    "user's is not found either).",
    "NOT_ALLOWED": "You may not do this.",
    "INVALID": "A provider named twice in the list.",
    "REQUIRED": "A provider is needed (NONE does not transcribe).",
    "TOO_MANY": "Too many provider names at once (at most 50).",
    "UNKNOWN_PROVIDER": "No provider of that name is installed; the message lists those that "
    "are.",
    "NOT_APPROVED": "The provider is installed but not approved by the system administrator.",
    "EMAIL_REQUIRED": "MyScribbit needs the user's MyScribbit address in the account's Options "
    "first.",
})

# A voicemails argument naming an account: one the caller may not see gives an empty page.
AccountIdArg = Annotated[strawberry.ID, strawberry.argument(
    description="The account's global ID; an account you may not see gives an empty page.")]


@strawberry.type(name="VoicemailTranscript",
                 description="The transcript of a voicemail by the provider last asked.")
class VoicemailTranscriptNode:
    status: TranscriptStatus = strawberry.field(description="Where the transcription stands.")
    provider: str = strawberry.field(description="The provider's name, e.g. Mutare.")
    language: str = strawberry.field(description="fr or en: the mailbox owner's language.")
    text: str = strawberry.field(description="The transcript's text; empty until DONE.")
    confidence: float | None = strawberry.field(description="0 to 1, when the engine gives one.")
    reason_code: str = strawberry.field(description="Why there is no text (e.g. "
                                        "LANGUAGE_NOT_SUPPORTED, UNAVAILABLE), or empty.")
    attempts: int = strawberry.field(description="How many times the provider was asked so "
                                     "far.")
    requested_at: DateTime = strawberry.field(description="When the transcription was asked "
                                              "for.")
    completed_at: DateTime | None = strawberry.field(description="When it settled (DONE, "
                                                     "FORWARDED, UNTRANSCRIBED or FAILED); null "
                                                     "while PENDING.")
    row: strawberry.Private[TranscriptRow]

    @strawberry.field(description="Why there is no text, in the caller's language.")
    def reason(self, info: strawberry.Info) -> str:
        return self.row.reason_fr if info.context.language == "fr" else self.row.reason_en

    @classmethod
    def from_row(cls, row: TranscriptRow) -> VoicemailTranscriptNode:
        return cls(status=TranscriptStatus(row.status), provider=row.provider,
                   language=row.language, text=row.text, confidence=row.confidence,
                   reason_code=row.reason_code, attempts=row.attempts,
                   requested_at=row.requested_at, completed_at=row.completed_at, row=row)


@strawberry.type(description="A voicemail of the mailbox with its transcript.")
class Voicemail:
    row_id: strawberry.Private[int]
    user_row_id: strawberry.Private[int]
    received_at: DateTime = strawberry.field(description="When the platform received it.")
    caller_number: str = strawberry.field(description="The caller's number as the platform "
                                          "gave it; empty when unknown.")
    caller_name: str = strawberry.field(description="The caller's name as the platform gave "
                                        "it; empty when unknown.")
    duration_seconds: int | None = strawberry.field(description="Its length in seconds; null "
                                                    "when unknown.")
    content_type: str = strawberry.field(description="The audio's media type, e.g. "
                                         "audio/wav.")
    download_url: str = strawberry.field(description="Signed, expiring URL of the file.")
    transcription: VoicemailTranscriptNode | None = strawberry.field(
        description="None: never transcribed (the method was NONE when it arrived).")

    @strawberry.field(description="The mailbox message's id (as in mailboxMessages).")
    def id(self) -> strawberry.ID:
        return global_id("MailboxMessage", self.row_id)

    @strawberry.field(description="The mailbox owner's User id.")
    def user_id(self) -> strawberry.ID:
        return global_id("User", self.user_row_id)

    @classmethod
    def build(cls, message: Any, transcript: TranscriptRow | None,
              host: PluginHost) -> Voicemail:
        return cls(row_id=message.id, user_row_id=message.user_id,
                   received_at=message.received_at, caller_number=message.caller_number,
                   caller_name=message.caller_name, duration_seconds=message.duration_seconds,
                   content_type=message.content_type,
                   download_url=mailbox.download_url(host, message),
                   transcription=VoicemailTranscriptNode.from_row(transcript)
                   if transcript is not None else None)


@strawberry.type(name="TranscriptionProvider",
                 description="A voicemail transcription provider installed on the gateway.")
class TranscriptionProviderInfo:
    name: str = strawberry.field(description="The provider's name, e.g. Mutare: what "
                                 "accountOptions' transcription.method takes.")
    languages: list[str] = strawberry.field(description="The languages it transcribes: en, "
                                            "fr or both.")
    approved: bool = strawberry.field(description="Offered to users (system admin's choice).")
    source: str = strawberry.field(description="built in, package (an entry point) or the "
                                   "plugin that contributes it.")
    send_only: bool = strawberry.field(description="Sends the voicemail away and answers the "
                                       "user itself (needs the user's address).")
    info: strawberry.Private[services.ProviderInfo]

    @strawberry.field(description="What it is, in the caller's language.")
    def label(self, info: strawberry.Info) -> str:
        return self.info.label.render(info.context.language)

    @classmethod
    def build(cls, item: services.ProviderInfo) -> TranscriptionProviderInfo:
        return cls(name=item.name, languages=item.languages, approved=item.approved,
                   source=item.source, send_only=item.send_only, info=item)


@strawberry.input(description="A voicemail to transcribe again, and with which provider.")
class TranscribeVoicemailInput:
    voicemail_id: strawberry.ID = strawberry.field(description="A voicemail's id (a "
                                                   "MailboxMessage id, as voicemails gives).")
    provider: str = strawberry.field(description="An approved provider's name (not NONE).")


@strawberry.input(description="The providers users may choose from now on.")
class ApproveTranscriptionProvidersInput:
    names: list[str] = strawberry.field(description="Every provider offered to users from now "
                                        f"on (at most {services.MAX_APPROVED}); NONE always is.")


@strawberry.type(description="The result of transcribeVoicemail.")
class TranscribeVoicemailPayload:
    voicemail: Voicemail | None = strawberry.field(description="The voicemail, its "
                                                   "transcription asked again (PENDING until "
                                                   "the provider answers); null when errors.")
    errors: list[TranscriptionError] = strawberry.field(
        default_factory=list, description="Why nothing was asked; empty on success.")


@strawberry.type(description="The result of approveTranscriptionProviders.")
class ApproveTranscriptionProvidersPayload:
    providers: list[TranscriptionProviderInfo] | None = strawberry.field(
        description="Every installed provider, approved or not, then NONE; null when errors.")
    errors: list[TranscriptionError] = strawberry.field(
        default_factory=list, description="Why nothing changed; empty on success.")


@strawberry.type
class TranscriptionQuery:
    @field(*SIGNED_IN, description="Voicemails with their transcript, newest first: yours, or "
           "(staff) a user's or the whole account's; search finds words of the transcript, the "
           "caller's name or number.")
    async def voicemails(
        self, info: strawberry.Info, account_id: AccountIdArg,
        user_id: Annotated[strawberry.ID | None, strawberry.argument(
            description="Staff: whose mailbox (null: every user's of the account); a "
            "subscriber may only name itself.")] = None,
        search: Annotated[str | None, strawberry.argument(
            description="Words of the transcript, or part of the caller's name or number (any "
            "case; the first 200 characters count).")] = None,
        first: int | None = None, after: str | None = None,
    ) -> Connection[Voicemail]:
        offset, limit = page_window(first, after, info.context.settings.max_page_size)
        principal = info.context.principal
        try:
            account = await account_for(principal, node_pk(account_id, "Account",
                                                           ["accountId"]), ["accountId"])
            user = node_pk(user_id, "User", ["userId"]) if given(user_id) else None
            query = await services.voicemails(principal, account, user,
                                              (search or "")[:MAX_SEARCH])
        except Problem:
            return build_connection([], offset, limit, 0)
        total = await query.count()
        rows = await query.offset(offset).limit(limit + 1)
        transcripts = await services.transcripts_of([row.id for row in rows])
        host = info.context.host
        return build_connection(rows, offset, limit, total,
                                lambda row: Voicemail.build(row, transcripts.get(row.id), host))

    @field(*SIGNED_IN, description="The transcription providers: the approved ones and NONE "
           "(system admins: every installed one, approved or not).")
    def transcription_providers(self, info: strawberry.Info) -> list[TranscriptionProviderInfo]:
        return [TranscriptionProviderInfo.build(item) for item in
                services.provider_infos(info.context.host, info.context.principal)]


@strawberry.type
class TranscriptionMutation:
    @mutation(*SIGNED_IN, errors=TranscriptionError,
              description="Transcribe a voicemail again with another approved provider "
              "(yours; staff: any of the accounts they see).")
    async def transcribe_voicemail(
        self, info: strawberry.Info,
        input: Annotated[TranscribeVoicemailInput, strawberry.argument(
            description="The voicemail and the provider.")],
    ) -> TranscribeVoicemailPayload:
        host = info.context.host
        message = await services.transcribe_again(
            host, info.context.principal,
            node_pk(input.voicemail_id, "MailboxMessage", ["input", "voicemailId"]),
            input.provider)
        transcripts = await services.transcripts_of([message.id])
        return TranscribeVoicemailPayload(
            voicemail=Voicemail.build(message, transcripts.get(message.id), host))

    @mutation(Role.SYSTEM_ADMIN, errors=TranscriptionError,
              description="Choose the transcription providers offered to users (la liste des "
              "fournisseurs homologués du système).")
    async def approve_transcription_providers(
        self, info: strawberry.Info,
        input: Annotated[ApproveTranscriptionProvidersInput, strawberry.argument(
            description="Every provider to offer.")],
    ) -> ApproveTranscriptionProvidersPayload:
        host = info.context.host
        await services.approve(host, info.context.principal, input.names)
        return ApproveTranscriptionProvidersPayload(providers=[
            TranscriptionProviderInfo.build(item)
            for item in services.provider_infos(host, info.context.principal)])
