"""`gateway demo`: the demo people and accounts, one password for all, idempotent."""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any

import phonenumbers
import pytest
from strawberry.relay import to_base64

from gateway.identity.demo import PASSWORD_FILE, demo_password, load_demo_data
from gateway.identity.models import (
    Account,
    AccountKind,
    Reseller,
    ResellerDelegate,
    User,
    UserRole,
)
from gateway.identity.secrets import password_problems
from tests.conftest import Gateway
from tests.gateway.identity.test_auth import ME, bearer, login


def printed_password(lines: list[str]) -> str:
    found = re.search(r"Password of every demo login: (\S+)", "\n".join(lines))
    assert found, lines
    return found.group(1)


def printed_logins(lines: list[str]) -> list[str]:
    return [line.split()[-1] for line in lines if line.startswith("  ") and "@" in line]


async def counts() -> tuple[int, int, int, int]:
    return (await Reseller.all().count(), await Account.all().count(),
            await User.all().count(), await ResellerDelegate.all().count())


async def test_demo_creates_tenants_once_with_a_kept_generated_password(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)
    host = gateway.app.state.host
    first = await load_demo_data(host, "small")
    password = printed_password(first)
    assert password_problems(password) == []
    kept = Path(host.settings.var_dir) / PASSWORD_FILE
    assert kept.read_text().strip() == password
    assert first[0].endswith("GraphQL: http://testserver/graphql")
    logins = printed_logins(first)
    assert logins[:2] == ["sysadmin@demo.example", "reseller@alpha.example"]
    assert "reseller@beta.example" in logins
    before = await counts()
    assert before[0] == 2 and before[3] == 2

    second = await load_demo_data(host, "small")
    assert await counts() == before  # nothing new
    assert printed_password(second) == password and printed_logins(second) == logins

    for login_id in logins:
        signed_in = await login(gateway, login_id, password)
        assert signed_in["errors"] == [], login_id

    # The GraphQL ids the README's walk pastes (startDirectAccess, organizationDirectory).
    header = first.index(
        "Account ids for the README's walk (startDirectAccess, organizationDirectory):")
    shown = dict(line.strip().rsplit(None, 1) for line in first[header + 1:]
                 if line.startswith("  "))
    assert len(shown) == 8
    for label, account_id in shown.items():
        kind, pk = base64.b64decode(account_id).decode().split(":")
        account = await Account.get(id=int(pk))
        assert kind == "Account" and label.endswith(account.name), (label, account.name)
    assert "Alpha Clinique dentaire Pelletier" in shown


async def test_demo_people_roles_and_tenancy(gateway: Gateway, monkeypatch: pytest.MonkeyPatch
                                            ) -> None:
    monkeypatch.setenv("DEMO_PASSWORD", "Demo-pass-2024!")
    lines = await load_demo_data(gateway.app.state.host, "small")
    assert printed_password(lines) == "Demo-pass-2024!" and "from DEMO_PASSWORD" in lines[1]
    alpha = await Reseller.get(name="Alpha").prefetch_related("primary_admin")
    beta = await Reseller.get(name="Beta").prefetch_related("primary_admin")
    assert (alpha.primary_admin.login, alpha.default_language) == ("reseller@alpha.example", "fr")
    assert (beta.primary_admin.login, beta.default_language) == ("reseller@beta.example", "en")
    assert (await User.get(login="sysadmin@demo.example")).role == UserRole.SYSTEM_ADMIN
    for reseller in (alpha, beta):
        accounts = await Account.filter(reseller=reseller)
        kinds = [a.kind for a in accounts]
        assert kinds.count(AccountKind.COMPANY) >= 3 and kinds.count(AccountKind.PROFESSIONAL) >= 2
        for account in accounts:
            users = await User.filter(account=account).order_by("id")
            assert all(u.reseller_id == reseller.id for u in users)  # type: ignore[attr-defined]
            if account.kind == AccountKind.COMPANY:
                assert users[0].role == UserRole.COMPANY_ADMIN
                assert [u.role for u in users[1:]] and all(
                    u.role == UserRole.EMPLOYEE for u in users[1:])
            else:
                assert [u.role for u in users] == [UserRole.PROFESSIONAL]
            assert account.language == reseller.default_language
            for number in (account.phone_number, *(u.phone for u in users if u.phone)):
                parsed = phonenumbers.parse(number)
                assert phonenumbers.is_valid_number(parsed), number
                assert phonenumbers.format_number(
                    parsed, phonenumbers.PhoneNumberFormat.E164) == number
    assert await User.filter(first_name="Émilie").exists()  # French names keep their accents

    token = (await login(gateway, "reseller@alpha.example", "Demo-pass-2024!"))["token"]
    beta_account = await Account.filter(reseller=beta).first()
    seen = await gateway.graphql("query($id: ID!) { node(id: $id) { id } }",
                                 {"id": to_base64("Account", beta_account.id)}, **bearer(token))
    assert seen["data"]["node"] is None
    delegate = next(line.split()[-1] for line in lines if "Alpha delegate" in line)
    as_delegate = (await login(gateway, delegate, "Demo-pass-2024!"))["token"]
    me = await gateway.graphql(ME, **bearer(as_delegate))
    assert me["data"]["me"]["role"] == "RESELLER_DELEGATE"


async def test_a_new_demo_password_applies_on_the_next_run(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    host = gateway.app.state.host
    monkeypatch.setenv("DEMO_PASSWORD", "First-pass-1!")
    await load_demo_data(host, "small")
    monkeypatch.setenv("DEMO_PASSWORD", "Second-pass-2!")
    lines = await load_demo_data(host, "small")
    assert "0 new people" in lines[0]
    assert (await login(gateway, "reseller@beta.example", "Second-pass-2!"))["errors"] == []
    old = await login(gateway, "reseller@beta.example", "First-pass-1!")
    assert old["errors"][0]["code"] == "INVALID_CREDENTIALS"


async def test_large_demo_has_more_accounts_and_is_idempotent_too(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEMO_PASSWORD", "Large-pass-3!")
    host = gateway.app.state.host
    await load_demo_data(host, "small")
    small = await counts()
    await load_demo_data(host, "large")
    large = await counts()
    assert large[1] >= small[1] + 50 and large[0] == 2
    await load_demo_data(host, "large")
    assert await counts() == large
    logins = await User.all().values_list("login", flat=True)
    assert len(logins) == len(set(logins))


async def test_the_demo_hook_is_the_cores(gateway: Gateway, monkeypatch: pytest.MonkeyPatch
                                         ) -> None:
    monkeypatch.setenv("DEMO_PASSWORD", "Hook-pass-4!")
    results: list[Any] = await gateway.app.state.host.call_async("gateway_demo_data",
                                                                 size="small")
    assert any(lines and "Hook-pass-4!" in "\n".join(lines) for lines in results)


def test_generated_password_is_kept_per_var_dir(tmp_path: Path) -> None:
    first, where = demo_password(tmp_path, environ={})
    assert where == str(tmp_path / PASSWORD_FILE) and password_problems(first) == []
    assert demo_password(tmp_path, environ={}) == (first, where)
    assert demo_password(tmp_path, environ={"DEMO_PASSWORD": "Env-pass-5!"})[0] == "Env-pass-5!"
    assert (tmp_path / PASSWORD_FILE).stat().st_mode & 0o077 == 0
