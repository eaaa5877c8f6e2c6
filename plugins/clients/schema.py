"""GraphQL of the Clients page: the two lists, billing status, delete (unsubscribe) and
reactivate, messages to subscribers, exports, and the purge's dry run."""

from __future__ import annotations

import base64
import datetime as dt
import json
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any

import orjson
import strawberry
from strawberry import relay
from tortoise.queryset import QuerySet

from gateway.api import (
    ACCOUNT_COLUMNS,
    MAX_DATABASE_ID,
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
    describe_enum_values,
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
from plugins.clients.signup_schema import (
    ClientsError,
    SignupBillingInput,
)


def _config(info: strawberry.Info) -> ClientsConfig:
    return info.context.host.config_for(PLUGIN_NAME, ClientsConfig)


@strawberry.enum(description="Actifs / Désabonnés: the Comptes drop-down of the lists.")
class AccountStatus(Enum):
    ACTIVE = "ACTIVE"
    UNSUBSCRIBED = "UNSUBSCRIBED"


describe_enum_values(AccountStatus, {
    "ACTIVE": "Accounts in free trial, in production or with billing suspended (Actifs).",
    "UNSUBSCRIBED": "Deleted accounts, kept until the purge (Désabonnés).",
})


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


describe_enum_values(AccountOrderField, {
    "ACCOUNT_NUMBER": "The account number: CID of a company, UID of a professional.",
    "NAME": "The company's name (Entreprise) or the professional's (Utilisateur), ignoring "
    "case.",
    "ORG_ID": "ORGID: the organisation's account number, or the account's own when it is not "
    "affiliated.",
    "USER_COUNT": "The number of users of the account (Utilisateurs).",
    "CAN": "The customer account number used for billing (CAN).",
    "PHONE_NUMBER": "The virtual receptionist's number (Numéro de téléphone).",
    "LANGUAGE": "The account's language (Lang).",
    "EXTENSION": "The professional's extension (Poste); empty for a company.",
    "BILLING_STATUS": "The billing status (Facturation).",
})


@strawberry.input(description="The keyword row of the lists (one field per column, matched "
                  "anywhere in the column, ignoring case), the search box, and the status.")
class AccountFilter:
    search: str | None = strawberry.field(
        default=None, description="In any text column: CID/UID, name, ORGID, CAN, phone "
        "number, language, extension.")
    account_number: str | None = strawberry.field(
        default=None, description="Digits found in the CID (companies) or UID (professionals).")
    name: str | None = strawberry.field(
        default=None, description="Text found in the company's or the professional's name.")
    org_id: str | None = strawberry.field(
        default=None, description="Digits found in the ORGID (the organisation's account "
        "number, or the account's own).")
    user_count: int | None = strawberry.field(default=None, description="Exactly this many.")
    can: str | None = strawberry.field(
        default=None, description="Text found in the CAN, the billing account number.")
    phone_number: str | None = strawberry.field(
        default=None, description="Digits in any format, e.g. (514) 555.")
    language: str | None = strawberry.field(default=None,
                                            description="Text found in the language, e.g. fr.")
    extension: str | None = strawberry.field(
        default=None, description="Text found in the professional's extension (Poste).")
    billing_status: BillingStatus | None = strawberry.field(
        default=None, description="Exactly this billing status; null: any.")
    status: AccountStatus | None = strawberry.field(
        default=AccountStatus.ACTIVE, description="ACTIVE (default), UNSUBSCRIBED, or null "
        "for both.")


@strawberry.input(description="The column a Clients list is sorted on (a click on its "
                  "header), then by account number.")
class AccountOrder:
    field: AccountOrderField = strawberry.field(description="The column to sort on.")
    direction: OrderDirection = strawberry.field(default=OrderDirection.ASC,
                                                 description="ASC (default) or DESC.")


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


# A page's cursors carry the row's place in its sort (keyset pagination: the next page reads
# from there in the sort index, so a deep page costs what the first does, and a cursor stays
# on its row when rows are added or removed before it), with the row's offset for
# hasNextPage and for a cursor given with another sort.
_KEYSET = "k:"
_KEYSET_BYTES = _KEYSET.encode()


def _keyset_cursor(query: listing.AccountListQuery, offset: int, row: dict[str, Any]) -> str:
    # orjson writes what json.dumps(..., separators=(",", ":"), ensure_ascii=False) wrote
    # (the cursors of a page are a tenth of its time), and json.loads reads it back.
    payload = orjson.dumps([offset, query.order_field, query.descending, row["sort_key"],
                            row["id"]])
    return base64.urlsafe_b64encode(_KEYSET_BYTES + payload).decode()


def _keyset_of(cursor: str, query: listing.AccountListQuery) -> tuple[int, Any, int] | None:
    """(offset, sort key, id) of one of our keyset cursors; None for any other text (the
    offset cursors' decoder then accepts or refuses it)."""
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
        if not text.startswith(_KEYSET):
            return None
        offset, order_field, descending, key, row_id = json.loads(text[len(_KEYSET):])
    except (ValueError, TypeError, UnicodeDecodeError):
        return None
    numeric = order_field in listing.NUMERIC_SORTS
    valid = (
        type(offset) is int and 0 <= offset <= MAX_DATABASE_ID
        and type(row_id) is int and 0 < row_id <= MAX_DATABASE_ID
        and isinstance(descending, bool) and order_field in listing.COLUMNS
        and ((type(key) is int and 0 <= key <= MAX_DATABASE_ID) if numeric
             else (isinstance(key, str) and len(key) <= 1000))
    )
    if not valid:
        return None
    if (order_field, descending) != (query.order_field, query.descending):
        return offset, None, 0  # made for another sort: its offset only
    return offset, key, row_id


def account_window(first: int | None, after: str | None, query: listing.AccountListQuery,
                   max_page_size: int) -> tuple[int, int, tuple[Any, int] | None]:
    """(offset, limit, the sort key and id to read after, if any) of a page of a list."""
    keyset = _keyset_of(after, query) if after else None
    if keyset is None:
        offset, limit = page_window(first, after, max_page_size)
        return offset, limit, None
    _, limit = page_window(first, None, max_page_size)
    offset, key, row_id = keyset
    return offset + 1, limit, (key, row_id) if row_id else None


def account_connection(query: listing.AccountListQuery, rows: list[dict[str, Any]],
                       offset: int, limit: int, total: int) -> Connection[AccountNode]:
    return build_connection(rows, offset, limit, total, account_node,
                            lambda position, row: _keyset_cursor(query, position, row))


def account_node(row: dict[str, Any]) -> AccountNode:
    """A list row's node: what ``AccountNode(**columns, prefetched=...)`` builds, its fields
    set without the dataclass's ``__init__`` (half a page's node-building time;
    tests/plugins/clients/test_listing_rows.py keeps both the same)."""
    node = object.__new__(AccountNode)
    fields = node.__dict__
    for column in ACCOUNT_COLUMNS:
        fields[column] = row[column]
    fields["prefetched"] = {"user_count": row["user_count"], "extension": row["extension"]}
    return node


# --- Invoice preview -----------------------------------------------------------------------

@strawberry.type(description="A line of the invoice preview: a plan, an option or a device.")
class InvoiceLine:
    description: str = strawberry.field(description="What is billed, e.g. the plan's name.")
    quantity: int = strawberry.field(description="How many are billed.")
    amount: Money | None = strawberry.field(description="Null when the billing system prices "
                                            "it.")


@strawberry.type(description="What the first invoice will hold (Aperçu de la facture).")
class InvoicePreview:
    lines: list[InvoiceLine] = strawberry.field(description="The plan, options and devices "
                                                "billed.")
    total: Money | None = strawberry.field(
        description="Sum of amount x quantity of every line (Decimal with currency); null when "
        "a line is unpriced.")
    token: str = strawberry.field(description="Pass it to changeBillingStatus: it shows the "
                                  "preview was seen.")
    expires_at: DateTime = strawberry.field(
        description="When the token stops working (1 hour after the preview).")


def _money(amount: Decimal | None, currency: str) -> Money | None:
    return None if amount is None else Money(amount=amount, currency=currency)


# --- Messages, exports, purge --------------------------------------------------------------

strawberry.enum(MessageKind, name="AccountMessageKind",
                description="ACCESS_CODES (login id and a set-password link, never a password) "
                "or CUSTOM.")
strawberry.enum(MessageStatus, name="AccountMessageStatus",
                description="SENT, or SUPPRESSED for an account in test mode.")
describe_enum_values(MessageKind, {
    "ACCESS_CODES": "Envoi des codes d'accès: the login id of the account's administrator and "
    "a link to set a password.",
    "CUSTOM": "Envoi d'un nouveau message: the reseller's own subject and message.",
})
describe_enum_values(MessageStatus, {
    "SENT": "Queued for delivery to the account's address and its copies.",
    "SUPPRESSED": "Not sent: the account is in test mode (mode test).",
})
strawberry.enum(ExportFormat, name="ExportFormat", description="The file an export makes.")
describe_enum_values(ExportFormat, {
    "CSV": "A CSV file (UTF-8), streamed when downloaded; no row limit.",
    "PDF": "A PDF table rendered by a job (at most 100,000 rows by default).",
})
strawberry.enum(ExportStatus, name="ExportStatus", description="Whether an export's file can "
                "be downloaded.")
describe_enum_values(ExportStatus, {
    "PENDING": "The PDF is being rendered: its URL answers 202 until it is ready.",
    "READY": "The file can be downloaded (a CSV is ready at once).",
    "FAILED": "Rendering the PDF failed: request a new export.",
})


@strawberry.type(name="AccountMessage", description="An email sent from the Clients page.")
class AccountMessageNode(RowNode):
    id: relay.NodeID[int]
    kind: MessageKind = strawberry.field(description="Access codes, or a custom message.")
    status: MessageStatus = strawberry.field(description="SENT, or SUPPRESSED for an account "
                                             "in test mode.")
    to_address: str = strawberry.field(description="The account's email address it went to "
                                       "(À).")
    cc: list[str] = strawberry.field(description="Addresses that got a copy (CC).")
    bcc: list[str] = strawberry.field(description="Addresses that got a blind copy (BCC).")
    subject: str = strawberry.field(description="The subject of the email (Objet).")
    body: str = strawberry.field(description="The reseller's message as typed (Message); "
                                 "never the access codes themselves.")
    created_at: DateTime = strawberry.field(description="When it was sent.")
    account_id: strawberry.Private[int]
    sender_id: strawberry.Private[int | None]

    COLUMNS = ("id", "account_id", "sender_id", "kind", "status", "to_address", "cc", "bcc",
               "subject", "body", "created_at")

    @classmethod
    def visible(cls, principal: Principal | None) -> QuerySet[AccountMessage]:
        return services.messages_visible(principal)

    @strawberry.field(description="The account it was sent to; null once purged or no longer "
                      "visible.")
    async def account(self, info: strawberry.Info) -> AccountNode | None:
        return await account_loader(info).load(self.account_id)


@strawberry.type(name="AccountExport", description="An export of a Clients list.")
class AccountExportNode(RowNode):
    id: relay.NodeID[int]
    kind: AccountKind = strawberry.field(description="The list exported: Compagnies or "
                                         "Professionnels.")
    format: ExportFormat = strawberry.field(description="CSV or PDF.")
    status: ExportStatus = strawberry.field(description="PENDING while a PDF renders, then "
                                            "READY or FAILED.")
    row_count: int | None = strawberry.field(description="Known once a PDF is rendered.")
    created_at: DateTime = strawberry.field(description="When the export was requested.")
    ready_at: DateTime | None = strawberry.field(description="When the file became ready; "
                                                 "null while pending or failed.")
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
    account_number: int = strawberry.field(description="CID or UID of the account.")
    kind: AccountKind = strawberry.field(description="Company or professional.")
    name: str = strawberry.field(description="The company's or the professional's name.")
    can: str = strawberry.field(description="The customer account number used for billing "
                                "(CAN).")
    reseller_id: int = strawberry.field(description="Database id of the account's reseller.")
    user_count: int = strawberry.field(description="How many users would be deleted with it.")
    unsubscribed_at: DateTime = strawberry.field(description="When it was deleted "
                                                 "(unsubscribed).")
    purge_due_at: DateTime = strawberry.field(description="When its retention ended: "
                                              "unsubscribedAt plus the purge delay (90 days "
                                              "by default).")


# --- Inputs and payloads --------------------------------------------------------------------

ACCOUNT_ID = "The account (an Account id)."
AccountIdArg = Annotated[strawberry.ID, strawberry.argument(
    description="The account (an Account id); one the caller may not see reads as if it did "
    "not exist.")]


@strawberry.input(description="A billing status change and what it needs: from a free trial, "
                  "the invoice preview's token, the terms and a payment method.")
class ChangeBillingStatusInput:
    id: strawberry.ID = strawberry.field(description=ACCOUNT_ID)
    billing_status: BillingStatus = strawberry.field(
        description="The status wanted: FREE_TRIAL only from BILLING_SUSPENDED, IN_PRODUCTION "
        "from FREE_TRIAL or BILLING_SUSPENDED, BILLING_SUSPENDED from IN_PRODUCTION.")
    trial_days: int | None = strawberry.field(default=None, description="Back to a free trial: "
                                              "15 to 90 days (default 30).")
    invoice_preview_token: str | None = strawberry.field(
        default=None, description="From invoicePreview: needed to leave a free trial.")
    accept_terms: bool = strawberry.field(default=False, description="J'accepte les modalités "
                                          "et conditions.")
    payment_method: SignupBillingInput | None = strawberry.field(
        default=None, description="Needed to go to production unless one is on file.")


@strawberry.type(description="The account after the change, or why it was refused.")
class AccountPayload:
    account: AccountNode | None = strawberry.field(description="The account as it is now; null "
                                                   "when refused.")
    errors: list[ClientsError] = strawberry.field(
        default_factory=list)


@strawberry.input(description="The account to delete (unsubscribe).")
class DeleteAccountInput:
    id: strawberry.ID = strawberry.field(description=ACCOUNT_ID)


@strawberry.type(description="The deleted (unsubscribed) account, or why it was refused.")
class DeleteAccountPayload:
    account: AccountNode | None = strawberry.field(description="The account, now "
                                                   "UNSUBSCRIBED; null when refused.")
    errors: list[ClientsError] = strawberry.field(
        default_factory=list)


@strawberry.input(description="The unsubscribed account to bring back.")
class ReactivateAccountInput:
    id: strawberry.ID = strawberry.field(description=ACCOUNT_ID)
    billing_status: BillingStatus | None = strawberry.field(
        default=None, description="Default: the status it had before it was unsubscribed.")


@strawberry.input(description="Envoi Msg: one email to each checked account's own address.")
class SendAccountMessageInput:
    account_ids: list[strawberry.ID] = strawberry.field(
        description="The checked accounts (Account ids), 1 to 100.")
    from_id: strawberry.ID = strawberry.field(description="De: one of the reseller's admins.")
    kind: MessageKind = strawberry.field(description="Access codes, or a custom message.")
    cc: list[str] = strawberry.field(
        default_factory=list, description="Addresses to copy (CC), each a bare address; at "
        "most 10.")
    bcc: list[str] = strawberry.field(
        default_factory=list, description="Addresses to blind-copy (BCC), each a bare address; "
        "at most 10.")
    subject: str | None = strawberry.field(default=None, description="Required for CUSTOM; "
                                           "ACCESS_CODES has a default.")
    body: str | None = strawberry.field(default=None, description="The message (optional with "
                                        "ACCESS_CODES: the codes are inserted).")


@strawberry.type(description="The messages sent, or why none was (nothing is sent unless "
                 "every account passes).")
class SendAccountMessagePayload:
    messages: list[AccountMessageNode] = strawberry.field(
        default_factory=list, description="One message per account, in the order given.")
    errors: list[ClientsError] = strawberry.field(
        default_factory=list)


@strawberry.input(description="What to export: a tab (kind), a format, and the checked "
                  "accounts or the filter.")
class ExportAccountsInput:
    kind: AccountKind = strawberry.field(description="The tab: Compagnies or Professionnels.")
    format: ExportFormat = strawberry.field(description="CSV or PDF.")
    ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="The checked accounts; null: all that match the filter.")
    filter: AccountFilter | None = strawberry.field(
        default=None, description="The list's filter row; null: the active accounts (with ids: "
        "any status).")
    order_by: AccountOrder | None = strawberry.field(
        default=None, description="The list's sort; null: by account number.")


