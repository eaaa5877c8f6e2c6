"""Tenancy: which rows a principal may see. Another tenant's row is simply not there."""

from __future__ import annotations

from tortoise.queryset import QuerySet

from gateway.contributions import Principal
from gateway.i18n import Text
from gateway.identity.models import Account, Reseller, User
from gateway.problems import ACCOUNT_NOT_FOUND, Field, Problem
from gateway.roles import Role

RESELLER_WIDE = {Role.RESELLER_ADMIN, Role.RESELLER_DELEGATE, Role.INTEGRATOR}


def resellers_visible(principal: Principal | None) -> QuerySet[Reseller]:
    if principal is None:
        return Reseller.filter(id=-1)
    if principal.role == Role.SYSTEM_ADMIN:
        return Reseller.all()
    return Reseller.filter(id=principal.reseller_id or -1)


def account_visibility(principal: Principal | None) -> tuple[str, int] | None:
    """The accounts ``principal`` may see as one account column's value (``("id", n)`` or
    ``("reseller_id", n)``; -1: none), or None for every account: what
    :func:`accounts_visible` filters on, for raw SQL on hot paths.

    System admins: all. Reseller staff and integrators: their reseller. Others: their own."""
    if principal is None:
        return "id", -1
    if principal.role == Role.SYSTEM_ADMIN:
        return None
    if principal.role in RESELLER_WIDE and not principal.direct_access:
        return "reseller_id", principal.reseller_id or -1
    return "id", principal.account_id or -1


def accounts_visible(principal: Principal | None) -> QuerySet[Account]:
    """System admins: all. Reseller staff and integrators: their reseller. Others: their own."""
    visibility = account_visibility(principal)
    if visibility is None:
        return Account.all()
    column, value = visibility
    return Account.filter(**{column: value})


def users_visible(principal: Principal | None) -> QuerySet[User]:
    """Reseller staff see their reseller's people; company admins their account's; others self."""
    if principal is None:
        return User.filter(id=-1)
    if principal.role == Role.SYSTEM_ADMIN:
        return User.all()
    if principal.role in RESELLER_WIDE and not principal.direct_access:
        return User.filter(reseller_id=principal.reseller_id or -1)
    if principal.role == Role.COMPANY_ADMIN:
        return User.filter(account_id=principal.account_id or -1)
    return User.filter(id=principal.user_id or -1)


async def account_for(principal: Principal | None, account_id: int,
                      field: Field | None = None, text: Text = ACCOUNT_NOT_FOUND) -> Account:
    """An account the caller may see; any other id is the ``NOT_FOUND`` problem at ``field``."""
    account = await accounts_visible(principal).filter(id=account_id).first()
    if account is None:
        raise Problem("NOT_FOUND", text, field or ["input", "accountId"])
    return account
