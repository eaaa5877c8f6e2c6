"""Accounts shaped like a reseller's Clients page: several companies and professionals with
users, phone numbers, languages, an affiliation, every billing status."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from gateway.identity.codes import new_can
from gateway.identity.models import Account, AccountKind, BillingStatus, User, UserRole
from tests.support.identity_factory import Tenant, make_tenant, make_user

ACCOUNT_FIELDS = ("id accountNumber name orgId userCount can phoneNumber receptionistNumber "
                  "language timeZone billingStatus extension")


@dataclass
class Clients:
    tenant: Tenant
    companies: list[Account] = field(default_factory=list)
    professionals: list[Account] = field(default_factory=list)


async def add_account(tenant: Tenant, kind: AccountKind, name: str, *, users: int = 0,
                      phone: str | None = None, language: str = "fr",
                      status: BillingStatus = BillingStatus.IN_PRODUCTION,
                      organization: Account | None = None,
                      extension: str | None = None) -> Account:
    # ``phone``: the list's "Numéro de téléphone", the virtual receptionist's number (kept by the
    # account settings plugin from the pool: tests/plugins/account_settings/test_ordering.py);
    # the contact phone typed at sign-up is the same here.
    account = await Account.create(
        reseller=tenant.reseller, kind=kind, name=name, can=new_can(), language=language,
        email=f"{name.lower().replace(' ', '.')}@clients.test", phone_number=phone,
        receptionist_number=phone,
        billing_status=status, organization=organization,
        unsubscribed_at=dt.datetime.now(dt.UTC) if status == BillingStatus.UNSUBSCRIBED
        else None,
    )
    if kind == AccountKind.PROFESSIONAL:
        await User.create(role=UserRole.PROFESSIONAL, reseller=tenant.reseller, account=account,
                          login=f"pro.{account.id}@clients.test",
                          email=f"pro.{account.id}@clients.test", first_name=name,
                          extension=extension, language=language)
    for n in range(users):
        await make_user(UserRole.COMPANY_ADMIN if n == 0 else UserRole.EMPLOYEE,
                        reseller=tenant.reseller, account=account)
    return account


async def make_clients(name: str = "Alpha Télécom") -> Clients:
    tenant = await make_tenant(name)
    clients = Clients(tenant)
    acme = await add_account(tenant, AccountKind.COMPANY, "acme Plomberie", users=3,
                             phone="+15145550101", language="en",
                             status=BillingStatus.FREE_TRIAL)
    clients.companies += [
        acme,
        await add_account(tenant, AccountKind.COMPANY, "Bravo Inc", users=1,
                          phone="+14185550102"),
        await add_account(tenant, AccountKind.COMPANY, "bravo inc", users=0),
        await add_account(tenant, AccountKind.COMPANY, "Charlie ACME", users=2,
                          phone="+15145550199", organization=acme,
                          status=BillingStatus.BILLING_SUSPENDED),
        await add_account(tenant, AccountKind.COMPANY, "Delta Désabonné", users=1,
                          phone="+16135550100", status=BillingStatus.UNSUBSCRIBED),
        tenant.company,
    ]
    clients.professionals += [
        await add_account(tenant, AccountKind.PROFESSIONAL, "Dr Acme", extension="205",
                          phone="+15145550300", language="en"),
        await add_account(tenant, AccountKind.PROFESSIONAL, "Me Bouchard", extension="101",
                          status=BillingStatus.FREE_TRIAL),
        tenant.professional_account,
    ]
    return clients
