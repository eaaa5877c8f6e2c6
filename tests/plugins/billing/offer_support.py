"""Helpers of the offer side's tests (catalogue, offer, subscriptions, promotions): two
resellers, a system admin, signed-in headers, and a GraphQL call that fails loudly."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from gateway.api import AccountKind, Principal, Role, User, UserRole
from plugins.billing import catalogue, offer
from plugins.billing.catalogue import PriceInput
from plugins.billing.models import ItemKind, Recurrence
from tests.conftest import Gateway
from tests.support.identity_factory import Tenant, bearer_for, make_account, make_reseller

SYSTEM = Principal(role=Role.SYSTEM_ADMIN)


def staff(tenant: Tenant) -> Principal:
    return Principal(role=Role.RESELLER_ADMIN, user_id=tenant.admin.id,
                     reseller_id=tenant.reseller.id)


async def gql(gateway: Gateway, headers: dict[str, str], query: str,
              **variables: Any) -> dict[str, Any]:
    """The data of a GraphQL call that must succeed (no top-level errors)."""
    body = await gateway.graphql(query, variables, **headers)
    assert not body.get("errors"), body
    data: dict[str, Any] = body["data"]
    return data


async def gql_errors(gateway: Gateway, headers: dict[str, str], query: str,
                     **variables: Any) -> list[dict[str, Any]]:
    body = await gateway.graphql(query, variables, **headers)
    errors: list[dict[str, Any]] = body.get("errors") or []
    return errors


async def audited(field: str) -> int:
    """How many audit entries the kit wrote for mutations of root field ``field``."""
    from gateway.identity.models import AuditEntry

    rows = await AuditEntry.filter(action="MUTATION").values_list("detail", flat=True)
    return sum(1 for detail in rows if isinstance(detail, dict) and detail.get("field") == field)


@dataclass
class World:
    """Two resellers (Alpha, Bravo), their people, a system admin and a small catalogue."""

    alpha: Tenant
    bravo: Tenant
    sysadmin: User
    items: dict[str, int]

    async def headers(self, user: User, language: str | None = None) -> dict[str, str]:
        """A session of ``user``; messages come in the user's language (``language`` sets it)."""
        if language is not None and user.language != language:
            user.language = language
            await user.save(update_fields=["language"])
        return await bearer_for(user)


CATALOGUE = [
    # code, kind, recurrence, fr, en, price, included, overage, usage
    ("PLAN-BASE", ItemKind.PLAN, Recurrence.MONTHLY, "Forfait de base", "Basic plan", "30.00",
     100, "0.50", "MINUTE"),
    ("PLAN-PRO", ItemKind.PLAN, Recurrence.MONTHLY, "Forfait Pro", "Pro plan", "60.00", 500,
     "0.40", "MINUTE"),
    ("OPT-REC", ItemKind.OPTION, Recurrence.MONTHLY, "Enregistrement des appels",
     "Call recording", "5.00", 0, "0", ""),
    ("DEV-PHONE", ItemKind.DEVICE, Recurrence.ONE_TIME, "Téléphone IP", "IP phone", "120.00",
     0, "0", ""),
    ("FEE-SETUP", ItemKind.SERVICE_FEE, Recurrence.ONE_TIME, "Frais d'activation",
     "Set-up fee", "25.00", 0, "0", ""),
]


_people = itertools.count(1)


async def person(role: UserRole, reseller: Any = None, account: Any = None) -> User:
    """A user without a password (these tests sign in with a session token): hashing one
    costs more than the rest of a test."""
    login = f"billing.{role.value.lower()}{next(_people)}@example.test"
    return await User.create(role=role, reseller=reseller, account=account, login=login,
                             email=login, first_name=role.value.title(), last_name="Test",
                             language="en")


async def tenant(name: str) -> Tenant:
    """``make_tenant``'s people and accounts, without password hashing."""
    reseller = await make_reseller(name)
    admin = await person(UserRole.RESELLER_ADMIN, reseller)
    reseller.primary_admin = admin
    await reseller.save()
    company = await make_account(reseller)
    pro_account = await make_account(reseller, AccountKind.PROFESSIONAL, "Dre Tremblay")
    return Tenant(reseller, admin, company,
                  await person(UserRole.COMPANY_ADMIN, reseller, company),
                  await person(UserRole.EMPLOYEE, reseller, company), pro_account,
                  await person(UserRole.PROFESSIONAL, reseller, pro_account))


async def make_world() -> World:
    alpha = await tenant("Alpha Télécom")
    bravo = await tenant("Bravo Réseaux")
    sysadmin = await person(UserRole.SYSTEM_ADMIN)
    items = {}
    for code, kind, recurrence, fr, en, price, included, overage, usage in CATALOGUE:
        item = await catalogue.create_item(
            SYSTEM, code=code, kind=kind, recurrence=recurrence, name_fr=fr, name_en=en,
            currency="CAD", usage_key=usage,
            price=PriceInput(Decimal(price), included, Decimal(overage)))
        items[code] = item.id
    return World(alpha, bravo, sysadmin, items)


async def sell(world: World, tenant: Tenant, code: str, wholesale: str,
               retail: str | None = None) -> int:
    """The system admin offers ``code`` to the tenant's reseller; the reseller sells it."""
    row = await offer.make_available(SYSTEM, reseller_id=tenant.reseller.id,
                                     item_id=world.items[code],
                                     wholesale_price=Decimal(wholesale))
    await offer.set_retail(staff(tenant), row.id, offer.RetailInput(
        True, Decimal(retail) if retail is not None else None))
    return row.id


async def second_company(tenant: Tenant) -> Any:
    return await make_account(tenant.reseller, AccountKind.COMPANY, "Zoulou Ltée")
