"""``gateway demo``: a system admin, two resellers (Alpha, in French; Beta, in English) with
company and professional accounts, and one password for every demo person.

Idempotent: people are found by their login id, accounts by their administrator, resellers
by their primary admin; a second run creates nothing and prints the same logins and password.
The password is DEMO_PASSWORD from the environment, else one generated on the first run and
kept in ``<var_dir>/demo_password``.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import logging
import os
import re
import secrets
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tortoise.transactions import in_transaction

from gateway.identity.codes import new_can
from gateway.identity.models import (
    Account,
    AccountKind,
    BillingStatus,
    Reseller,
    ResellerDelegate,
    User,
    UserRole,
)
from gateway.identity.secrets import hash_secret, password_problems, verify_secret

log = logging.getLogger("gateway.demo")

PASSWORD_FILE = "demo_password"
SYSADMIN_LOGIN = "sysadmin@demo.example"


@dataclass(frozen=True)
class DemoPerson:
    first_name: str
    last_name: str


@dataclass(frozen=True)
class DemoCompany:
    name: str
    domain: str
    admin: DemoPerson
    employees: tuple[DemoPerson, ...]
    in_production: bool = True


@dataclass(frozen=True)
class DemoProfessional:
    name: str
    domain: str
    person: DemoPerson
    in_production: bool = True


@dataclass(frozen=True)
class DemoReseller:
    name: str
    language: str
    admin_login: str
    admin: DemoPerson
    area_codes: tuple[str, ...]
    address: str
    city: str
    state: str
    postal_code: str
    spid: str | None
    phone_system: str
    default_provider: str
    branding: dict[str, Any]
    companies: tuple[DemoCompany, ...]
    professionals: tuple[DemoProfessional, ...]
    delegate_company: int = 0  # this company's admin is also a delegated administrator
    first_names: tuple[str, ...] = field(default=())
    last_names: tuple[str, ...] = field(default=())


def _p(first: str, last: str) -> DemoPerson:
    return DemoPerson(first, last)


ALPHA = DemoReseller(
    name="Alpha", language="fr", admin_login="reseller@alpha.example",
    admin=_p("Isabelle", "Gagnon"), area_codes=("514", "438", "450"),
    address="1250, boulevard René-Lévesque Ouest", city="Montréal", state="QC",
    postal_code="H3B 4W8", spid="ALPHA-0001", phone_system="Asterisk 20",
    default_provider="Twilio",
    branding={"primary_color": "#0B5FFF", "secondary_color": "#FFB400",
              "support_email": "soutien@alpha.example", "support_phone": "+15145550199"},
    companies=(
        DemoCompany("Boulangerie Tremblay", "boulangerie-tremblay.example",
                    _p("Marie", "Tremblay"),
                    (_p("Luc", "Bouchard"), _p("Émilie", "Roy"), _p("Nathalie", "Côté"))),
        DemoCompany("Cabinet Lavoie Avocats", "lavoie-avocats.example", _p("Jean", "Lavoie"),
                    (_p("Sophie", "Gauthier"), _p("Alexandre", "Morin")),
                    in_production=False),
        DemoCompany("Clinique dentaire Pelletier", "clinique-pelletier.example",
                    _p("Julie", "Pelletier"),
                    (_p("Marc", "Bélanger"), _p("Chantal", "Lévesque"))),
    ),
    professionals=(
        DemoProfessional("Dre Caroline Fortin", "drefortin.example", _p("Caroline", "Fortin")),
        DemoProfessional("Me Philippe Girard", "girard-notaire.example",
                         _p("Philippe", "Girard"), in_production=False),
    ),
    first_names=("Mathieu", "Geneviève", "François", "Audrey", "Olivier", "Catherine",
                 "Sébastien", "Mélanie", "Étienne", "Valérie"),
    last_names=("Ouellet", "Gagné", "Poirier", "Lefebvre", "Bergeron", "Caron", "Dubé",
                "Nadeau", "Fournier", "Leblanc"),
)

BETA = DemoReseller(
    name="Beta", language="en", admin_login="reseller@beta.example",
    admin=_p("James", "Wilson"), area_codes=("416", "647", "905"),
    address="100 King Street West", city="Toronto", state="ON", postal_code="M5X 1A9",
    spid=None, phone_system="FreeSWITCH", default_provider="Twilio",
    branding={"primary_color": "#1B7F3B", "secondary_color": "#F2F2F2",
              "support_email": "support@beta.example", "support_phone": "+14165550199"},
    companies=(
        DemoCompany("Maple Leaf Plumbing", "mapleleafplumbing.example", _p("Emily", "Smith"),
                    (_p("Michael", "Brown"), _p("Sarah", "Johnson"), _p("David", "Lee"))),
        DemoCompany("Harbourfront Realty", "harbourfront-realty.example",
                    _p("Robert", "Taylor"), (_p("Jessica", "Martin"), _p("Daniel", "White")),
                    in_production=False),
        DemoCompany("Northern Lights Dental", "northernlightsdental.example",
                    _p("Jennifer", "Clark"), (_p("Matthew", "Lewis"), _p("Ashley", "Walker"))),
    ),
    professionals=(
        DemoProfessional("Dr. Andrew Thompson", "drthompson.example", _p("Andrew", "Thompson")),
        DemoProfessional("Laura Mitchell, CPA", "mitchellcpa.example", _p("Laura", "Mitchell"),
                         in_production=False),
    ),
    first_names=("Olivia", "Ethan", "Chloe", "Noah", "Hannah", "Liam", "Grace", "Owen",
                 "Megan", "Ryan"),
    last_names=("Campbell", "Anderson", "Scott", "Young", "King", "Wright", "Hill", "Green",
                "Baker", "Adams"),
)

DEMO_RESELLERS = (ALPHA, BETA)
LARGE_EXTRA_COMPANIES = 20
LARGE_EMPLOYEES = 6
LARGE_EXTRA_PROFESSIONALS = 10


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def _login(person: DemoPerson, domain: str) -> str:
    first, last = (_slug(name).replace("-", "") for name in (person.first_name, person.last_name))
    return f"{first}.{last}@{domain}"


def _with_large(spec: DemoReseller, size: str) -> DemoReseller:
    """The large set adds generated companies and professionals (same names on every run)."""
    if size != "large":
        return spec
    firsts, lasts = spec.first_names, spec.last_names
    label = "Entreprise" if spec.language == "fr" else "Company"

    def person(n: int) -> DemoPerson:
        return _p(firsts[n % len(firsts)], lasts[(n // len(firsts) + n) % len(lasts)])

    companies = [
        DemoCompany(f"{label} {lasts[i % len(lasts)]} {i + 1}",
                    f"{_slug(spec.name)}-co{i + 1}.example", person(i * 7),
                    tuple(person(i * 7 + j + 1) for j in range(LARGE_EMPLOYEES)),
                    in_production=i % 3 != 0)
        for i in range(LARGE_EXTRA_COMPANIES)
    ]
    professionals = [
        DemoProfessional(f"{firsts[i % len(firsts)]} {lasts[-1 - i % len(lasts)]}",
                         f"{_slug(spec.name)}-pro{i + 1}.example",
                         _p(firsts[i % len(firsts)], lasts[-1 - i % len(lasts)]),
                         in_production=i % 2 == 0)
        for i in range(LARGE_EXTRA_PROFESSIONALS)
    ]
    return DemoReseller(**{**vars(spec), "companies": (*spec.companies, *companies),
                           "professionals": (*spec.professionals, *professionals)})


# ---- the password ---------------------------------------------------------------------------

def generate_password() -> str:
    """A random password that meets the policy (upper case, digit, special, >= 8)."""
    while True:
        candidate = f"Demo-{secrets.token_hex(4)}-{secrets.randbelow(90) + 10}!"
        if not password_problems(candidate):
            return candidate


def demo_password(var_dir: Path, environ: dict[str, str] | None = None) -> tuple[str, str]:
    """(password, where it comes from): DEMO_PASSWORD, else the one kept under ``var_dir``,
    else a new one, kept there so the next run prints the same."""
    env = os.environ if environ is None else environ
    if env.get("DEMO_PASSWORD"):
        return env["DEMO_PASSWORD"], "DEMO_PASSWORD"
    path = var_dir / PASSWORD_FILE
    try:
        kept = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        kept = ""
    if kept:
        return kept, str(path)
    password = generate_password()
    var_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(password + "\n", encoding="utf-8")
    path.chmod(0o600)
    return password, str(path)


class _Passwords:
    """One argon2 hash for everyone (argon2 is slow on purpose), checked once per stored hash."""

    def __init__(self, password: str) -> None:
        self.password = password
        self._hash: str | None = None
        self._checked: dict[str, bool] = {}

    async def hash(self) -> str:
        if self._hash is None:
            self._hash = await asyncio.to_thread(hash_secret, self.password)
        return self._hash

    async def works(self, stored: str | None) -> bool:
        if not stored:
            return False
        if stored not in self._checked:
            self._checked[stored] = await asyncio.to_thread(verify_secret, stored, self.password)
        return self._checked[stored]


# ---- loading --------------------------------------------------------------------------------

class _Loader:
    def __init__(self, gateway: Any, passwords: _Passwords) -> None:
        self.gateway = gateway
        self.passwords = passwords
        self.created = 0

    async def person(self, login: str, role: UserRole, person: DemoPerson, language: str, *,
                     reseller: Reseller | None = None, account: Account | None = None,
                     phone: str | None = None) -> User:
        user = await User.get_or_none(login=login)
        if user is None:
            self.created += 1
            return await User.create(
                role=role, reseller=reseller, account=account, login=login, email=login,
                first_name=person.first_name, last_name=person.last_name, language=language,
                phone=phone, password_hash=await self.passwords.hash(),
                password_changed_at=dt.datetime.now(dt.UTC),
            )
        if not await self.passwords.works(user.password_hash):
            # The printed password must work, even after someone changed it while trying.
            user.password_hash = await self.passwords.hash()
            await User.filter(id=user.id).update(password_hash=user.password_hash)
        return user

    async def reseller(self, spec: DemoReseller) -> Reseller:
        admin = await User.filter(login=spec.admin_login).select_related("reseller").first()
        if admin is not None and admin.reseller is not None:
            await self.person(spec.admin_login, UserRole.RESELLER_ADMIN, spec.admin,
                              spec.language)  # its password, should the demo one have changed
            return admin.reseller
        async with in_transaction():
            can = new_can()
            while await Reseller.filter(can=can).exists():
                can = new_can()
            reseller = await Reseller.create(
                name=spec.name, can=can, default_language=spec.language, spid=spec.spid,
                address=spec.address, city=spec.city, country="CA", state=spec.state,
                postal_code=spec.postal_code, phone_system=spec.phone_system,
                default_provider=spec.default_provider, branding=dict(spec.branding),
            )
            admin = await self.person(spec.admin_login, UserRole.RESELLER_ADMIN, spec.admin,
                                      spec.language, reseller=reseller,
                                      phone=_phone(spec, 0))
            reseller.primary_admin = admin
            await reseller.save(update_fields=["primary_admin_id"])
        return reseller

    async def account(self, reseller: Reseller, spec: DemoReseller, kind: AccountKind,
                      name: str, domain: str, admin: DemoPerson, in_production: bool,
                      number: int) -> tuple[Account, User]:
        login = _login(admin, domain)
        role = UserRole.COMPANY_ADMIN if kind == AccountKind.COMPANY else UserRole.PROFESSIONAL
        existing = await User.filter(login=login).select_related("account").first()
        if existing is not None and existing.account is not None:
            return existing.account, await self.person(login, role, admin, spec.language)
        now = dt.datetime.now(dt.UTC)
        async with in_transaction():
            can = new_can()
            while await Account.filter(can=can).exists():
                can = new_can()
            account = await Account.create(
                reseller=reseller, kind=kind, name=name, can=can, language=spec.language,
                country="CA", email=f"info@{domain}", phone_number=_phone(spec, number),
                billing_status=BillingStatus.IN_PRODUCTION if in_production
                else BillingStatus.FREE_TRIAL,
                trial_ends_at=None if in_production else now + dt.timedelta(days=30),
            )
            user = await self.person(login, role, admin, spec.language, reseller=reseller,
                                     account=account, phone=_phone(spec, number))
            await self.gateway.call_async("gateway_account_created", account=account)
        return account, user


def _phone(spec: DemoReseller, n: int) -> str:
    """Numbers of the 555-01XX range, kept for fiction in North America."""
    area = spec.area_codes[(n // 100) % len(spec.area_codes)]
    return f"+1{area}555{100 + n % 100:04d}"


@dataclass
class _Shown:
    """The demo logins worth trying, per reseller, and the GraphQL ids of its first accounts
    (the README's walk pastes them: startDirectAccess, organizationDirectory)."""

    reseller: str
    rows: list[tuple[str, str]] = field(default_factory=list)
    accounts: list[tuple[str, str]] = field(default_factory=list)


def graphql_id(type_name: str, pk: int) -> str:
    """The global id GraphQL shows for row ``pk`` of ``type_name`` (Relay's base64 of
    ``Type:pk``, as schema.node.global_id makes it)."""
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


async def _load_reseller(loader: _Loader, spec: DemoReseller) -> _Shown:
    reseller = await loader.reseller(spec)
    shown = _Shown(spec.name, [("reseller admin", spec.admin_login)])
    number = 1
    for index, company in enumerate(spec.companies):
        account, admin = await loader.account(
            reseller, spec, AccountKind.COMPANY, company.name, company.domain, company.admin,
            company.in_production, number)
        number += 1
        if index < 3:
            shown.accounts.append((company.name, graphql_id("Account", account.id)))
        employees = []
        for person in company.employees:
            employees.append(await loader.person(
                _login(person, company.domain), UserRole.EMPLOYEE, person, spec.language,
                reseller=reseller, account=account))
        if index == spec.delegate_company:
            if not await ResellerDelegate.filter(reseller=reseller, user=admin).exists():
                await ResellerDelegate.create(reseller=reseller, user=admin,
                                              granted_by_id=reseller.primary_admin_id)
            shown.rows.append((f"delegate ({company.name})", admin.login))
        elif len(shown.rows) < 3:
            shown.rows.append((f"company admin ({company.name})", admin.login))
            if employees:
                shown.rows.append((f"employee ({company.name})", employees[0].login))
    for index, professional in enumerate(spec.professionals):
        account, user = await loader.account(
            reseller, spec, AccountKind.PROFESSIONAL, professional.name, professional.domain,
            professional.person, professional.in_production, number)
        number += 1
        if index == 0:
            shown.rows.append((f"professional ({professional.name})", user.login))
            shown.accounts.append((professional.name, graphql_id("Account", account.id)))
    return shown


async def load_demo_data(gateway: Any, size: str = "small") -> list[str]:
    """The ``gateway_demo_data`` hook of the core: people, resellers and accounts to try
    tenancy and direct access with. Returns the lines ``gateway demo`` prints."""
    settings = gateway.settings
    password, source = demo_password(Path(settings.var_dir))
    loader = _Loader(gateway, _Passwords(password))
    await loader.person(SYSADMIN_LOGIN, UserRole.SYSTEM_ADMIN, _p("Sam", "Sysadmin"), "en")
    shown = [await _load_reseller(loader, _with_large(spec, size)) for spec in DEMO_RESELLERS]
    log.info("demo data: %d people or accounts created", loader.created)
    if source == "DEMO_PASSWORD":
        where = "from DEMO_PASSWORD"
        problems = password_problems(password)
        if problems:
            where += " (it breaks the password policy: fine for a demo, refused elsewhere)"
    else:
        where = f"generated, kept in {source}; set DEMO_PASSWORD to choose it"
    lines = [
        f"Demo data ready (size={size}, {loader.created} new people). "
        f"GraphQL: {settings.public_url.rstrip('/')}/graphql",
        f"Password of every demo login: {password}  ({where})",
        f"  {'system admin':<48} {SYSADMIN_LOGIN}",
    ]
    for group in shown:
        for role, login in group.rows:
            lines.append(f"  {group.reseller + ' ' + role:<48} {login}")
    lines.append("Account ids for the README's walk (startDirectAccess, organizationDirectory):")
    for group in shown:
        for name, account_id in group.accounts:
            lines.append(f"  {group.reseller + ' ' + name:<48} {account_id}")
    return lines
