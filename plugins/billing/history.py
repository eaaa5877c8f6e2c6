"""Historique de facturation et de paiements (issue 16): an account's dated charges,
promotions, taxes, payments and credits, oldest first, each with the running balance, looked
up by account number or billing number (CAN), for the account's own users and its reseller's
staff (and the system admin)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from gateway.api import Account, Principal, Problem, accounts_visible

from . import cycle_errors as e
from .cycle_errors import BillingCycleErrorCode as Code
from .ledger_models import LedgerEntry

# An account's history is read whole to compute its running balance (a dozen entries a
# month); beyond this many, the oldest are summed into the opening balance.
MAX_ENTRIES = 5000
ENTRY_COLUMNS = ("id", "kind", "entry_date", "description_fr", "description_en", "amount",
                 "currency", "statement_id", "method", "reference")


@dataclass(frozen=True)
class HistoryLine:
    id: int
    date: dt.date
    kind: str
    description: str
    amount: Decimal
    currency: str
    balance: Decimal  # after this line
    statement_id: int | None


async def account_by_number(principal: Principal | None, account_number: int | None,
                            billing_number: str | None) -> Account:
    """The account the caller may see with this number and/or CAN; else "not found"."""
    if account_number is None and not (billing_number or "").strip():
        raise Problem(Code.REQUIRED, e.ACCOUNT_OR_CAN, ["accountNumber"])
    query = accounts_visible(principal)
    if account_number is not None:
        query = query.filter(id=account_number)
    if billing_number and billing_number.strip():
        query = query.filter(can=billing_number.strip()[:40])
    account = await query.first()
    if account is None:
        field = "accountNumber" if account_number is not None else "billingNumber"
        raise Problem(Code.NOT_FOUND, e.ACCOUNT_NOT_FOUND, [field])
    return account


async def history(account_id: int, language: str) -> tuple[list[HistoryLine], Decimal]:
    """Every entry (oldest first) with its running balance, and the balance now."""
    total = await LedgerEntry.filter(account_id=account_id).count()
    skipped = max(0, total - MAX_ENTRIES)
    opening = Decimal(0)
    if skipped:
        oldest = await LedgerEntry.filter(account_id=account_id).order_by(
            "entry_date", "id").limit(skipped).values_list("amount", flat=True)
        opening = sum((Decimal(a) for a in oldest), Decimal(0))
    rows = await LedgerEntry.filter(account_id=account_id).order_by(
        "entry_date", "id").offset(skipped).limit(MAX_ENTRIES).values(*ENTRY_COLUMNS)
    balance = opening
    lines = []
    for row in rows:
        amount = Decimal(row["amount"])
        balance += amount
        lines.append(HistoryLine(
            row["id"], row["entry_date"], str(row["kind"]),
            row["description_fr"] if language == "fr" else row["description_en"], amount,
            row["currency"], balance, row["statement_id"]))
    return lines, balance


async def hook_entries(account: Account) -> list[dict[str, Any]]:
    """The ``gateway_billing_history`` lines (the call-center portal's page), in the
    account's language, with the running balance."""
    lines, _ = await history(account.id, account.language)
    return [{"date": line.date, "description": line.description, "amount": line.amount,
             "currency": line.currency, "balance": line.balance} for line in lines]
