"""GraphQL of the voicemails and faxes kept on disk: list them (with a signed download URL) and
delete them. A subscriber sees only the own mailbox; the reseller's staff see any user's."""

from __future__ import annotations

import strawberry

from gateway.api import (
    SIGNED_IN,
    Connection,
    DateTime,
    PluginHost,
    Problem,
    build_connection,
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
from plugins.account_settings.settings_schema import AccountSettingsError, target_account

strawberry.enum(MailboxKind, name="MailboxKind", description="VOICEMAIL or FAX.")


@strawberry.type(name="MailboxMessage",
                 description="A voicemail or a fax kept on disk (the oldest beyond the "
                 "account's limit are removed as new ones arrive).")
class MailboxMessageNode:
    row_id: strawberry.Private[int]
    kind: MailboxKind
    received_at: DateTime
    caller_number: str
    caller_name: str
    duration_seconds: int | None = strawberry.field(description="Voicemails: length.")
    pages: int | None = strawberry.field(description="Faxes: pages.")
    content_type: str
    size: int = strawberry.field(description="Bytes.")
    download_url: str = strawberry.field(description="Signed, expiring URL of the file "
                                         "(HTTP Range supported).")

    @strawberry.field
    def id(self) -> strawberry.ID:
        return global_id("MailboxMessage", self.row_id)

    @classmethod
    def from_row(cls, row: MailboxMessage, gateway: PluginHost) -> MailboxMessageNode:
        return cls(row_id=row.id, kind=MailboxKind(row.kind), received_at=row.received_at,
                   caller_number=row.caller_number, caller_name=row.caller_name,
                   duration_seconds=row.duration_seconds, pages=row.pages,
                   content_type=row.content_type, size=row.size,
                   download_url=download_url(gateway, row))


@strawberry.type
class MailboxMessagePayload:
    message: MailboxMessageNode | None
    errors: list[AccountSettingsError] = strawberry.field(
        default_factory=list)


@strawberry.type
class MailboxQuery:
    @field(*SIGNED_IN, description="Voicemails or faxes on disk, newest first: yours, or "
           "(staff) a user's or the whole account's.")
    async def mailbox_messages(
        self, info: strawberry.Info, account_id: strawberry.ID, kind: MailboxKind,
        user_id: strawberry.ID | None = None, first: int | None = None,
        after: str | None = None,
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
    async def delete_mailbox_message(self, info: strawberry.Info,
                                     id: strawberry.ID) -> MailboxMessagePayload:
        host = info.context.host
        row = await mailbox.delete_message(host, info.context.principal,
                                           node_pk(id, "MailboxMessage", ["id"]))
        return MailboxMessagePayload(message=MailboxMessageNode.from_row(row, host))
