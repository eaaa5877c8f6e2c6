"""GraphQL of the voicemails and faxes kept on disk: list them (with a signed download URL) and
delete them. A subscriber sees only the own mailbox; the reseller's staff see any user's."""

from __future__ import annotations

from typing import Annotated

import strawberry

from gateway.api import (
    SIGNED_IN,
    Connection,
    DateTime,
    PluginHost,
    Problem,
    build_connection,
    describe_enum_values,
    field,
    given,
    global_id,
    mutation,
    node_pk,
    page_window,
)
from plugins.account_settings import errors as e
from plugins.account_settings import mailbox
from plugins.account_settings.mailbox_routes import download_url
from plugins.account_settings.models import MailboxKind, MailboxMessage
from plugins.account_settings.settings_schema import (
    AccountIdArg,
    AccountSettingsError,
    target_account,
)

strawberry.enum(MailboxKind, name="MailboxKind", description="VOICEMAIL or FAX.")
describe_enum_values(MailboxKind, {
    "VOICEMAIL": "A voicemail (audio: WAV, MP3 or Ogg), kept up to Messages vocaux sur disque.",
    "FAX": "A fax (PDF or TIFF), kept up to Télécopies sur disque.",
})


@strawberry.type(name="MailboxMessage",
                 description="A voicemail or a fax kept on disk (the oldest beyond the "
                 "account's limit are removed as new ones arrive).")
class MailboxMessageNode:
    row_id: strawberry.Private[int]
    kind: MailboxKind = strawberry.field(description="Voicemail or fax.")
    received_at: DateTime = strawberry.field(description="When the platform received it.")
    caller_number: str = strawberry.field(description="The caller's number as the platform "
                                          "gave it; empty when unknown.")
    caller_name: str = strawberry.field(description="The caller's name as the platform gave "
                                        "it; empty when unknown.")
    duration_seconds: int | None = strawberry.field(description="A voicemail's length in "
                                                    "seconds; null for a fax or when unknown.")
    pages: int | None = strawberry.field(description="A fax's page count; null for a voicemail "
                                         "or when unknown.")
    content_type: str = strawberry.field(description="The file's media type, e.g. audio/wav "
                                         "or application/pdf.")
    size: int = strawberry.field(description="The file's size in bytes.")
    download_url: str = strawberry.field(description="Signed, expiring URL of the file "
                                         "(HTTP Range supported).")

    @strawberry.field(description="The message's global ID.")
    def id(self) -> strawberry.ID:
        return global_id("MailboxMessage", self.row_id)

    @classmethod
    def from_row(cls, row: MailboxMessage, gateway: PluginHost) -> MailboxMessageNode:
        return cls(row_id=row.id, kind=MailboxKind(row.kind), received_at=row.received_at,
                   caller_number=row.caller_number, caller_name=row.caller_name,
                   duration_seconds=row.duration_seconds, pages=row.pages,
                   content_type=row.content_type, size=row.size,
                   download_url=download_url(gateway, row))


@strawberry.type(description="The result of deleteMailboxMessage.")
class MailboxMessagePayload:
    message: MailboxMessageNode | None = strawberry.field(description="The message deleted, as "
                                                          "it was; null when errors.")
    errors: list[AccountSettingsError] = strawberry.field(
        default_factory=list, description="Why nothing was deleted; empty on success.")


@strawberry.type
class MailboxQuery:
    @field(*SIGNED_IN, description="Voicemails or faxes on disk, newest first: yours, or "
           "(staff) a user's or the whole account's.")
    async def mailbox_messages(
        self, info: strawberry.Info, account_id: AccountIdArg,
        kind: Annotated[MailboxKind, strawberry.argument(
            description="Voicemails or faxes.")],
        user_id: Annotated[strawberry.ID | None, strawberry.argument(
            description="Staff: whose mailbox (null: every user's of the account); a "
            "subscriber may only name itself.")] = None,
        first: int | None = None, after: str | None = None,
    ) -> Connection[MailboxMessageNode]:
        offset, limit = page_window(first, after, info.context.settings.max_page_size)
        try:
            target = await target_account(info, account_id, ["accountId"])
            user = node_pk(user_id, "User", ["userId"], e.WRONG_USER) if given(user_id) else None
            query = mailbox.messages(info.context.principal, target, kind, user)
        except Problem:
            return build_connection([], offset, limit, 0)
        total = await query.count()
        rows = await query.offset(offset).limit(limit + 1)
        gateway = info.context.host
        return build_connection(rows, offset, limit, total,
                                lambda row: MailboxMessageNode.from_row(row, gateway))


@strawberry.type
class MailboxMutation:
    @mutation(*SIGNED_IN, errors=AccountSettingsError,
              description="Delete a voicemail or a fax (yours; staff: any of the accounts they "
              "see).")
    async def delete_mailbox_message(
        self, info: strawberry.Info,
        id: Annotated[strawberry.ID, strawberry.argument(
            description="The MailboxMessage's id.")],
    ) -> MailboxMessagePayload:
        host = info.context.host
        row = await mailbox.delete_message(host, info.context.principal,
                                           node_pk(id, "MailboxMessage", ["id"]))
        return MailboxMessagePayload(message=MailboxMessageNode.from_row(row, host))
