"""GraphQL of the Clients page: the two lists, billing status, delete (unsubscribe) and
reactivate, messages to subscribers, exports, and the purge's dry run."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from enum import Enum
from typing import Any

import strawberry
from strawberry import relay
from tortoise.expressions import Subquery

from gateway.identity import scoping
from gateway.identity.models import Account, AccountKind, BillingStatus
from gateway.identity.types import (
    ACCOUNT_COLUMNS,
    AccountKindEnum,
    AccountNode,
    BillingStatusEnum,
)
from plugins.clients import errors as e
from plugins.clients import exports, importers, listing, services
from plugins.clients.errors import ClientsError, InputProblems
from plugins.clients.graphql_common import (
    STAFF,
    account_nodes,
    as_data,
    config,
    errors_of,
    given,
    object_id,
)
from plugins.clients.models import (
    AccountExport,
    AccountMessage,
    ExportFormat,
    ExportStatus,
    MessageKind,
    MessageStatus,
)
from plugins.clients.signup_schema import SignupBillingInput
from schema.errors import PayloadError
from schema.pagination import Connection, OrderDirection, build_connection, page_window
from schema.permissions import Role, allow
from schema.scalars import DateTime, Money


@strawberry.enum(description="Actifs / Désabonnés: the Comptes drop-down of the lists.")
class AccountStatus(Enum):
    ACTIVE = "ACTIVE"
    UNSUBSCRIBED = "UNSUBSCRIBED"


@strawberry.enum(description="The columns of the Clients lists, to sort on.")
class AccountOrderField(Enum):
    ACCOUNT_NUMBER = "ACCOUNT_NUMBER"
    NAME = "NAME"
    ORG_ID = "ORG_ID"
    USER_COUNT = "USER_COUNT"
    CAN = "CAN"
    PHONE_NUMBER = "PHONE_NUMBER"
    LANGUAGE = "LANGUAGE"
    EXTENSION = "EXTENSION"
    BILLING_STATUS = "BILLING_STATUS"


@strawberry.input(description="The keyword row of the lists (one field per column, matched "
                  "anywhere in the column, ignoring case), the search box, and the status.")
class AccountFilter:
    search: str | None = strawberry.field(
        default=None, description="In any text column: CID/UID, name, ORGID, CAN, phone "
        "number, language, extension.")
    account_number: str | None = None
    name: str | None = None
    org_id: str | None = None
    user_count: int | None = strawberry.field(default=None, description="Exactly this many.")
    can: str | None = None
    phone_number: str | None = strawberry.field(
        default=None, description="Digits in any format, e.g. (514) 555.")
    language: str | None = None
    extension: str | None = None
    billing_status: BillingStatusEnum | None = None  # type: ignore[valid-type]
    status: AccountStatus | None = strawberry.field(
        default=AccountStatus.ACTIVE, description="ACTIVE (default), UNSUBSCRIBED, or null "
        "for both.")


@strawberry.input
class AccountOrder:
    field: AccountOrderField
    direction: OrderDirection = OrderDirection.ASC


_KEYWORD_COLUMNS = {
    "account_number": "ACCOUNT_NUMBER", "name": "NAME", "org_id": "ORG_ID", "can": "CAN",
    "phone_number": "PHONE_NUMBER", "language": "LANGUAGE", "extension": "EXTENSION",
}


def list_query(info: strawberry.Info, kind: AccountKind, filter: AccountFilter | None,
               order_by: AccountOrder | None,
               ids: tuple[int, ...] | None = None) -> listing.AccountListQuery:
    """What the caller's list shows: always the caller's reseller (all for system admins)."""
    principal = info.context.principal
    reseller_id = None if principal.role == Role.SYSTEM_ADMIN else principal.reseller_id or -1
    filter = filter or AccountFilter()
    return listing.AccountListQuery(
        kind=AccountKind(kind), reseller_id=reseller_id,
        status=filter.status.value if filter.status else None,
        search=filter.search,
        keywords={column: getattr(filter, name) for name, column in _KEYWORD_COLUMNS.items()
                  if given(getattr(filter, name))},
        user_count=filter.user_count,
        billing_status=as_data(filter.billing_status) if given(filter.billing_status) else None,
        ids=ids,
        order_field=order_by.field.value if order_by else "ACCOUNT_NUMBER",
        descending=bool(order_by and order_by.direction == OrderDirection.DESC),
    )


def account_node(row: dict[str, Any]) -> AccountNode:
    return AccountNode(**{k: row[k] for k in ACCOUNT_COLUMNS},
                       prefetched={"user_count": row["user_count"],
                                   "extension": row["extension"]})


# --- Invoice preview -----------------------------------------------------------------------

@strawberry.type
class InvoiceLine:
    description: str
    quantity: int
    amount: Money | None = strawberry.field(description="Null when the billing system prices "
                                            "it.")


@strawberry.type(description="What the first invoice will hold (Aperçu de la facture).")
class InvoicePreview:
    lines: list[InvoiceLine]
    total: Money | None
    token: str = strawberry.field(description="Pass it to changeBillingStatus: it shows the "
                                  "preview was seen.")
    expires_at: DateTime  # type: ignore[valid-type]


def _money(amount: Decimal | None, currency: str) -> Money | None:
    return None if amount is None else Money(amount=amount, currency=currency)


# --- Messages, exports, purge --------------------------------------------------------------

MessageKindEnum = strawberry.enum(MessageKind, name="AccountMessageKind",
                                  description="ACCESS_CODES (login id and a set-password link, "
                                  "never a password) or CUSTOM.")
MessageStatusEnum = strawberry.enum(MessageStatus, name="AccountMessageStatus",
                                    description="SENT, or SUPPRESSED for an account in test "
                                    "mode.")
ExportFormatEnum = strawberry.enum(ExportFormat, name="ExportFormat")
ExportStatusEnum = strawberry.enum(ExportStatus, name="ExportStatus")

MESSAGE_COLUMNS = ("id", "account_id", "sender_id", "kind", "status", "to_address", "cc", "bcc",
                   "subject", "body", "created_at")


@strawberry.type(name="AccountMessage", description="An email sent from the Clients page.")
class AccountMessageNode(relay.Node):
    id: relay.NodeID[int]
    kind: MessageKindEnum  # type: ignore[valid-type]
    status: MessageStatusEnum  # type: ignore[valid-type]
    to_address: str
    cc: list[str]
    bcc: list[str]
    subject: str
    body: str
    created_at: DateTime  # type: ignore[valid-type]
    account_id: strawberry.Private[int]
    sender_id: strawberry.Private[int | None]

    @strawberry.field
    async def account(self, info: strawberry.Info) -> AccountNode | None:
        return (await account_nodes(info, [self.account_id]))[0]

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> AccountMessageNode:
        return cls(**{k: row[k] for k in MESSAGE_COLUMNS})

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ) -> list[AccountMessageNode | None]:
        principal = info.context.principal
        if principal is None or principal.role not in STAFF:
            return [None for _ in node_ids]
        visible = Subquery(scoping.accounts_visible(principal).values("id"))
        ids = [int(i) for i in node_ids if str(i).isdigit()]
        rows = await AccountMessage.filter(id__in=ids, account_id__in=visible).values(
            *MESSAGE_COLUMNS)
        found = {r["id"]: cls.from_row(r) for r in rows}
        return [found.get(int(i)) if str(i).isdigit() else None for i in node_ids]


EXPORT_COLUMNS = ("id", "reseller_id", "kind", "format", "status", "row_count", "outbox_job_id",
                  "created_at", "ready_at", "language")


@strawberry.type(name="AccountExport", description="An export of a Clients list.")
class AccountExportNode(relay.Node):
    id: relay.NodeID[int]
    kind: AccountKindEnum  # type: ignore[valid-type]
    format: ExportFormatEnum  # type: ignore[valid-type]
    status: ExportStatusEnum  # type: ignore[valid-type]
    row_count: int | None = strawberry.field(description="Known once a PDF is rendered.")
    created_at: DateTime  # type: ignore[valid-type]
    ready_at: DateTime | None  # type: ignore[valid-type]
    reseller_id: strawberry.Private[int | None]
    outbox_job_id: strawberry.Private[int | None]
    language: strawberry.Private[str]

    @strawberry.field(description="Compagnies.csv, Professionnels.pdf, ...")
    def file_name(self) -> str:
        return f"{exports.FILE_STEM[AccountKind(self.kind)]}.{self.format.value.lower()}"

    @strawberry.field(description="A fresh short-lived download URL. A PDF answers 202 there "
                      "until it is ready.")
    def url(self, info: strawberry.Info) -> str:
        return exports.download_url(info.context.host, self._model())

    @strawberry.field(description="The job rendering a PDF (an OutboxJob id; system admins "
                      "can follow it with jobStatusChanged).")
    def job_id(self) -> strawberry.ID | None:
        if self.outbox_job_id is None:
            return None
        return strawberry.ID(relay.to_base64("OutboxJob", self.outbox_job_id))

    def _model(self) -> AccountExport:
        return AccountExport(id=self.id, reseller_id=self.reseller_id)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> AccountExportNode:
        return cls(**{k: row[k] for k in EXPORT_COLUMNS})

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ) -> list[AccountExportNode | None]:
        ids = [int(i) for i in node_ids if str(i).isdigit()]
        rows = await _exports_visible(info).filter(id__in=ids).values(*EXPORT_COLUMNS)
        found = {r["id"]: cls.from_row(r) for r in rows}
        return [found.get(int(i)) if str(i).isdigit() else None for i in node_ids]


def _exports_visible(info: strawberry.Info) -> Any:
    principal = info.context.principal
    if principal is None or principal.role not in STAFF or principal.direct_access:
        return AccountExport.filter(id=-1)
    if principal.role == Role.SYSTEM_ADMIN:
        return AccountExport.all()
    return AccountExport.filter(reseller_id=principal.reseller_id or -1)


@strawberry.type(description="An unsubscribed account the purge would archive and delete.")
class PurgeCandidate:
    account_number: int
    kind: AccountKindEnum  # type: ignore[valid-type]
    name: str
    can: str
    reseller_id: int
    user_count: int
    unsubscribed_at: DateTime  # type: ignore[valid-type]
    purge_due_at: DateTime  # type: ignore[valid-type]


# --- Inputs and payloads --------------------------------------------------------------------

@strawberry.input
class ChangeBillingStatusInput:
    id: strawberry.ID
    billing_status: BillingStatusEnum  # type: ignore[valid-type]
    trial_days: int | None = strawberry.field(default=None, description="Back to a free trial: "
                                              "15 to 90 days (default 30).")
    invoice_preview_token: str | None = strawberry.field(
        default=None, description="From invoicePreview: needed to leave a free trial.")
    accept_terms: bool = strawberry.field(default=False, description="J'accepte les modalités "
                                          "et conditions.")
    payment_method: SignupBillingInput | None = strawberry.field(
        default=None, description="Needed to go to production unless one is on file.")


@strawberry.type
class AccountPayload:
    account: AccountNode | None
    errors: list[ClientsError]  # type: ignore[valid-type]


@strawberry.input
class DeleteAccountInput:
    id: strawberry.ID


@strawberry.type
class DeleteAccountPayload:
    account: AccountNode | None = strawberry.field(description="Now UNSUBSCRIBED.")
    errors: list[ClientsError]  # type: ignore[valid-type]


@strawberry.input
class ReactivateAccountInput:
    id: strawberry.ID
    billing_status: BillingStatusEnum | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Default: the status it had before it was unsubscribed.")


@strawberry.input
class SendAccountMessageInput:
    account_ids: list[strawberry.ID]
    from_id: strawberry.ID = strawberry.field(description="De: one of the reseller's admins.")
    kind: MessageKindEnum  # type: ignore[valid-type]
    cc: list[str] = strawberry.field(default_factory=list)
    bcc: list[str] = strawberry.field(default_factory=list)
    subject: str | None = strawberry.field(default=None, description="Required for CUSTOM; "
                                           "ACCESS_CODES has a default.")
    body: str | None = strawberry.field(default=None, description="The message (optional with "
                                        "ACCESS_CODES: the codes are inserted).")


@strawberry.type
class SendAccountMessagePayload:
    messages: list[AccountMessageNode]
    errors: list[ClientsError]  # type: ignore[valid-type]


@strawberry.input
class ExportAccountsInput:
    kind: AccountKindEnum  # type: ignore[valid-type]
    format: ExportFormatEnum  # type: ignore[valid-type]
    ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="The checked accounts; null: all that match the filter.")
    filter: AccountFilter | None = None
    order_by: AccountOrder | None = None


@strawberry.type
class ExportAccountsPayload:
    export: AccountExportNode | None
    url: str | None = strawberry.field(description="Short-lived signed download URL.")
    job_id: strawberry.ID | None = strawberry.field(description="The PDF's rendering job.")
    errors: list[ClientsError]  # type: ignore[valid-type]


MAX_EXPORT_IDS = 1000


def _account_id(raw: Any, field: list[str | int]) -> int:
    return object_id(raw, "Account", field)


async def _account(info: strawberry.Info, raw: Any) -> Account:
    return await services.account_for(info.context.principal, _account_id(raw, ["input", "id"]))


def _actor(info: strawberry.Info) -> int | None:
    principal = info.context.principal
    return principal.real_user_id if principal.direct_access else principal.user_id


async def _node(account_id: int) -> AccountNode:
    rows = await Account.filter(id=account_id).values(*ACCOUNT_COLUMNS)
    return AccountNode.from_row(rows[0])


async def _check_selected(info: strawberry.Info, kind: AccountKind, ids: tuple[int, ...]) -> None:
    """Checked accounts are the caller's, of the tab's kind; others are named, not skipped."""
    found = dict(await scoping.accounts_visible(info.context.principal).filter(
        id__in=list(ids)).values_list("id", "kind"))
    problems = [
        e.problem(e.ClientsErrorCode.NOT_FOUND, e.NOT_FOUND, ["input", "ids", i])
        if account_id not in found else
        e.problem(e.ClientsErrorCode.INVALID, e.WRONG_KIND, ["input", "ids", i])
        for i, account_id in enumerate(ids)
        if found.get(account_id) != kind
    ]
    if problems:
        raise InputProblems(problems)


@strawberry.type
class ClientsQuery:
    @strawberry.field(extensions=allow(*STAFF),
                      description="The Compagnies or Professionnels tab: filter, sort, page.")
    async def accounts(
        self, info: strawberry.Info, kind: AccountKindEnum,  # type: ignore[valid-type]
        filter: AccountFilter | None = None, order_by: AccountOrder | None = None,
        first: int | None = None, after: str | None = None,
    ) -> Connection[AccountNode]:
        offset, limit = page_window(first, after, info.context.settings.max_page_size)
        query = list_query(info, kind, filter, order_by)
        rows, total = await listing.fetch_page(query, offset, limit)
        return build_connection(rows, offset, limit, total, account_node)

    @strawberry.field(extensions=allow(*STAFF),
                      description="The invoice a free trial's first bill would be; its token "
                      "lets changeBillingStatus move the account to production.")
    async def invoice_preview(self, info: strawberry.Info,
                              account_id: strawberry.ID) -> InvoicePreview | None:
        try:
            account = await services.account_for(info.context.principal,
                                                 _account_id(account_id, ["accountId"]))
        except PayloadError:
            return None
        preview = await services.invoice_preview(account, info.context.host)
        lines = [InvoiceLine(description=line.description, quantity=line.quantity,
                             amount=_money(line.amount, line.currency))
                 for line in preview.lines]
        currency = preview.lines[0].currency if preview.lines else "CAD"
        return InvoicePreview(lines=lines, total=_money(preview.total, currency),
                              token=preview.token, expires_at=preview.expires_at)

    @strawberry.field(extensions=allow(*STAFF),
                      description="Messages sent to an account from the Clients page.")
    async def account_messages(
        self, info: strawberry.Info, account_id: strawberry.ID,
        first: int | None = None, after: str | None = None,
    ) -> Connection[AccountMessageNode]:
        offset, limit = page_window(first, after, info.context.settings.max_page_size)
        try:
            account = await services.account_for(info.context.principal,
                                                 _account_id(account_id, ["accountId"]))
        except PayloadError:
            return build_connection([], offset, limit, 0)
        query = AccountMessage.filter(account_id=account.id)
        total = await query.count()
        rows = await query.order_by("-id").offset(offset).limit(limit + 1).values(
            *MESSAGE_COLUMNS)
        return build_connection(rows, offset, limit, total, AccountMessageNode.from_row)

    @strawberry.field(extensions=allow(*STAFF),
                      description="An export's state and a fresh download URL.")
    async def account_export(self, info: strawberry.Info,
                             id: strawberry.ID) -> AccountExportNode | None:
        try:
            export_id = object_id(id, "AccountExport", ["id"])
        except PayloadError:
            return None
        rows = await _exports_visible(info).filter(id=export_id).values(*EXPORT_COLUMNS)
        return AccountExportNode.from_row(rows[0]) if rows else None

    @strawberry.field(extensions=allow(Role.SYSTEM_ADMIN),
                      description="Dry run of the purge: the unsubscribed accounts it would "
                      "archive and delete now, oldest first.")
    async def purge_preview(self, info: strawberry.Info, first: int | None = None,
                            after: str | None = None) -> Connection[PurgeCandidate]:
        offset, limit = page_window(first, after, info.context.settings.max_page_size)
        cfg = config(info)
        rows, total = await services.purge_preview(cfg, offset, limit)
        delay = dt.timedelta(days=cfg.purge_after_days)
        return build_connection(rows, offset, limit, total, lambda r: PurgeCandidate(
            account_number=r["id"], kind=r["kind"], name=r["name"], can=r["can"],
            reseller_id=r["reseller_id"], user_count=r["user_count"],
            unsubscribed_at=r["unsubscribed_at"], purge_due_at=r["unsubscribed_at"] + delay))

    @strawberry.field(extensions=allow(*STAFF),
                      description="Names of the installed account importers (import is not "
                      "offered by the gateway itself; importer plugins add it).")
    def account_importers(self, info: strawberry.Info) -> list[str]:
        return importers.importer_names(info.context.host)


@strawberry.type
class ClientsMutation:
    @strawberry.mutation(extensions=allow(*STAFF),
                         description="Change the billing status, only as the seeds allow.")
    async def change_billing_status(self, info: strawberry.Info,
                                    input: ChangeBillingStatusInput) -> AccountPayload:
        language = info.context.language
        try:
            account = await _account(info, input.id)
            account = await services.change_billing_status(
                account, BillingStatus(as_data(input.billing_status)), host=info.context.host,
                config=config(info), actor_user_id=_actor(info), trial_days=input.trial_days,
                invoice_preview_token=input.invoice_preview_token,
                accept_terms=input.accept_terms,
                payment=as_data(input.payment_method) if given(input.payment_method) else None,
            )
        except (PayloadError, InputProblems) as error:
            return AccountPayload(account=None, errors=errors_of(error, language))
        return AccountPayload(account=await _node(account.id), errors=[])

    @strawberry.mutation(extensions=allow(*STAFF),
                         description="Supprimer: unsubscribe the account (kept 90 days, then "
                         "archived and purged).")
    async def delete_account(self, info: strawberry.Info,
                             input: DeleteAccountInput) -> DeleteAccountPayload:
        language = info.context.language
        try:
            account = await _account(info, input.id)
            account = await services.unsubscribe(account, host=info.context.host,
                                                 config=config(info), actor_user_id=_actor(info))
        except (PayloadError, InputProblems) as error:
            return DeleteAccountPayload(account=None, errors=errors_of(error, language))
        return DeleteAccountPayload(account=await _node(account.id), errors=[])

    @strawberry.mutation(extensions=allow(Role.SYSTEM_ADMIN),
                         description="Bring an unsubscribed account back before the purge.")
    async def reactivate_account(self, info: strawberry.Info,
                                 input: ReactivateAccountInput) -> AccountPayload:
        language = info.context.language
        try:
            account = await _account(info, input.id)
            account = await services.reactivate(
                account, host=info.context.host, actor_user_id=_actor(info),
                billing_status=BillingStatus(as_data(input.billing_status))
                if given(input.billing_status) else None,
            )
        except (PayloadError, InputProblems) as error:
            return AccountPayload(account=None, errors=errors_of(error, language))
        return AccountPayload(account=await _node(account.id), errors=[])

    @strawberry.mutation(extensions=allow(*STAFF),
                         description="Envoi Msg: access codes or a message to the selected "
                         "accounts' addresses.")
    async def send_account_message(self, info: strawberry.Info,
                                   input: SendAccountMessageInput) -> SendAccountMessagePayload:
        language = info.context.language
        try:
            problems: list[PayloadError] = []
            ids: list[int] = []
            for i, raw in enumerate(input.account_ids):
                try:
                    ids.append(_account_id(raw, ["input", "accountIds", i]))
                except PayloadError as error:
                    problems.append(error)
            sender_id = object_id(input.from_id, "User", ["input", "fromId"], e.SENDER_NOT_ADMIN)
            if problems:
                raise InputProblems(problems)
            messages = await services.send_messages(
                info.context.principal, ids, sender_id=sender_id,
                kind=MessageKind(as_data(input.kind)), subject=input.subject, body=input.body,
                cc=input.cc, bcc=input.bcc, host=info.context.host,
            )
        except (PayloadError, InputProblems) as error:
            return SendAccountMessagePayload(messages=[], errors=errors_of(error, language))
        rows = await AccountMessage.filter(id__in=[m.id for m in messages]).order_by(
            "id").values(*MESSAGE_COLUMNS)
        return SendAccountMessagePayload(
            messages=[AccountMessageNode.from_row(r) for r in rows], errors=[])

    @strawberry.mutation(extensions=allow(*STAFF),
                         description="Export the checked accounts, or all that match the "
                         "filter, to CSV or PDF; the payload has the download URL.")
    async def export_accounts(self, info: strawberry.Info,
                              input: ExportAccountsInput) -> ExportAccountsPayload:
        language = info.context.language
        try:
            ids = None
            if input.ids is not None:
                if len(input.ids) > MAX_EXPORT_IDS:
                    raise e.problem(e.ClientsErrorCode.TOO_MANY, e.TOO_MANY_IDS,
                                    ["input", "ids"], max=MAX_EXPORT_IDS)
                ids = tuple(_account_id(raw, ["input", "ids", i])
                            for i, raw in enumerate(input.ids))
                await _check_selected(info, AccountKind(as_data(input.kind)), ids)
            query = list_query(info, AccountKind(as_data(input.kind)), input.filter,
                               input.order_by, ids)
            if ids is not None and input.filter is None:
                # Checked rows are exported whatever the status drop-down says.
                query = dataclasses.replace(query, status=None)
            export = await exports.request_export(
                info.context.principal, query, ExportFormat(as_data(input.format)),
                language=language, host=info.context.host, config=config(info),
            )
        except (PayloadError, InputProblems) as error:
            return ExportAccountsPayload(export=None, url=None, job_id=None,
                                         errors=errors_of(error, language))
        node = AccountExportNode.from_row(
            (await AccountExport.filter(id=export.id).values(*EXPORT_COLUMNS))[0])
        return ExportAccountsPayload(export=node, url=exports.download_url(info.context.host,
                                                                           export),
                                     job_id=node.job_id(), errors=[])
