"""Who bills the client ("Facturation CAN", issue 16), per reseller and closed cycle: per
client, what it was billed at retail (before taxes, promotions taken off) and what its services
cost at wholesale (billing-suspended days included); then what the reseller owes the platform
on its CAN (it bills its clients itself: the wholesale cost) or what the platform pays it (the
platform bills the clients: retail - wholesale)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from gateway.api import Principal, Problem, Reseller, Role, resellers_visible

from . import cycle_errors as e
from .cycle_errors import BillingCycleErrorCode as Code
from .ledger_models import Statement

MAX_CLIENTS = 100_000  # a roll-up is read whole (its totals), then paged


@dataclass(frozen=True)
class ClientRollup:
    account_id: int
    name: str
    can: str
    statement_number: str
    retail: Decimal  # billed to the client before taxes
    wholesale: Decimal  # its services' cost to the reseller

    @property
    def net(self) -> Decimal:
        """What the reseller keeps (negative: what it bears)."""
        return self.retail - self.wholesale


@dataclass
class Rollup:
    reseller_id: int
    reseller_name: str
    reseller_can: str
    starts_on: dt.date
    ends_on: dt.date
    currency: str
    reseller_bills_clients: bool
    clients: list[ClientRollup] = field(default_factory=list)

    @property
    def retail(self) -> Decimal:
        return sum((c.retail for c in self.clients), Decimal(0))

    @property
    def wholesale(self) -> Decimal:
        return sum((c.wholesale for c in self.clients), Decimal(0))

    @property
    def owed(self) -> Decimal:
        """What the reseller owes the platform on its CAN (it bills its clients itself)."""
        return self.wholesale if self.reseller_bills_clients else Decimal(0)

    @property
    def earned(self) -> Decimal:
        """What the platform pays the reseller on its CAN (it bills the clients): its net
        sales; negative when the cost it bears is larger."""
        return Decimal(0) if self.reseller_bills_clients else self.retail - self.wholesale


async def reseller_for(principal: Principal | None, reseller_id: int | None,
                       field_path: list[str | int]) -> Reseller:
    """The caller's own reseller (staff), or the one named (system admin); else not found."""
    if principal is None:
        raise Problem(Code.NOT_FOUND, e.ACCOUNT_NOT_FOUND, field_path)
    wanted = reseller_id if reseller_id is not None else principal.reseller_id
    if principal.role != Role.SYSTEM_ADMIN and principal.direct_access:
        wanted = None
    found = await resellers_visible(principal).filter(id=wanted or -1).first() \
        if wanted is not None else None
    if found is None or (principal.role != Role.SYSTEM_ADMIN
                         and principal.role not in (Role.RESELLER_ADMIN,
                                                    Role.RESELLER_DELEGATE, Role.INTEGRATOR)):
        raise Problem(Code.NOT_FOUND, e.ACCOUNT_NOT_FOUND, field_path)
    return found


async def rollup(reseller: Reseller, starts_on: dt.date) -> Rollup:
    """The roll-up of the reseller's statements of the cycle starting ``starts_on``."""
    from gateway.api import Account

    rows = await Statement.filter(reseller_id=reseller.id, starts_on=starts_on).order_by(
        "account_id").limit(MAX_CLIENTS).values(
        "account_id", "number", "charges", "discounts", "wholesale", "currency",
        "reseller_bills_clients", "ends_on")
    names = {a["id"]: a for a in await Account.filter(
        id__in=[r["account_id"] for r in rows]).values("id", "name", "can")} if rows else {}
    first = rows[0] if rows else None
    out = Rollup(reseller.id, reseller.name, reseller.can, starts_on,
                 first["ends_on"] if first else starts_on,
                 first["currency"] if first else "", bool(first["reseller_bills_clients"])
                 if first else True)
    for row in rows:
        account = names.get(row["account_id"], {"name": "", "can": ""})
        out.clients.append(ClientRollup(
            row["account_id"], account["name"], account["can"], row["number"],
            Decimal(row["charges"]) - Decimal(row["discounts"]), Decimal(row["wholesale"])))
    return out
