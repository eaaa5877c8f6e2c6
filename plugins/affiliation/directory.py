"""The organisation's shared directory: the users of the organisation's account and of every
account affiliated to it (an unaffiliated account is an organisation of one), searchable by
name and extension. Reseller staff see it for the accounts they see; a signed-in user sees it
when the account belongs to the same organisation as the user's own."""

from __future__ import annotations

from typing import Any

from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet

from gateway.api import Account, BillingStatus, Principal, User, accounts_visible
from plugins.affiliation.services import is_staff

COLUMNS = ("id", "first_name", "last_name", "login", "extension", "account_id",
           "account__name")


async def organization_of(principal: Principal | None, account_id: int) -> int | None:
    """The ORGID whose directory the caller may read through ``account_id``, else None."""
    if principal is None:
        return None
    if is_staff(principal):
        row = await accounts_visible(principal).filter(id=account_id).values_list(
            "id", "organization_id")
        return (row[0][1] or row[0][0]) if row else None
    own = principal.account_id
    if own is None:
        return None
    rows = dict(await Account.filter(id__in={account_id, own}).values_list(
        "id", "organization_id"))
    if account_id not in rows or own not in rows:
        return None
    wanted = rows[account_id] or account_id
    return wanted if wanted == (rows[own] or own) else None


def entries(organization_id: int, search: str | None = None) -> QuerySet[User]:
    """The directory's people (active users of the organisation's accounts that are not
    unsubscribed); ``search``: every word matches a first or last name, or starts an
    extension."""
    members = Account.filter(Q(id=organization_id) | Q(organization_id=organization_id)).exclude(
        billing_status=BillingStatus.UNSUBSCRIBED).values("id")
    query = User.filter(account_id__in=Subquery(members), is_active=True)
    for word in (search or "").split():
        condition = Q(first_name__icontains=word) | Q(last_name__icontains=word)
        if word.isdigit():
            condition |= Q(extension__startswith=word)
        query = query.filter(condition)
    return query


async def page(organization_id: int, search: str | None, offset: int,
               limit: int) -> tuple[list[dict[str, Any]], int]:
    """One page (``limit + 1`` rows, by last name, first name) and the total: two queries."""
    query = entries(organization_id, search)
    total = await query.count()
    rows = await query.order_by("last_name", "first_name", "id").offset(offset).limit(
        limit + 1).values(*COLUMNS)
    return list(rows), total
