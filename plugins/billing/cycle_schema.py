"""GraphQL of the cycle side (issue 16): statements and their lines, the billing history with
its running balance, a reseller's roll-up ("Facturation CAN"), a cycle's preview, files
(history and roll-up as CSV/XLSX, a statement as PDF), and the mutations: record a payment,
grant a credit, send a statement ("Envoyer"), close a cycle. Resolvers stay thin."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any, ClassVar

import strawberry
from strawberry import relay
from strawberry.dataloader import DataLoader
from tortoise.queryset import QuerySet

from gateway.api import (
    SIGNED_IN,
    STAFF,
    Connection,
    Context,
    Decimal_,
    Error,
    Money,
    Principal,
    Problem,
    Role,
    RowNode,
    build_connection,
    describe_enum_values,
    enqueue,
    error_type,
    field,
    mutation,
    node_pk,
    page_window,
)

from . import cycle_errors as e
from . import exports, history, payments, rollup, statements
from .closing import close_cycle, zone
from .config import PLUGIN_NAME, BillingConfig
from .cycle import cycle_closing_on, cycle_holding
from .cycle_errors import BillingCycleErrorCode
from .cycle_jobs import CLOSE_JOB
from .ledger_models import PaymentMethod as PaymentMethodEnum
from .ledger_models import StatementLine

MAX_PAGE = 100


@error_type("BillingCycle", BillingCycleErrorCode)
class BillingCycleError(Error):
    """A refusal of the billing cycle area (statements, payments, history)."""


describe_enum_values(BillingCycleErrorCode, {
    "NOT_FOUND": "No such account, statement or cycle among those the caller may see "
    "(another tenant's are not found either).",
    "REQUIRED": "A required value is missing or blank (e.g. a credit's reason, an account "
    "number or billing number).",
    "INVALID": "A value is not accepted: an amount (above 0, to the cent), a date in the "
    "future, a close day not yet reached.",
    "TOO_LONG": "A text is longer than allowed; the message gives the maximum.",
    "CLOSED_PERIOD": "The date falls inside a closed cycle: a payment or credit is dated on "
    "the last close day or later.",
    "CARD_NUMBER_REFUSED": "A text looks like a card number: card payments go through a "
    "payment processor with its token, never a number.",
    "PAYMENT_REFUSED": "The payment processor refused the payment; the message gives its "
    "reason.",
    "UNKNOWN_PROCESSOR": "No payment processor of that name is installed.",
    "NO_BILLING_CONTACT": "The account has no billing email address to send the statement "
    "to.",
})

strawberry.enum(PaymentMethodEnum, name="PaymentMethod", description="How a payment was made.")
describe_enum_values(PaymentMethodEnum, {
    "CHEQUE": "A cheque (its number as the reference).",
    "CARD": "A credit card, through a payment processor with its token (never the number).",
    "INVOICE": "Paid against the monthly invoice (transfer, cash).",
    "OTHER": "Any other way, described by the reference.",
})


@strawberry.enum(description="A file of the billing area.")
class BillingFileFormat(Enum):
    CSV = "CSV"
    XLSX = "XLSX"


describe_enum_values(BillingFileFormat, {
    "CSV": "Comma-separated values, UTF-8.",
    "XLSX": "An Excel workbook (Ouvrir dans Excel).",
})


# Arguments repeated across the cycle side's root fields.
AccountNumberArg = Annotated[int | None, strawberry.argument(
    description="The account number (CID / UID); give it or billingNumber.")]
BillingNumberArg = Annotated[str | None, strawberry.argument(
    description="The account's billing number (CAN); give it or accountNumber.")]
ResellerIdArg = Annotated[strawberry.ID | None, strawberry.argument(
    description="Global ID of the reseller (Reseller): a system admin names one; reseller "
    "staff leave it out (their own) and get \"not found\" for another.")]
FormatArg = Annotated[BillingFileFormat, strawberry.argument(
    description="The file's format: CSV or XLSX.")]


def _config(info: strawberry.Info) -> BillingConfig:
    config: BillingConfig = info.context.host.config_for(PLUGIN_NAME, BillingConfig)
    return config


LINES = "billing.statement_lines"


async def _lines_of(keys: list[int]) -> list[list[StatementLine]]:
    found: dict[int, list[StatementLine]] = {key: [] for key in keys}
    for line in await StatementLine.filter(statement_id__in=keys).order_by("statement_id",
                                                                          "position"):
        found[line.statement_id].append(line)
    return [found[key] for key in keys]


def loaders(context: Context) -> dict[str, DataLoader[Any, Any]]:
    return {LINES: DataLoader(load_fn=_lines_of)}


@strawberry.type(name="BillingStatementLine", description="A line of a statement.")
class StatementLineOut:
    position: int = strawberry.field(description="The line's rank on the statement, from 1.")
    kind: str = strawberry.field(description="PLAN, OPTION, DEVICE, SERVICE_FEE, USAGE, "
                                 "PROMOTION or TAX.")
    party: str = strawberry.field(description="CLIENT, or RESELLER: billing suspended, borne "
                                  "by the reseller (the client pays nothing).")
    code: str = strawberry.field(description="The item's, promotion's or tax's code; a usage "
                                 "unit (e.g. CALL_MINUTES) on the line recording what was "
                                 "used.")
    description: str = strawberry.field(description="What is billed, in the caller's language "
                                        "(late usage says so and names its days).")
    quantity: Decimal_ = strawberry.field(description="How many: items, or units of usage "
                                          "(e.g. minutes, to the hundredth).")
    unit_price: Money = strawberry.field(description="The price of one (per month for a "
                                         "monthly item, per unit for usage).")
    amount: Money = strawberry.field(description="What the client pays for the line, rounded "
                                     "to the cent (negative: a promotion; 0 on a line the "
                                     "reseller bears or that only records usage).")
    days: int | None = strawberry.field(description="Recurring lines: the days of the cycle "
                                        "billed.")


@strawberry.type(name="BillingStatement", description="A relevé de compte: one account's "
                 "closed billing cycle, immutable.")
class StatementNode(RowNode):
    COLUMNS: ClassVar[tuple[str, ...]] = (
        "id", "account_id", "number", "starts_on", "ends_on", "currency", "language",
        "previous_balance", "payments", "charges", "discounts", "taxes", "total", "balance",
        "final")

    id: relay.NodeID[int]
    number: str = strawberry.field(description="The statement number: the account's CAN and "
                                   "the close day, e.g. 1234567-20261120.")
    starts_on: dt.date = strawberry.field(description="The cycle's first day.")
    ends_on: dt.date = strawberry.field(description="The close day (the cycle's last day is "
                                        "the day before).")
    currency: str = strawberry.field(description="ISO 4217 currency of every amount.")
    language: str = strawberry.field(description="The client's language the statement is "
                                     "printed in: fr or en.")
    final: bool = strawberry.field(description="The account's final statement (unsubscribed).")
    account_id: strawberry.Private[int]
    previous_balance: strawberry.Private[Decimal]
    payments: strawberry.Private[Decimal]
    charges: strawberry.Private[Decimal]
    discounts: strawberry.Private[Decimal]
    taxes: strawberry.Private[Decimal]
    total: strawberry.Private[Decimal]
    balance: strawberry.Private[Decimal]

    @classmethod
    def visible(cls, principal: Principal | None) -> QuerySet[Any]:
        return statements.visible_statements(principal)

    def _money(self, amount: Decimal) -> Money:
        return Money(amount=Decimal(amount), currency=self.currency)

    @strawberry.field(description="The account number (CID / UID).")
    def account_number(self) -> int:
        return self.account_id

    @strawberry.field(description="The balance of the previous statement (0 for the first).")
    def previous_balance_due(self) -> Money:
        return self._money(self.previous_balance)

    @strawberry.field(description="Payments and credits since the previous statement "
                      "(negative).")
    def payments_received(self) -> Money:
        return self._money(self.payments)

    @strawberry.field(description="Plans, options, devices, fees and usage.")
    def charges_total(self) -> Money:
        return self._money(self.charges)

    @strawberry.field(description="Promotions taken off.")
    def discounts_total(self) -> Money:
        return self._money(self.discounts)

    @strawberry.field(description="The reseller's taxes on the charges less promotions.")
    def taxes_total(self) -> Money:
        return self._money(self.taxes)

    @strawberry.field(description="New charges: charges - promotions + taxes.")
    def new_charges(self) -> Money:
        return self._money(self.total)

    @strawberry.field(description="Balance due: previous balance + payments + new charges.")
    def balance_due(self) -> Money:
        return self._money(self.balance)

    @strawberry.field(description="The lines, in the caller's language.")
    async def lines(self, info: strawberry.Info) -> list[StatementLineOut]:
        language = info.context.language
        rows: list[StatementLine] = await info.context.loaders[LINES].load(self.id)
        return [StatementLineOut(
            position=line.position, kind=str(line.kind), party=str(line.party), code=line.code,
            description=line.description_fr if language == "fr" else line.description_en,
            quantity=Decimal(line.quantity),
            unit_price=self._money(Decimal(line.unit_price)),
            amount=self._money(Decimal(line.amount)), days=line.days) for line in rows]

    @strawberry.field(description="A signed, short-lived URL of the statement as PDF.")
    def pdf_url(self, info: strawberry.Info) -> str:
        return exports.file_url(info.context.host, "STATEMENT", self.id, "PDF",
                                self.language)


@strawberry.type(name="BillingHistoryLine", description="A dated charge, promotion, tax, "
                 "payment or credit, with the balance after it.")
class HistoryLineOut:
    date: dt.date = strawberry.field(description="The entry's date: a statement's close day, "
                                     "or the day a payment or credit was received.")
    kind: str = strawberry.field(description="CHARGE, PROMOTION, TAX, PAYMENT or CREDIT.")
    description: str = strawberry.field(description="What it is, in the caller's language.")
    amount: Money = strawberry.field(description="Positive: owed by the client; negative: a "
                                     "payment, credit or promotion.")
    balance: Money = strawberry.field(description="The running balance after this line.")


@strawberry.type(name="BillingHistory", description="Historique de facturation et de "
                 "paiements of one account.")
class HistoryOut:
    account_number: int = strawberry.field(description="The account number (CID / UID).")
    billing_number: str = strawberry.field(description="The account's billing number (CAN).")
    name: str = strawberry.field(description="The account's name.")
    balance: Money = strawberry.field(description="The balance after every entry: what the "
                                      "client owes (negative: in credit).")
    all_lines: strawberry.Private[list[Any]]

    @strawberry.field(description="Oldest first; the balance after each line.")
    def entries(self, info: strawberry.Info, first: int | None = None,
                after: str | None = None) -> Connection[HistoryLineOut]:
        offset, limit = page_window(first, after, min(MAX_PAGE,
                                                      info.context.settings.max_page_size))
        return build_connection(
            self.all_lines[offset:offset + limit + 1], offset, limit, len(self.all_lines),
            lambda line: HistoryLineOut(
                date=line.date, kind=line.kind, description=line.description,
                amount=Money(amount=line.amount, currency=line.currency),
                balance=Money(amount=line.balance, currency=line.currency)))


@strawberry.type(name="BillingRollupClient", description="One client in a reseller's roll-up.")
class RollupClientOut:
    account_number: int = strawberry.field(description="The client's account number (CID / "
                                           "UID).")
    name: str = strawberry.field(description="The client's account name.")
    billing_number: str = strawberry.field(description="The client's billing number (CAN).")
    statement_number: str = strawberry.field(description="The number of its statement for the "
                                             "cycle.")
    retail: Money = strawberry.field(description="Billed to the client before taxes.")
    wholesale: Money = strawberry.field(description="The cost of its services.")
    net: Money = strawberry.field(description="Retail - wholesale: what the reseller keeps.")


@strawberry.type(name="BillingRollup", description="Facturation CAN: what a reseller owes or "
                 "earns for one closed cycle, per client.")
class RollupOut:
    reseller_billing_number: str = strawberry.field(description="The reseller's billing number "
                                                    "(CAN), on which it is billed or paid.")
    starts_on: dt.date = strawberry.field(description="The cycle's first day.")
    ends_on: dt.date = strawberry.field(description="The close day (the cycle's last day is "
                                        "the day before).")
    reseller_bills_clients: bool = strawberry.field(
        description="True: the reseller bills its clients and owes the platform the "
                    "wholesale cost; false: the platform bills the clients and pays the "
                    "reseller its revenue.")
    owed: Money = strawberry.field(description="What the reseller owes the platform (the "
                                   "wholesale total when it bills its clients; otherwise what "
                                   "it bears for suspended accounts).")
    earned: Money = strawberry.field(description="What the platform pays the reseller (retail - "
                                     "wholesale when the platform bills the clients; otherwise "
                                     "0).")
    all_clients: strawberry.Private[list[RollupClientOut]]

    @strawberry.field(description="Per client, by account number.")
    def clients(self, info: strawberry.Info, first: int | None = None,
                after: str | None = None) -> Connection[RollupClientOut]:
        offset, limit = page_window(first, after, min(MAX_PAGE,
                                                      info.context.settings.max_page_size))
        return build_connection(self.all_clients[offset:offset + limit + 1], offset, limit,
                                len(self.all_clients))


@strawberry.type(name="BillingPreview", description="A statement computed, not written.")
class PreviewOut:
    account_number: int = strawberry.field(description="The account number (CID / UID).")
    starts_on: dt.date = strawberry.field(description="The cycle's first day.")
    ends_on: dt.date = strawberry.field(description="The close day (the cycle's last day is "
                                        "the day before).")
    lines: list[StatementLineOut] = strawberry.field(description="The lines the statement "
                                                     "would hold, in the caller's language.")
    charges: Money = strawberry.field(description="Plans, options, devices, fees and usage.")
    discounts: Money = strawberry.field(description="Promotions taken off.")
    taxes: Money = strawberry.field(description="The reseller's taxes.")
    total: Money = strawberry.field(description="New charges: charges - promotions + taxes "
                                    "(balances and payments left out).")


def _preview_out(draft: Any, language: str) -> PreviewOut:
    def money(amount: Decimal) -> Money:
        return Money(amount=amount, currency=draft.currency)

    return PreviewOut(
        account_number=draft.account.id, starts_on=draft.cycle.starts_on,
        ends_on=draft.cycle.ends_on,
        lines=[StatementLineOut(
            position=n, kind=str(line.kind), party=str(line.party), code=line.code,
            description=line.description.render(language), quantity=line.quantity,
            unit_price=money(line.unit_price), amount=money(line.amount), days=line.days)
            for n, line in enumerate(draft.lines, start=1)],
        charges=money(draft.charges), discounts=money(draft.discounts),
        taxes=money(draft.taxes), total=money(draft.total))


@strawberry.type
class BillingCycleQuery:
    @field(*SIGNED_IN, description="Relevés de compte of an account (by account number or "
           "billing number), newest first.")
    async def billing_statements(
        self, info: strawberry.Info, account_number: AccountNumberArg = None,
        billing_number: BillingNumberArg = None, first: int | None = None,
        after: str | None = None,
    ) -> Connection[StatementNode]:
        principal = info.context.principal
        account = await history.account_by_number(principal, account_number, billing_number)
        offset, limit = page_window(first, after, min(MAX_PAGE,
                                                      info.context.settings.max_page_size))
        query = statements.visible_statements(principal).filter(account_id=account.id)
        rows = await query.order_by("-starts_on").offset(offset).limit(limit + 1).values(
            *StatementNode.COLUMNS)
        return build_connection(rows, offset, limit, await query.count(),
                                StatementNode.from_row)

    @field(*SIGNED_IN, description="Historique de facturation et de paiements: dated charges "
           "and payments with the running balance, by account number or billing number (CAN).")
    async def billing_ledger(
        self, info: strawberry.Info, account_number: AccountNumberArg = None,
        billing_number: BillingNumberArg = None,
    ) -> HistoryOut:
        principal = info.context.principal
        account = await history.account_by_number(principal, account_number, billing_number)
        lines, balance = await history.history(account.id, info.context.language)
        currency = lines[-1].currency if lines else await payments.currency_of(
            account.reseller_id, _config(info))
        return HistoryOut(account_number=account.id, billing_number=account.can,
                          name=account.name, balance=Money(amount=balance, currency=currency),
                          all_lines=lines)

    @field(*STAFF, description="Facturation CAN: a reseller's roll-up of a closed cycle (your "
           "own reseller; a system admin names one); cycleStart: the cycle's first day, default "
           "the last closed cycle.")
    async def billing_rollup(
        self, info: strawberry.Info, reseller_id: ResellerIdArg = None,
        cycle_start: Annotated[dt.date | None, strawberry.argument(
            description="Any day of the wanted cycle (ISO date), usually its first; the last "
            "closed cycle when left out.")] = None,
        first: int | None = None, after: str | None = None,
    ) -> RollupOut:
        principal = info.context.principal
        pk = node_pk(reseller_id, "Reseller", ["resellerId"]) if reseller_id else None
        reseller = await rollup.reseller_for(principal, pk, ["resellerId"])
        config = _config(info)
        start = cycle_holding(cycle_start, config.close_day).starts_on if cycle_start else \
            cycle_closing_on(dt.datetime.now(dt.UTC).date(), config.close_day).starts_on
        summary = await rollup.rollup(reseller, start)
        currency = summary.currency or await payments.currency_of(reseller.id, config)

        def money(amount: Decimal) -> Money:
            return Money(amount=amount, currency=currency)

        clients = [RollupClientOut(account_number=c.account_id, name=c.name,
                                   billing_number=c.can, statement_number=c.statement_number,
                                   retail=money(c.retail), wholesale=money(c.wholesale),
                                   net=money(c.net)) for c in summary.clients]
        return RollupOut(reseller_billing_number=reseller.can, starts_on=summary.starts_on,
                         ends_on=summary.ends_on,
                         reseller_bills_clients=summary.reseller_bills_clients,
                         owed=money(summary.owed), earned=money(summary.earned),
                         all_clients=clients)

    @field(*STAFF, description="What closing the cycle ending the day before closeDay "
           "(default: the next close) would write on the account's statement; writes nothing.")
    async def billing_preview(
        self, info: strawberry.Info,
        account_number: Annotated[int, strawberry.argument(
            description="The account number (CID / UID).")],
        close_day: Annotated[dt.date | None, strawberry.argument(
            description="A close day (ISO date): the cycle ending the day before it; the "
            "current cycle (closing next) when left out.")] = None,
    ) -> PreviewOut:
        principal = info.context.principal
        account = await history.account_by_number(principal, account_number, None)
        config = _config(info)
        today = dt.datetime.now(zone(account.time_zone)).date()
        cycle = cycle_closing_on(close_day, config.close_day) if close_day else \
            cycle_holding(today, config.close_day)
        result = await close_cycle(info.context.host, config, cycle, preview=True,
                                   account_ids=[account.id])
        if not result.drafts:
            raise Problem(BillingCycleErrorCode.NOT_FOUND, e.BAD_CYCLE, ["closeDay"])
        return _preview_out(result.drafts[0], info.context.language)

    @field(*SIGNED_IN, description="A signed, short-lived URL of the billing history as CSV or "
           "XLSX (Ouvrir dans Excel).")
    async def billing_ledger_download(
        self, info: strawberry.Info, format: FormatArg,
        account_number: AccountNumberArg = None, billing_number: BillingNumberArg = None,
    ) -> str:
        account = await history.account_by_number(info.context.principal, account_number,
                                                  billing_number)
        return exports.file_url(info.context.host, "HISTORY", account.id, format.value,
                                info.context.language)

    @field(*STAFF, description="A signed, short-lived URL of a reseller's roll-up as CSV or "
           "XLSX.")
    async def billing_rollup_download(
        self, info: strawberry.Info, format: FormatArg,
        cycle_start: Annotated[dt.date, strawberry.argument(
            description="Any day of the wanted closed cycle (ISO date), usually its first.")],
        reseller_id: ResellerIdArg = None,
    ) -> str:
        pk = node_pk(reseller_id, "Reseller", ["resellerId"]) if reseller_id else None
        reseller = await rollup.reseller_for(info.context.principal, pk, ["resellerId"])
        start = cycle_holding(cycle_start, _config(info).close_day).starts_on
        return exports.file_url(info.context.host, "ROLLUP", reseller.id, format.value,
                                info.context.language, start)


# ---- mutations ---------------------------------------------------------------------------------

@strawberry.input(description="A payment received (never a card number: a card payment goes "
                  "through a payment processor with its token).")
class RecordPaymentInput:
    account_number: int = strawberry.field(description="The paying account's number (CID / "
                                           "UID).")
    amount: Decimal_ = strawberry.field(description="The amount received, above 0, to the "
                                        "cent, in the account's currency.")
    method: PaymentMethodEnum = strawberry.field(description="Cheque, card, invoice or other.")
    date: dt.date | None = strawberry.field(default=None, description="Received on (default "
                                            "today); not inside a closed cycle.")
    reference: str | None = strawberry.field(default=None, description="A cheque number, a "
                                             "transfer reference.")
    processor: str = strawberry.field(default="manual", description="The payment processor; "
                                      "manual: received outside the platform.")
    processor_token: str | None = strawberry.field(default=None, description="The processor's "
                                                   "token of the card.")
    idempotency_key: str | None = strawberry.field(default=None, description="The same key "
                                                   "again records nothing more.")


@strawberry.type(name="BillingLedgerEntry", description="A ledger entry just written.")
class LedgerEntryOut:
    date: dt.date = strawberry.field(description="The day it was received (ISO date).")
    kind: str = strawberry.field(description="PAYMENT or CREDIT.")
    description: str = strawberry.field(description="What it is, in the caller's language.")
    amount: Money = strawberry.field(description="Negative: it lowers the balance due.")
    reference: str = strawberry.field(description="The cheque number, transfer reference or "
                                      "processor's reference; empty: none.")


@strawberry.type(description="The ledger entry written, or why nothing was done.")
class RecordPaymentPayload:
    entry: LedgerEntryOut | None = strawberry.field(default=None, description="The entry "
                                                    "written; null when refused.")
    errors: list[BillingCycleError] = strawberry.field(default_factory=list)


@strawberry.input(description="A credit granted to an account, with its reason.")
class GrantBillingCreditInput:
    account_number: int = strawberry.field(description="The account's number (CID / UID).")
    amount: Decimal_ = strawberry.field(description="The credit, above 0, to the cent, in the "
                                        "account's currency.")
    description: str = strawberry.field(description="Its reason, shown in the billing history "
                                        "(at most 300 characters).")
    date: dt.date | None = strawberry.field(default=None, description="Granted on (default "
                                            "today); not inside a closed cycle.")


@strawberry.input(description="Envoyer: email a statement to the account's billing contact.")
class SendBillingStatementInput:
    statement_id: strawberry.ID = strawberry.field(description="Global ID of the statement "
                                                   "(BillingStatement).")
    cc: list[str] = strawberry.field(default_factory=list, description="Email addresses to "
                                     "copy, as typed (checked one by one).")
    bcc: list[str] = strawberry.field(default_factory=list, description="Email addresses to "
                                      "copy blind.")


@strawberry.type(description="The statement sent (or not, in test mode), or why nothing was "
                 "done.")
class SendBillingStatementPayload:
    statement: StatementNode | None = strawberry.field(default=None, description="The "
                                                       "statement; null when refused.")
    suppressed: bool = strawberry.field(default=False, description="Test mode: not sent.")
    errors: list[BillingCycleError] = strawberry.field(default_factory=list)


@strawberry.input(description="Close the billing cycle ending the day before closeDay.")
class CloseBillingCycleInput:
    close_day: dt.date = strawberry.field(description="The close day (ISO date), today or "
                                          "before: the cycle ending the day before it.")


@strawberry.type(description="Whether the close was queued, or why not.")
class CloseBillingCyclePayload:
    queued: bool = strawberry.field(default=False, description="The close job was queued (it "
                                    "writes the statements in the background).")
    errors: list[BillingCycleError] = strawberry.field(default_factory=list)


def _entry_out(entry: Any, language: str) -> LedgerEntryOut:
    return LedgerEntryOut(date=entry.entry_date, kind=str(entry.kind),
                          description=entry.description_fr if language == "fr"
                          else entry.description_en,
                          amount=Money(amount=Decimal(entry.amount), currency=entry.currency),
                          reference=entry.reference)


@strawberry.type
class BillingCycleMutation:
    @mutation(*STAFF, errors=BillingCycleError,
              description="Record a payment (cheque, card through a processor's token, "
                          "invoice) in the account's ledger.")
    async def record_payment(self, info: strawberry.Info,
                             input: RecordPaymentInput) -> RecordPaymentPayload:
        entry = await payments.record_payment(
            info.context.host, info.context.principal, _config(info),
            account_id=input.account_number, amount=input.amount,
            method=PaymentMethodEnum(input.method), day=input.date,
            reference=input.reference, processor=input.processor,
            token=input.processor_token, idempotency_key=input.idempotency_key)
        return RecordPaymentPayload(entry=_entry_out(entry, info.context.language))

    @mutation(*STAFF, errors=BillingCycleError,
              description="Grant a credit (a negative entry, with its reason).")
    async def grant_billing_credit(self, info: strawberry.Info,
                                   input: GrantBillingCreditInput) -> RecordPaymentPayload:
        entry = await payments.grant_credit(
            info.context.principal, _config(info), account_id=input.account_number,
            amount=input.amount, description=input.description, day=input.date)
        return RecordPaymentPayload(entry=_entry_out(entry, info.context.language))

    @mutation(*STAFF, errors=BillingCycleError,
              description="Envoyer: email the statement (PDF) to the account's billing contact, "
                          "with copies; an account in test mode gets nothing.")
    async def send_billing_statement(
        self, info: strawberry.Info, input: SendBillingStatementInput,
    ) -> SendBillingStatementPayload:
        principal = info.context.principal
        pk = node_pk(input.statement_id, "BillingStatement", ["input", "statementId"])
        result = await statements.send_statement(info.context.host, principal, pk,
                                                 cc=input.cc, bcc=input.bcc)
        [node] = await StatementNode.load(principal, [result.statement.id])
        return SendBillingStatementPayload(statement=node, suppressed=result.suppressed)

    @mutation(Role.SYSTEM_ADMIN, errors=BillingCycleError,
              description="Close the billing cycle ending the day before closeDay, by a job "
                          "(idempotent: a cycle already closed is left as it is).")
    async def close_billing_cycle(self, info: strawberry.Info,
                                  input: CloseBillingCycleInput) -> CloseBillingCyclePayload:
        config = _config(info)
        cycle = cycle_closing_on(input.close_day, config.close_day)
        if cycle.ends_on > dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1):
            raise Problem(BillingCycleErrorCode.INVALID, e.BAD_CYCLE, ["input", "closeDay"])
        await enqueue(CLOSE_JOB, {"today": cycle.ends_on.isoformat(), "force": True})
        return CloseBillingCyclePayload(queued=True)
