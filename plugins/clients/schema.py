"""GraphQL of the Clients page: the two lists, billing status, delete (unsubscribe) and
reactivate, messages to subscribers, exports, and the purge's dry run."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import Enum
from typing import Any

import strawberry
from strawberry import relay
from tortoise.queryset import QuerySet

from gateway.api import (
    ACCOUNT_COLUMNS,
    STAFF,
    Account,
    AccountKind,
    AccountNode,
    BillingStatus,
    Connection,
    DateTime,
    Money,
    OrderDirection,
    Principal,
    Problem,
    Role,
    RowNode,
    account_for,
    account_loader,
    as_data,
    build_connection,
    field,
    given,
    global_id,
    mutation,
    node_pk,
    object_pk,
    page_window,
    raise_all,
)
from plugins.clients import errors as e
from plugins.clients import exports, importers, listing, services
from plugins.clients.config import PLUGIN_NAME, ClientsConfig
from plugins.clients.errors import ClientsErrorCode as Code
from plugins.clients.models import (
    AccountExport,
    AccountMessage,
    ExportFormat,
    ExportStatus,
    MessageKind,
    MessageStatus,
)
from plugins.clients.signup_schema import ClientsError, SignupBillingInput


def _config(info: strawberry.Info) -> ClientsConfig:
    return info.context.host.config_for(PLUGIN_NAME, ClientsConfig)


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
    billing_status: BillingStatus | None = None
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


def list_query(principal: Principal, kind: AccountKind, filter: AccountFilter | None,
               order_by: AccountOrder | None,
               ids: tuple[int, ...] | None = None) -> listing.AccountListQuery:
    """The list's filter row and sort as a query. Checked rows (``ids``) are exported whatever
    the status drop-down says unless a filter is given."""
    if filter is None:
        filter = AccountFilter(status=None) if ids is not None else AccountFilter()
    return listing.AccountListQuery.for_principal(
        principal, kind,
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
    expires_at: DateTime


def _money(amount: Decimal | None, currency: str) -> Money | None:
    return None if amount is None else Money(amount=amount, currency=currency)


# --- Messages, exports, purge --------------------------------------------------------------

strawberry.enum(MessageKind, name="AccountMessageKind",
                description="ACCESS_CODES (login id and a set-password link, never a password) "
                "or CUSTOM.")
strawberry.enum(MessageStatus, name="AccountMessageStatus",
                description="SENT, or SUPPRESSED for an account in test mode.")
strawberry.enum(ExportFormat, name="ExportFormat")
strawberry.enum(ExportStatus, name="ExportStatus")


@strawberry.type(name="AccountMessage", description="An email sent from the Clients page.")
class AccountMessageNode(RowNode):
    id: relay.NodeID[int]
    kind: MessageKind
    status: MessageStatus
    to_address: str
    cc: list[str]
    bcc: list[str]
    subject: str
    body: str
    created_at: DateTime
    account_id: strawberry.Private[int]
    sender_id: strawberry.Private[int | None]

    COLUMNS = ("id", "account_id", "sender_id", "kind", "status", "to_address", "cc", "bcc",
               "subject", "body", "created_at")

    @classmethod
    def visible(cls, principal: Principal | None) -> QuerySet[AccountMessage]:
        return services.messages_visible(principal)

    @strawberry.field
    async def account(self, info: strawberry.Info) -> AccountNode | None:
        return await account_loader(info).load(self.account_id)


@strawberry.type(name="AccountExport", description="An export of a Clients list.")
class AccountExportNode(RowNode):
    id: relay.NodeID[int]
    kind: AccountKind
    format: ExportFormat
    status: ExportStatus
    row_count: int | None = strawberry.field(description="Known once a PDF is rendered.")
    created_at: DateTime
    ready_at: DateTime | None
    reseller_id: strawberry.Private[int | None]
    outbox_job_id: strawberry.Private[int | None]
    language: strawberry.Private[str]

    COLUMNS = ("id", "reseller_id", "kind", "format", "status", "row_count", "outbox_job_id",
               "created_at", "ready_at", "language")

    @classmethod
    def visible(cls, principal: Principal | None) -> QuerySet[AccountExport]:
        return exports.exports_visible(principal)

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
        return global_id("OutboxJob", self.outbox_job_id)

    def _model(self) -> AccountExport:
        return AccountExport(id=self.id, reseller_id=self.reseller_id)


@strawberry.type(description="An unsubscribed account the purge would archive and delete.")
class PurgeCandidate:
    account_number: int
    kind: AccountKind
    name: str
    can: str
    reseller_id: int
    user_count: int
    unsubscribed_at: DateTime
    purge_due_at: DateTime


# --- Inputs and payloads --------------------------------------------------------------------

@strawberry.input
class ChangeBillingStatusInput:
    id: strawberry.ID
    billing_status: BillingStatus
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
    errors: list[ClientsError] = strawberry.field(
        default_factory=list)


@strawberry.input
class DeleteAccountInput:
    id: strawberry.ID


@strawberry.type
class DeleteAccountPayload:
    account: AccountNode | None = strawberry.field(description="Now UNSUBSCRIBED.")
    errors: list[ClientsError] = strawberry.field(
        default_factory=list)


@strawberry.input
class ReactivateAccountInput:
    id: strawberry.ID
    billing_status: BillingStatus | None = strawberry.field(
        default=None, description="Default: the status it had before it was unsubscribed.")


@strawberry.input
class SendAccountMessageInput:
    account_ids: list[strawberry.ID]
    from_id: strawberry.ID = strawberry.field(description="De: one of the reseller's admins.")
    kind: MessageKind
    cc: list[str] = strawberry.field(default_factory=list)
    bcc: list[str] = strawberry.field(default_factory=list)
    subject: str | None = strawberry.field(default=None, description="Required for CUSTOM; "
                                           "ACCESS_CODES has a default.")
    body: str | None = strawberry.field(default=None, description="The message (optional with "
                                        "ACCESS_CODES: the codes are inserted).")


@strawberry.type
class SendAccountMessagePayload:
    messages: list[AccountMessageNode] = strawberry.field(default_factory=list)
    errors: list[ClientsError] = strawberry.field(
        default_factory=list)


@strawberry.input
class ExportAccountsInput:
    kind: AccountKind
    format: ExportFormat
    ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="The checked accounts; null: all that match the filter.")
    filter: AccountFilter | None = None
    order_by: AccountOrder | None = None


@strawberry.type
class ExportAccountsPayload:
    export: AccountExportNode | None
    url: str | None = strawberry.field(description="Short-lived signed download URL.")
    job_id: strawberry.ID | None = strawberry.field(description="The PDF's rendering job.")
    errors: list[ClientsError] = strawberry.field(
        default_factory=list)


async def _account(info: strawberry.Info, raw: Any) -> Account:
    """The account ``input.id`` names, if the caller may see it."""
    path = ["input", "id"]
    return await account_for(info.context.principal,
                             node_pk(raw, "Account", path, text=e.NOT_FOUND), path,
                             text=e.NOT_FOUND)


async def _node(account_id: int) -> AccountNode:
    rows = await Account.filter(id=account_id).values(*ACCOUNT_COLUMNS)
    return AccountNode.from_row(rows[0])


@strawberry.type
class ClientsQuery:
    @field(*STAFF, description="The Compagnies or Professionnels tab: filter, sort, page.")
    async def accounts(
        self, info: strawberry.Info, kind: AccountKind,
        filter: AccountFilter | None = None, order_by: AccountOrder | None = None,
        first: int | None = None, after: str | None = None,
    ) -> Connection[AccountNode]:
        offset, limit = page_window(first, after, info.context.settings.max_page_size)
        query = list_query(info.context.principal, kind, filter, order_by)
        rows, total = await listing.fetch_page(query, offset, limit)
        return build_connection(rows, offset, limit, total, account_node)

    @field(*STAFF, description="The invoice a free trial's first bill would be; its token lets "
           "changeBillingStatus move the account to production.")
    async def invoice_preview(self, info: strawberry.Info,
                              account_id: strawberry.ID) -> InvoicePreview | None:
        account = await services.visible_account(info.context.principal,
                                                 object_pk(account_id, "Account"))
        if account is None:
            return None
        preview = await services.invoice_preview(account, info.context.host)
        lines = [InvoiceLine(description=line.description, quantity=line.quantity,
                             amount=_money(line.amount, line.currency))
                 for line in preview.lines]
        currency = preview.lines[0].currency if preview.lines else "CAD"
        return InvoicePreview(lines=lines, total=_money(preview.total, currency),
                              token=preview.token, expires_at=preview.expires_at)

    @field(*STAFF, description="Messages sent to an account from the Clients page.")
    async def account_messages(
        self, info: strawberry.Info, account_id: strawberry.ID,
        first: int | None = None, after: str | None = None,
    ) -> Connection[AccountMessageNode]:
        offset, limit = page_window(first, after, info.context.settings.max_page_size)
        account = await services.visible_account(info.context.principal,
                                                 object_pk(account_id, "Account"))
        if account is None:
            return build_connection([], offset, limit, 0)
        query = AccountMessage.filter(account_id=account.id)
        total = await query.count()
        rows = await query.order_by("-id").offset(offset).limit(limit + 1).values(
            *AccountMessageNode.COLUMNS)
        return build_connection(rows, offset, limit, total, AccountMessageNode.from_row)

    @field(*STAFF, description="An export's state and a fresh download URL.")
    async def account_export(self, info: strawberry.Info,
                             id: strawberry.ID) -> AccountExportNode | None:
        (export,) = await AccountExportNode.load(info.context.principal,
                                                 [object_pk(id, "AccountExport")])
        return export

    @field(Role.SYSTEM_ADMIN, description="Dry run of the purge: the unsubscribed accounts it "
           "would archive and delete now, oldest first.")
    async def purge_preview(self, info: strawberry.Info, first: int | None = None,
                            after: str | None = None) -> Connection[PurgeCandidate]:
        offset, limit = page_window(first, after, info.context.settings.max_page_size)
        config = _config(info)
        rows, total = await services.purge_preview(config, offset, limit)
        delay = dt.timedelta(days=config.purge_after_days)
        return build_connection(rows, offset, limit, total, lambda r: PurgeCandidate(
            account_number=r["id"], kind=r["kind"], name=r["name"], can=r["can"],
            reseller_id=r["reseller_id"], user_count=r["user_count"],
            unsubscribed_at=r["unsubscribed_at"], purge_due_at=r["unsubscribed_at"] + delay))

    @field(*STAFF, description="Names of the installed account importers (import is not "
           "offered by the gateway itself; importer plugins add it).")
    def account_importers(self, info: strawberry.Info) -> list[str]:
        return importers.importer_names(info.context.host)


@strawberry.type
class ClientsMutation:
    @mutation(*STAFF, errors=ClientsError,
              description="Change the billing status, only as the seeds allow.")
    async def change_billing_status(self, info: strawberry.Info,
                                    input: ChangeBillingStatusInput) -> AccountPayload:
        account = await services.change_billing_status(
            await _account(info, input.id), input.billing_status, host=info.context.host,
            config=_config(info), actor_user_id=services.actor_id(info.context.principal),
            trial_days=input.trial_days, invoice_preview_token=input.invoice_preview_token,
            accept_terms=input.accept_terms,
            payment=as_data(input.payment_method) if given(input.payment_method) else None,
        )
        return AccountPayload(account=await _node(account.id))

    @mutation(*STAFF, errors=ClientsError,
              description="Supprimer: unsubscribe the account (kept 90 days, then archived and "
              "purged).")
    async def delete_account(self, info: strawberry.Info,
                             input: DeleteAccountInput) -> DeleteAccountPayload:
        account = await services.unsubscribe(
            await _account(info, input.id), host=info.context.host, config=_config(info),
            actor_user_id=services.actor_id(info.context.principal))
        return DeleteAccountPayload(account=await _node(account.id))

    @mutation(Role.SYSTEM_ADMIN, errors=ClientsError,
              description="Bring an unsubscribed account back before the purge.")
    async def reactivate_account(self, info: strawberry.Info,
                                 input: ReactivateAccountInput) -> AccountPayload:
        account = await services.reactivate(
            await _account(info, input.id), host=info.context.host,
            actor_user_id=services.actor_id(info.context.principal),
            billing_status=input.billing_status,
        )
        return AccountPayload(account=await _node(account.id))

    @mutation(*STAFF, errors=ClientsError,
              description="Envoi Msg: access codes or a message to the selected accounts' "
              "addresses.")
    async def send_account_message(self, info: strawberry.Info,
                                   input: SendAccountMessageInput) -> SendAccountMessagePayload:
        if len(input.account_ids) > services.MAX_MESSAGE_ACCOUNTS:  # before reading them
            raise Problem(Code.TOO_MANY, e.TOO_MANY_IDS, ["input", "accountIds"],
                          max=services.MAX_MESSAGE_ACCOUNTS)
        ids = [object_pk(raw, "Account") for raw in input.account_ids]
        sender_id = node_pk(input.from_id, "User", ["input", "fromId"], text=e.SENDER_NOT_ADMIN)
        raise_all([Problem(Code.NOT_FOUND, e.NOT_FOUND, ["input", "accountIds", i])
                   for i, pk in enumerate(ids) if pk is None])
        messages = await services.send_messages(
            info.context.principal, [pk for pk in ids if pk is not None], sender_id=sender_id,
            kind=input.kind, subject=input.subject, body=input.body, cc=input.cc, bcc=input.bcc,
            host=info.context.host,
        )
        rows = await AccountMessage.filter(id__in=[m.id for m in messages]).order_by(
            "id").values(*AccountMessageNode.COLUMNS)
        return SendAccountMessagePayload(messages=[AccountMessageNode.from_row(r) for r in rows])

    @mutation(*STAFF, errors=ClientsError,
              description="Export the checked accounts, or all that match the filter, to CSV "
              "or PDF; the payload has the download URL.")
    async def export_accounts(self, info: strawberry.Info,
                              input: ExportAccountsInput) -> ExportAccountsPayload:
        principal = info.context.principal
        ids = None
        if input.ids is not None:
            if len(input.ids) > exports.MAX_SELECTED:
                raise Problem(Code.TOO_MANY, e.TOO_MANY_IDS, ["input", "ids"],
                              max=exports.MAX_SELECTED)
            ids = tuple(node_pk(raw, "Account", ["input", "ids", i], text=e.NOT_FOUND)
                        for i, raw in enumerate(input.ids))
        export = await exports.request_export(
            principal, list_query(principal, input.kind, input.filter, input.order_by, ids),
            input.format, language=info.context.language, host=info.context.host,
            config=_config(info),
        )
        node = AccountExportNode.from_row(
            (await AccountExport.filter(id=export.id).values(*AccountExportNode.COLUMNS))[0])
        return ExportAccountsPayload(export=node, url=exports.download_url(info.context.host,
                                                                           export),
                                     job_id=node.job_id())
