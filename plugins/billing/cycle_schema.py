"""GraphQL of the cycle side (issue 16): statements and their lines, the billing history with
its running balance, a reseller's roll-up ("Facturation CAN"), a cycle's preview, files
(history and roll-up as CSV/XLSX, a statement as PDF), and the mutations: record a payment,
grant a credit, send a statement ("Envoyer"), close a cycle. Resolvers stay thin."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import Enum
from typing import Any, ClassVar

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


strawberry.enum(PaymentMethodEnum, name="PaymentMethod", description="How a payment was made.")


@strawberry.enum(description="A file of the billing area.")
class BillingFileFormat(Enum):
    CSV = "CSV"
    XLSX = "XLSX"


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
    position: int
    kind: str = strawberry.field(description="PLAN, OPTION, DEVICE, SERVICE_FEE, USAGE, "
                                 "PROMOTION or TAX.")
    party: str = strawberry.field(description="CLIENT, or RESELLER: billing suspended, borne "
                                  "by the reseller (the client pays nothing).")
    code: str
    description: str
    quantity: Decimal_
    unit_price: Money
    amount: Money
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
    number: str
    starts_on: dt.date = strawberry.field(description="The cycle's first day.")
    ends_on: dt.date = strawberry.field(description="The close day (the cycle's last day is "
                                        "the day before).")
    currency: str
    language: str
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

    @strawberry.field
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

    @strawberry.field
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
    date: dt.date
    kind: str
    description: str
    amount: Money
    balance: Money


@strawberry.type(name="BillingHistory", description="Historique de facturation et de "
                 "paiements of one account.")
class HistoryOut:
    account_number: int
    billing_number: str
    name: str
    balance: Money
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
    account_number: int
    name: str
    billing_number: str
    statement_number: str
    retail: Money = strawberry.field(description="Billed to the client before taxes.")
    wholesale: Money = strawberry.field(description="The cost of its services.")
    net: Money = strawberry.field(description="Retail - wholesale: what the reseller keeps.")


@strawberry.type(name="BillingRollup", description="Facturation CAN: what a reseller owes or "
                 "earns for one closed cycle, per client.")
class RollupOut:
    reseller_billing_number: str
    starts_on: dt.date
    ends_on: dt.date
    reseller_bills_clients: bool = strawberry.field(
        description="True: the reseller bills its clients and owes the platform the "
                    "wholesale cost; false: the platform bills the clients and pays the "
                    "reseller its revenue.")
    owed: Money
    earned: Money
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
    account_number: int
    starts_on: dt.date
    ends_on: dt.date
    lines: list[StatementLineOut]
    charges: Money
    discounts: Money
    taxes: Money
    total: Money


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
        self, info: strawberry.Info, account_number: int | None = None,
        billing_number: str | None = None, first: int | None = None, after: str | None = None,
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
        self, info: strawberry.Info, account_number: int | None = None,
        billing_number: str | None = None,
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
        self, info: strawberry.Info, reseller_id: strawberry.ID | None = None,
        cycle_start: dt.date | None = None, first: int | None = None, after: str | None = None,
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
    async def billing_preview(self, info: strawberry.Info, account_number: int,
                              close_day: dt.date | None = None) -> PreviewOut:
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
        self, info: strawberry.Info, format: BillingFileFormat,
        account_number: int | None = None, billing_number: str | None = None,
    ) -> str:
        account = await history.account_by_number(info.context.principal, account_number,
                                                  billing_number)
        return exports.file_url(info.context.host, "HISTORY", account.id, format.value,
                                info.context.language)

    @field(*STAFF, description="A signed, short-lived URL of a reseller's roll-up as CSV or "
           "XLSX.")
    async def billing_rollup_download(
        self, info: strawberry.Info, format: BillingFileFormat, cycle_start: dt.date,
        reseller_id: strawberry.ID | None = None,
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
    account_number: int
    amount: Decimal_
    method: PaymentMethodEnum
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
    date: dt.date
    kind: str
    description: str
    amount: Money
    reference: str


@strawberry.type
class RecordPaymentPayload:
    entry: LedgerEntryOut | None = None
    errors: list[BillingCycleError] = strawberry.field(default_factory=list)


@strawberry.input(description="A credit granted to an account, with its reason.")
class GrantBillingCreditInput:
    account_number: int
    amount: Decimal_
    description: str
    date: dt.date | None = None


@strawberry.input(description="Envoyer: email a statement to the account's billing contact.")
class SendBillingStatementInput:
    statement_id: strawberry.ID
    cc: list[str] = strawberry.field(default_factory=list)
    bcc: list[str] = strawberry.field(default_factory=list)


@strawberry.type
class SendBillingStatementPayload:
    statement: StatementNode | None = None
    suppressed: bool = strawberry.field(default=False, description="Test mode: not sent.")
    errors: list[BillingCycleError] = strawberry.field(default_factory=list)


@strawberry.input(description="Close the billing cycle ending the day before closeDay.")
class CloseBillingCycleInput:
    close_day: dt.date


@strawberry.type
class CloseBillingCyclePayload:
    queued: bool = False
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
