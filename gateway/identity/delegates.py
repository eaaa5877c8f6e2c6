"""A reseller's administrators (seeds: Administrateurs): exactly one primary admin, and
delegates chosen among the company admins of the reseller's accounts. Only the reseller admin
adds or removes delegates; taking the rights back also ends a direct access the person has
open.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from gateway.contributions import Principal
from gateway.i18n import Text
from gateway.identity import scoping
from gateway.identity.direct_access import end_direct_access_of
from gateway.identity.errors import USER_NOT_FOUND, ResellerErrorCode
from gateway.identity.models import (
    ACCOUNT_COLUMNS,
    USER_COLUMNS,
    Account,
    BillingStatus,
    Reseller,
    ResellerDelegate,
    User,
    UserRole,
)
from gateway.identity.resellers import NOT_STAFF, reseller_of
from gateway.problems import Problem
from gateway.roles import Role

log = logging.getLogger("gateway.identity")

_NOT_A_CANDIDATE = Text(
    en="Only an active company administrator of one of your accounts can be a delegated "
    "administrator.",
    fr="Seul un administrateur-entreprise actif de l'un de vos comptes peut être administrateur "
    "délégué.",
)
_NOT_A_DELEGATE = Text(en="This user is not one of your delegated administrators.",
                       fr="Cet utilisateur n'est pas l'un de vos administrateurs délégués.")
_ALREADY_DELEGATE = Text(en="This user is already a delegated administrator.",
                         fr="Cet utilisateur est déjà administrateur délégué.")


@dataclass(frozen=True)
class Administrator:
    """The primary admin or a delegate (seeds: user code prefix, then the name)."""

    user: dict[str, Any]  # USER_COLUMNS
    account: dict[str, Any] | None  # ACCOUNT_COLUMNS: the delegate's company
    is_primary: bool
    granted_at: Any = None

    @property
    def user_code(self) -> str:
        return str(self.user["id"])

    @property
    def label(self) -> str:
        name = f"{self.user['first_name']} {self.user['last_name']}".strip()
        return f"{self.user_code} - {name or self.user['login']}"


async def _accounts_by_id(ids: set[int]) -> dict[int, dict[str, Any]]:
    if not ids:
        return {}
    rows = await Account.filter(id__in=ids).values(*ACCOUNT_COLUMNS)
    return {row["id"]: row for row in rows}


async def administrators(reseller_id: int) -> list[Administrator]:
    """The primary admin first (exactly one), then the delegates in the order they were
    added. Three queries whatever their number."""
    reseller = await Reseller.filter(id=reseller_id).values("primary_admin_id")
    delegations = await ResellerDelegate.filter(reseller_id=reseller_id).order_by(
        "created_at", "id").values("user_id", "created_at")
    primary_id = reseller[0]["primary_admin_id"] if reseller else None
    ids = {d["user_id"] for d in delegations} | ({primary_id} if primary_id else set())
    users = {row["id"]: row for row in await User.filter(id__in=ids).values(*USER_COLUMNS)}
    accounts = await _accounts_by_id({u["account_id"] for u in users.values()
                                      if u["account_id"]})
    result = []
    if primary_id in users:
        result.append(Administrator(user=users[primary_id], account=None, is_primary=True))
    for delegation in delegations:
        user = users.get(delegation["user_id"])
        if user is not None:
            result.append(Administrator(user=user, account=accounts.get(user["account_id"]),
                                        is_primary=False, granted_at=delegation["created_at"]))
    return result


async def _candidates(reseller_id: int) -> QuerySet[User]:
    """Company admins of the reseller's live accounts who are not delegates yet."""
    delegates = await ResellerDelegate.filter(reseller_id=reseller_id).values_list(
        "user_id", flat=True)
    query = User.filter(
        reseller_id=reseller_id, role=UserRole.COMPANY_ADMIN, is_active=True,
        account__reseller_id=reseller_id,
    ).exclude(account__billing_status=BillingStatus.UNSUBSCRIBED)
    return query.exclude(id__in=list(delegates)) if delegates else query