@strawberry.type(description="The export requested and where to download it, or why it was "
                 "refused.")
class ExportAccountsPayload:
    export: AccountExportNode | None = strawberry.field(description="The export; null when "
                                                        "refused.")
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
        self, info: strawberry.Info,
        kind: Annotated[AccountKind, strawberry.argument(
            description="The tab: COMPANY (Compagnies) or PROFESSIONAL (Professionnels).")],
        filter: Annotated[AccountFilter | None, strawberry.argument(
            description="The filter row, search box and status; null: the active "
            "accounts.")] = None,
        order_by: Annotated[AccountOrder | None, strawberry.argument(
            description="The column to sort on; null: by account number.")] = None,
        first: int | None = None, after: str | None = None,
    ) -> Connection[AccountNode]:
        query = list_query(info.context.principal, kind, filter, order_by)
        offset, limit, after_row = account_window(first, after, query,
                                                  info.context.settings.max_page_size)
        rows, total = await listing.fetch_page(query, offset, limit, after_row)
        return account_connection(query, rows, offset, limit, total)

    @field(*STAFF, description="The invoice a free trial's first bill would be; its token lets "
           "changeBillingStatus move the account to production.")
    async def invoice_preview(self, info: strawberry.Info,
                              account_id: AccountIdArg) -> InvoicePreview | None:
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
        self, info: strawberry.Info, account_id: AccountIdArg,
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
    async def account_export(
        self, info: strawberry.Info,
        id: Annotated[strawberry.ID, strawberry.argument(
            description="The export (an AccountExport id, from exportAccounts).")],
    ) -> AccountExportNode | None:
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
    async def change_billing_status(
        self, info: strawberry.Info,
        input: Annotated[ChangeBillingStatusInput, strawberry.argument(
            description="The account, the status wanted and what the change needs.")],
    ) -> AccountPayload:
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
    async def delete_account(
        self, info: strawberry.Info,
        input: Annotated[DeleteAccountInput, strawberry.argument(
            description="The account to unsubscribe.")],
    ) -> DeleteAccountPayload:
        account = await services.unsubscribe(
            await _account(info, input.id), host=info.context.host, config=_config(info),
            actor_user_id=services.actor_id(info.context.principal))
        return DeleteAccountPayload(account=await _node(account.id))

    @mutation(Role.SYSTEM_ADMIN, errors=ClientsError,
              description="Bring an unsubscribed account back before the purge.")
    async def reactivate_account(
        self, info: strawberry.Info,
        input: Annotated[ReactivateAccountInput, strawberry.argument(
            description="The unsubscribed account and, optionally, its new billing status.")],
    ) -> AccountPayload:
        account = await services.reactivate(
            await _account(info, input.id), host=info.context.host,
            actor_user_id=services.actor_id(info.context.principal),
            billing_status=input.billing_status,
        )
        return AccountPayload(account=await _node(account.id))

    @mutation(*STAFF, errors=ClientsError,
              description="Envoi Msg: access codes or a message to the selected accounts' "
              "addresses.")
    async def send_account_message(
        self, info: strawberry.Info,
        input: Annotated[SendAccountMessageInput, strawberry.argument(
            description="The accounts, the sender, the kind of message and its copies.")],
    ) -> SendAccountMessagePayload:
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
    async def export_accounts(
        self, info: strawberry.Info,
        input: Annotated[ExportAccountsInput, strawberry.argument(
            description="The tab, the format, and the checked accounts or the filter.")],
    ) -> ExportAccountsPayload:
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
