"""Build resellers, accounts and people for tests, and sessions for them."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from gateway.identity.codes import new_can
from gateway.identity.models import Account, AccountKind, Reseller, User, UserRole
from gateway.identity.secrets import hash_secret
from gateway.identity.sessions import open_session

PASSWORD = "Secret-pass1"
_counter = itertools.count(1)


async def make_reseller(name: str = "Alpha Télécom", language: str = "fr") -> Reseller:
    return await Reseller.create(name=name, can=new_can(), default_language=language)


async def make_user(
    role: UserRole,
    *,
    reseller: Reseller | None = None,
    account: Account | None = None,
    login: str | None = None,
    language: str = "en",
    password: str = PASSWORD,
) -> User:
    n = next(_counter)
    login = (login or f"{role.value.lower()}{n}@example.test").lower()
    return await User.create(
        role=role, reseller=reseller, account=account, login=login, email=login,
        first_name=role.value.title(), last_name=str(n), language=language,
        password_hash=hash_secret(password),
    )


async def make_account(
    reseller: Reseller, kind: AccountKind = AccountKind.COMPANY, name: str | None = None
) -> Account:
    n = next(_counter)
    return await Account.create(
        reseller=reseller, kind=kind, name=name or f"Compagnie {n}", can=new_can(),
        email=f"account{n}@example.test",
    )


@dataclass
class Tenant:
    """A reseller with its primary admin, a company (admin + employee) and a professional."""

    reseller: Reseller
    admin: User
    company: Account
    company_admin: User
    employee: User
    professional_account: Account
    professional: User


async def make_tenant(name: str = "Alpha Télécom") -> Tenant:
    reseller = await make_reseller(name)
    admin = await make_user(UserRole.RESELLER_ADMIN, reseller=reseller)
    reseller.primary_admin = admin
    await reseller.save()
    company = await make_account(reseller)
    company_admin = await make_user(UserRole.COMPANY_ADMIN, reseller=reseller, account=company)
    employee = await make_user(UserRole.EMPLOYEE, reseller=reseller, account=company)
    pro_account = await make_account(reseller, AccountKind.PROFESSIONAL, "Dre Tremblay")
    professional = await make_user(UserRole.PROFESSIONAL, reseller=reseller, account=pro_account)
    return Tenant(reseller, admin, company, company_admin, employee, pro_account, professional)


async def bearer_for(user: User) -> dict[str, str]:
    """Headers of a fresh session of ``user`` (what login returns, without going through it)."""
    _, token = await open_session(user)
    return {"Authorization": f"Bearer {token}"}
