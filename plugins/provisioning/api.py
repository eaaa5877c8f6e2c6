"""What a PBX or carrier plugin receives in ``gateway_provision``: one operation to carry out.

An integrator needs nothing from here to implement the hook (it reads the attributes); it may
import :class:`OperationKind` to compare kinds (``requires = ["provisioning"]``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class OperationKind(StrEnum):
    ACCOUNT_CREATED = "ACCOUNT_CREATED"  # create the account on the phone system
    NUMBER_ASSIGNED = "NUMBER_ASSIGNED"  # route a DID to the account (or one of its users)
    NUMBER_RELEASED = "NUMBER_RELEASED"  # stop routing it; give it back to the carrier
    ACCOUNT_UNSUBSCRIBED = "ACCOUNT_UNSUBSCRIBED"  # deactivate the account
    ACCOUNT_REACTIVATED = "ACCOUNT_REACTIVATED"  # activate it again (a system admin undid it)
    ACCOUNT_PURGED = "ACCOUNT_PURGED"  # delete it from the phone system for good


@dataclass(frozen=True)
class ProvisioningOperation:
    """One thing the phone system (PBX) and the carrier must be told, as it was when it
    happened. ``id`` is stable across retries and redeliveries: use it as the idempotency key
    towards the outside world (a second call with the same id must change nothing)."""

    id: str
    kind: OperationKind
    account_number: int  # the CID / UID
    reseller_id: int
    phone_system: str  # the reseller's PBX, as the system admin set it ("" when not set)
    provider: str  # the reseller's default carrier ("" when not set)
    number: str | None = None  # E.164, for NUMBER_ASSIGNED / NUMBER_RELEASED
    user_id: int | None = None  # NUMBER_ASSIGNED to one user; None: to the account itself
    # What the PBX needs of the account: name, kind (COMPANY / PROFESSIONAL), language,
    # time_zone, country, org_id; and of the user a number is routed to: user_name,
    # extension. Empty for ACCOUNT_PURGED (the account is gone; only its number is left).
    snapshot: Mapping[str, Any] = field(default_factory=dict)
    created_at: dt.datetime | None = None
    attempt: int = 1  # 1 on the first delivery, then 2, 3… (retries, redeliveries)