async def delegate_candidates(
    reseller_id: int, search: str | None, offset: int, limit: int
) -> tuple[list[Administrator], int]:
    """Whom the reseller admin may make a delegate (seeds: the company administrators), with
    their company; filtered by name, login or company name. Four queries per page."""
    query = await _candidates(reseller_id)
    term = " ".join((search or "").split())
    if term:
        query = query.filter(Q(first_name__icontains=term) | Q(last_name__icontains=term)
                             | Q(login__icontains=term) | Q(account__name__icontains=term))
    total = await query.count()
    rows = await query.order_by("last_name", "first_name", "id").offset(offset).limit(
        limit + 1).values(*USER_COLUMNS)
    accounts = await _accounts_by_id({r["account_id"] for r in rows if r["account_id"]})
    return [Administrator(user=r, account=accounts.get(r["account_id"]), is_primary=False)
            for r in rows], total


async def administrators_for(principal: Principal, reseller_id: int | None
                             ) -> list[Administrator]:
    """The administrators of ``reseller_id`` if the caller sees that reseller; none from inside
    direct access."""
    if reseller_id is None or principal.direct_access or not await scoping.resellers_visible(
            principal).filter(id=reseller_id).exists():
        return []
    return await administrators(reseller_id)


async def candidates_for(principal: Principal | None, search: str | None, offset: int,
                         limit: int) -> tuple[list[Administrator], int]:
    """The delegate candidates of the reseller the caller manages; none for anyone else."""
    reseller = await reseller_of(principal)
    if reseller is None:
        return [], 0
    return await delegate_candidates(reseller.id, search, offset, limit)


def _require_admin(principal: Principal) -> int:
    """Seeds: a delegate cannot add or remove administrators."""
    if principal.role != Role.RESELLER_ADMIN or principal.direct_access \
            or not principal.reseller_id:
        raise Problem(ResellerErrorCode.NOT_FOUND, NOT_STAFF)
    return principal.reseller_id


async def add_delegate(principal: Principal, user_id: int) -> Administrator:
    """Make a company admin of one of the reseller's accounts a delegated administrator."""
    reseller_id = _require_admin(principal)
    field = ["input", "userId"]
    user = await User.filter(id=user_id, reseller_id=reseller_id).first()
    if user is None:
        raise Problem(ResellerErrorCode.NOT_FOUND, USER_NOT_FOUND, field)
    if await ResellerDelegate.filter(reseller_id=reseller_id, user_id=user_id).exists():
        raise Problem(ResellerErrorCode.ALREADY_DELEGATE, _ALREADY_DELEGATE, field)
    if not await (await _candidates(reseller_id)).filter(id=user_id).exists():
        raise Problem(ResellerErrorCode.NOT_FOUND, _NOT_A_CANDIDATE, field)
    try:
        await ResellerDelegate.create(reseller_id=reseller_id, user_id=user_id,
                                      granted_by_id=principal.user_id)
    except IntegrityError:
        raise Problem(ResellerErrorCode.ALREADY_DELEGATE, _ALREADY_DELEGATE, field) from None
    log.info("user %s made a delegate of reseller %s by user %s", user_id, reseller_id,
             principal.user_id)
    entry = next(a for a in await administrators(reseller_id) if a.user["id"] == user_id)
    return entry


async def remove_delegate(principal: Principal, user_id: int, *, request_id: str | None = None
                          ) -> None:
    """Take delegated rights back. They end at the person's next request; a direct access the
    person has open inside one of the accounts ends now (and is audited)."""
    reseller_id = _require_admin(principal)
    removed = await ResellerDelegate.filter(reseller_id=reseller_id, user_id=user_id).delete()
    if not removed:
        raise Problem(ResellerErrorCode.NOT_FOUND, _NOT_A_DELEGATE, ["input", "userId"])
    await end_direct_access_of(user_id, reason="DELEGATION_REVOKED", request_id=request_id)
    log.info("user %s no longer a delegate of reseller %s (removed by user %s)", user_id,
             reseller_id, principal.user_id)
