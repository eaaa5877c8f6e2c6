"""GraphQL of the voicemails and faxes kept on disk: list them (with a signed download URL) and
delete them. A subscriber sees only the own mailbox; the reseller's staff see any user's."""

from __future__ import annotations

from typing import Any

import strawberry

from plugins.account_settings import errors as e
from plugins.account_settings import mailbox, services
from plugins.account_settings.errors import AccountSettingsError, InputProblems, problem
from plugins.account_settings.mailbox_routes import download_url
from plugins.account_settings.models import MailboxKind, MailboxMessage
from plugins.account_settings.schema_common import (
    ANYONE,
    account,
    errors_of,
    given,
    global_id,
    host,
    object_id,
)
from schema.errors import PayloadError
from schema.pagination import Connection, build_connection, page_window
from schema.permissions import allow
from schema.scalars import DateTime

Code = e.AccountSettingsErrorCode
MailboxKindEnum = strawberry.enum(MailboxKind, name="MailboxKind",
                                  description="VOICEMAIL or FAX.")


@strawberry.type(name="MailboxMessage",
                 description="A voicemail or a fax kept on disk (the oldest beyond the "
                 "account's limit are removed as new ones arrive).")
class MailboxMessageNode:
    row_id: strawberry.Private[int]
    kind: MailboxKindEnum  # type: ignore[valid-type]
    received_at: DateTime  # type: ignore[valid-type]
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
    def from_row(cls, row: MailboxMessage, gateway: Any) -> MailboxMessageNode:
        return cls(row_id=row.id, kind=MailboxKind(row.kind), received_at=row.received_at,
                   caller_number=row.caller_number, caller_name=row.caller_name,
                   duration_seconds=row.duration_seconds, pages=row.pages,
                   content_type=row.content_type, size=row.size,
                   download_url=download_url(gateway, row))


@strawberry.type
class MailboxMessagePayload:
    message: MailboxMessageNode | None
    errors: list[AccountSettingsError]  # type: ignore[valid-type]


async def _owner(info: strawberry.Info, account_id: int, raw_user: Any) -> int | None:
    """Whose mailbox: staff may name a user (or none: the whole account); a subscriber only
    ever reads the own."""
    principal = info.context.principal
    if services.acts_for_reseller(principal) and not principal.direct_access:
        return object_id(raw_user, "User", ["userId"], e.WRONG_USER) if given(raw_user) \
            else None
    if given(raw_user) and object_id(raw_user, "User", ["userId"],
                                     e.WRONG_USER) != principal.user_id:
        raise problem(Code.NOT_FOUND, e.WRONG_USER, ["userId"])
    return int(principal.user_id)


@strawberry.type
class MailboxQuery:
    @strawberry.field(extensions=allow(*ANYONE),
                      description="Voicemails or faxes on disk, newest first: yours, or (staff) "
                      "a user's or the whole account's.")
    async def mailbox_messages(
        self, info: strawberry.Info, account_id: strawberry.ID,
        kind: MailboxKindEnum,  # type: ignore[valid-type]
        user_id: strawberry.ID | None = None, first: int | None = None,
        after: str | None = None,
    ) -> Connection[MailboxMessageNode]:
        offset, limit = page_window(first, after, info.context.settings.max_page_size)
        try:
            target = await account(info, account_id, ["accountId"])
            owner = await _owner(info, target.id, user_id)
        except PayloadError:
            return build_connection([], offset, limit, 0)
        query = MailboxMessage.filter(account_id=target.id, kind=MailboxKind(kind.value))
        if owner is not None:
            query = query.filter(user_id=owner)
        total = await query.count()
        rows = await query.order_by("-received_at", "-id").offset(offset).limit(limit + 1)
        gateway = host(info)
        return build_connection(rows, offset, limit, total,
                                lambda row: MailboxMessageNode.from_row(row, gateway))


@strawberry.type
class MailboxMutation:
    @strawberry.mutation(extensions=allow(*ANYONE),
                         description="Delete a voicemail or a fax (yours; staff: any of the "
                         "accounts they see).")
    async def delete_mailbox_message(self, info: strawberry.Info,
                                     id: strawberry.ID) -> MailboxMessagePayload:
        try:
            message_id = object_id(id, "MailboxMessage", ["id"])
            row = await MailboxMessage.filter(id=message_id).first()
            if row is None:
                raise problem(Code.NOT_FOUND, e.NO_SUCH_ITEM, ["id"])
            # Not visible to the caller, or another user's: the same "not found".
            try:
                await account(info, row.account_id, ["id"])  # type: ignore[attr-defined]
                owner = await _owner(info, row.account_id, None)  # type: ignore[attr-defined]
            except PayloadError:
                raise problem(Code.NOT_FOUND, e.NO_SUCH_ITEM, ["id"]) from None
            if owner is not None and owner != row.user_id:  # type: ignore[attr-defined]
                raise problem(Code.NOT_FOUND, e.NO_SUCH_ITEM, ["id"])
            node = MailboxMessageNode.from_row(row, host(info))
            await mailbox.delete(host(info), row)
        except (PayloadError, InputProblems) as error:
            return MailboxMessagePayload(message=None,
                                         errors=errors_of(error, info.context.language))
        return MailboxMessagePayload(message=node, errors=[])
