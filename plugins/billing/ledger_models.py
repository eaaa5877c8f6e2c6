"""Billing's cycle side (app ``billing``): cycle-close runs, statements and their lines, and
the append-only ledger of charges, payments and credits.

A cycle runs from the close day (the 20th by default) to the day before the next close day;
periods are half-open like every billing period (``starts_on`` included, ``ends_on``
excluded: the close day itself). Closing writes, per account and in one transaction, an
immutable statement, its lines and their ledger entries; ``(account_id, starts_on)`` is
unique, so a second run, or a run after a crash, never charges an account twice and resumes
with the accounts still missing.

Amounts are ``Decimal`` to the cent in the statement's currency. In the ledger a positive
amount is owed by the client (a charge), a negative one reduces what it owes (a payment, a
credit, a promotion); the running balance is their sum. No card number or security code is
ever stored: a payment keeps its processor's token or reference only.

Docstrings become table comments: no quote, no semicolon.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

if TYPE_CHECKING:
    from gateway.api import Account, User

CENTS_DIGITS = 14
CENTS_PLACES = 2
QUANTITY_DIGITS = 14
QUANTITY_PLACES = 4


class CycleRunStatus(StrEnum):
    """Where a cycle close stands."""

    RUNNING = "RUNNING"  # started (or interrupted: a re-run resumes it)
    DONE = "DONE"  # every account of the cycle has its statement


class BilledParty(StrEnum):
    """Who a statement line is charged to."""

    CLIENT = "CLIENT"  # the subscriber, at retail
    RESELLER = "RESELLER"  # billing suspended: the reseller bears the cost, the client nothing


class LineKind(StrEnum):
    """What a statement line is."""

    PLAN = "PLAN"
    OPTION = "OPTION"
    DEVICE = "DEVICE"
    SERVICE_FEE = "SERVICE_FEE"
    USAGE = "USAGE"  # usage beyond what the plans include, or priced per unit
    PROMOTION = "PROMOTION"  # negative
    TAX = "TAX"


class EntryKind(StrEnum):
    """What a ledger entry is."""

    CHARGE = "CHARGE"  # a statement line owed by the client (positive)
    PROMOTION = "PROMOTION"  # a promotion on a statement (negative)
    TAX = "TAX"  # a tax on a statement (positive)
    PAYMENT = "PAYMENT"  # money received (negative)
    CREDIT = "CREDIT"  # a credit granted by staff (negative)


class PaymentMethod(StrEnum):
    """How a payment was made (the seed: cheque, credit card, monthly invoice)."""

    CHEQUE = "CHEQUE"
    CARD = "CARD"  # through a payment processor: its token or reference only
    INVOICE = "INVOICE"  # paid against the monthly invoice (transfer, cash)
    OTHER = "OTHER"


class CycleRun(Model):
    """One close of a billing cycle - how far it got, so that a re-run resumes it"""

    id = fields.IntField(primary_key=True)
    starts_on = fields.DateField(unique=True)
    ends_on = fields.DateField()  # the close day, excluded
    status = fields.CharEnumField(CycleRunStatus, max_length=16, default=CycleRunStatus.RUNNING)
    accounts_total = fields.IntField(default=0)
    accounts_done = fields.IntField(default=0)  # statements written, over every attempt
    attempts = fields.IntField(default=0)
    started_at = fields.DatetimeField(auto_now_add=True)
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "billing_cycle_run"
        table_description = "One close of a billing cycle"


class Statement(Model):
    """An account statement (releve de compte) for one billing cycle - immutable once written"""

    id = fields.IntField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "core.Account", related_name=False, on_delete=fields.CASCADE)
    account_id: int
    reseller_id = fields.IntField()  # denormalised: tenancy and the reseller roll-up
    starts_on = fields.DateField()
    ends_on = fields.DateField()  # the close day, excluded
    number = fields.CharField(max_length=40, unique=True)  # <CAN>-<YYYYMMDD of ends_on>
    currency = fields.CharField(max_length=3)
    language = fields.CharField(max_length=2)  # the client's, when it was written
    # Facturation CAN when it was written: true, the reseller bills its clients itself.
    reseller_bills_clients = fields.BooleanField()
    previous_balance = fields.DecimalField(max_digits=CENTS_DIGITS, decimal_places=CENTS_PLACES)
    payments = fields.DecimalField(max_digits=CENTS_DIGITS, decimal_places=CENTS_PLACES)
    charges = fields.DecimalField(max_digits=CENTS_DIGITS, decimal_places=CENTS_PLACES)
    discounts = fields.DecimalField(max_digits=CENTS_DIGITS, decimal_places=CENTS_PLACES)
    taxes = fields.DecimalField(max_digits=CENTS_DIGITS, decimal_places=CENTS_PLACES)
    total = fields.DecimalField(max_digits=CENTS_DIGITS, decimal_places=CENTS_PLACES)
    balance = fields.DecimalField(max_digits=CENTS_DIGITS, decimal_places=CENTS_PLACES)
    # What the platform charges the reseller for this client's services this cycle (the
    # wholesale cost, billing-suspended days included).
    wholesale = fields.DecimalField(max_digits=CENTS_DIGITS, decimal_places=CENTS_PLACES)
    final = fields.BooleanField(default=False)  # the account was unsubscribed in the cycle
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "billing_statement"
        table_description = "An account statement for one billing cycle"
        unique_together = (("account_id", "starts_on"),)
        indexes = [Index(fields=("reseller_id", "starts_on"))]


class StatementLine(Model):
    """A line of a statement - a plan, option, device, fee, usage, promotion or tax"""

    id = fields.IntField(primary_key=True)
    statement: fields.ForeignKeyRelation[Statement] = fields.ForeignKeyField(
        "billing.Statement", related_name="lines", on_delete=fields.CASCADE)
    statement_id: int
    position = fields.IntField()
    kind = fields.CharEnumField(LineKind, max_length=16)
    party = fields.CharEnumField(BilledParty, max_length=16, default=BilledParty.CLIENT)
    code = fields.CharField(max_length=64, default="")  # the catalogue item, tax or promotion
    description_fr = fields.CharField(max_length=300)
    description_en = fields.CharField(max_length=300)
    quantity = fields.DecimalField(max_digits=QUANTITY_DIGITS, decimal_places=QUANTITY_PLACES)
    unit_price = fields.DecimalField(max_digits=CENTS_DIGITS, decimal_places=4)
    days = fields.IntField(null=True)  # recurring lines: days billed of the cycle
    amount = fields.DecimalField(max_digits=CENTS_DIGITS, decimal_places=CENTS_PLACES)
    wholesale = fields.DecimalField(max_digits=CENTS_DIGITS, decimal_places=CENTS_PLACES,
                                    default=0)

    class Meta:
        table = "billing_statement_line"
        table_description = "A line of a statement"
        unique_together = (("statement_id", "position"),)


class LedgerEntry(Model):
    """A dated charge, payment or credit of an account - append-only"""

    id = fields.IntField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "core.Account", related_name=False, on_delete=fields.CASCADE)
    account_id: int
    reseller_id = fields.IntField()
    kind = fields.CharEnumField(EntryKind, max_length=16)
    entry_date = fields.DateField()
    description_fr = fields.CharField(max_length=300)
    description_en = fields.CharField(max_length=300)
    amount = fields.DecimalField(max_digits=CENTS_DIGITS, decimal_places=CENTS_PLACES)
    currency = fields.CharField(max_length=3)
    statement: fields.ForeignKeyNullableRelation[Statement] = fields.ForeignKeyField(
        "billing.Statement", related_name=False, null=True, on_delete=fields.CASCADE)
    statement_id: int | None
    method = fields.CharEnumField(PaymentMethod, max_length=16, null=True)
    processor = fields.CharField(max_length=64, default="")  # the payment processor's name
    # The processor's token or transaction reference, a cheque number: never a card number.
    reference = fields.CharField(max_length=200, default="")
    # Unique per account: a retried payment or a re-run close is written once.
    idempotency_key = fields.CharField(max_length=100)
    created_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "core.User", related_name=False, null=True, on_delete=fields.SET_NULL)
    created_by_id: int | None
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "billing_ledger_entry"
        table_description = "A dated charge payment or credit of an account"
        unique_together = (("account_id", "idempotency_key"),)
        indexes = [Index(fields=("account_id", "entry_date")),
                   Index(fields=("statement_id",))]
