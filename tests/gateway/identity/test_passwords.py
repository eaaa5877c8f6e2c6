"""changePassword: the current password, the policy (one error per rule), the other sessions;
and no password or hash ever shows in a response, a log or an email."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from strawberry.relay import to_base64

from gateway.identity.models import User
from gateway.identity.secrets import verify_secret
from gateway.identity.sessions import open_session
from gateway.settings import Settings
from tests.conftest import Gateway
from tests.gateway.identity.test_auth import LOGIN, ME, bearer, login
from tests.gateway.identity.test_password_reset import outbox_mail
from tests.support.identity_factory import PASSWORD, make_tenant

CHANGE = """mutation($current: String!, $new: String!) {
  changePassword(input: {currentPassword: $current, newPassword: $new}) {
    user { login } errors { code field message }
  }
}"""
NEW_PASSWORD = "Nouveau-mot2passe"


async def change(gateway: Gateway, token: str, current: str, new: str,
                 **headers: str) -> dict[str, Any]:
    result = await gateway.graphql(CHANGE, {"current": current, "new": new}, **bearer(token),
                                   **headers)
    return result["data"]["changePassword"]


async def test_change_password_ends_the_other_sessions_only(gateway: Gateway) -> None:
    tenant = await make_tenant()
    here = (await login(gateway, tenant.employee.login, PASSWORD))["token"]
    phone = (await login(gateway, tenant.employee.login, PASSWORD))["token"]
    colleague = (await login(gateway, tenant.company_admin.login, PASSWORD))["token"]

    result = await change(gateway, here, PASSWORD, NEW_PASSWORD)
    assert result == {"user": {"login": tenant.employee.login}, "errors": []}

    assert (await gateway.graphql(ME, **bearer(here)))["data"]["me"]["user"]["login"] == (
        tenant.employee.login)
    ended = await gateway.graphql(ME, **bearer(phone))
    assert ended["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    # Someone else's sessions are not touched.
    assert (await gateway.graphql(ME, **bearer(colleague)))["data"]["me"] is not None

    assert (await login(gateway, tenant.employee.login, PASSWORD))["errors"][0]["code"] == (
        "INVALID_CREDENTIALS")
    assert (await login(gateway, tenant.employee.login, NEW_PASSWORD))["errors"] == []


async def test_current_password_is_required(gateway: Gateway) -> None:
    tenant = await make_tenant()
    _, token = await open_session(tenant.employee)
    result = await change(gateway, token, "Not-the-pass1", NEW_PASSWORD)
    assert result["user"] is None
    assert [(e["code"], e["field"]) for e in result["errors"]] == [
        ("WRONG_CURRENT_PASSWORD", ["input", "currentPassword"])]
    user = await User.get(id=tenant.employee.id)
    assert verify_secret(user.password_hash, PASSWORD)


async def test_one_error_per_broken_rule(gateway: Gateway) -> None:
    tenant = await make_tenant()
    _, token = await open_session(tenant.employee)
    cases = {
        "abc": ["PASSWORD_TOO_SHORT", "PASSWORD_NO_UPPERCASE", "PASSWORD_NO_DIGIT",
                "PASSWORD_NO_SPECIAL"],
        "longenough": ["PASSWORD_NO_UPPERCASE", "PASSWORD_NO_DIGIT", "PASSWORD_NO_SPECIAL"],
        "Longenough1": ["PASSWORD_NO_SPECIAL"],
        "Long-enough": ["PASSWORD_NO_DIGIT"],
        "long-enough1": ["PASSWORD_NO_UPPERCASE"],
        "Sh-rt1": ["PASSWORD_TOO_SHORT"],
    }
    for candidate, codes in cases.items():
        result = await change(gateway, token, PASSWORD, candidate)
        assert [e["code"] for e in result["errors"]] == codes, candidate
        assert all(e["field"] == ["input", "newPassword"] for e in result["errors"])
    user = await User.get(id=tenant.employee.id)
    assert verify_secret(user.password_hash, PASSWORD)  # nothing was saved


async def test_policy_messages_in_french(gateway: Gateway) -> None:
    tenant = await make_tenant()
    _, token = await open_session(tenant.employee)
    result = await change(gateway, token, "faux", "abc", **{"Accept-Language": "fr"})
    # The principal's language wins over the header: this employee reads English.
    assert result["errors"][0]["message"] == "The current password is incorrect."
    await User.filter(id=tenant.employee.id).update(language="fr")
    result = await change(gateway, token, PASSWORD, "abcdefgh1!")
    assert [e["message"] for e in result["errors"]] == [
        "Le mot de passe doit contenir une lettre majuscule."]


async def test_wrong_current_and_weak_new_are_reported_together(gateway: Gateway) -> None:
    tenant = await make_tenant()
    _, token = await open_session(tenant.employee)
    result = await change(gateway, token, "Not-the-pass1", "short")
    assert [e["code"] for e in result["errors"]] == [
        "WRONG_CURRENT_PASSWORD", "PASSWORD_TOO_SHORT", "PASSWORD_NO_UPPERCASE",
        "PASSWORD_NO_DIGIT", "PASSWORD_NO_SPECIAL"]


async def test_same_password_again_is_refused(gateway: Gateway) -> None:
    tenant = await make_tenant()
    _, token = await open_session(tenant.employee)
    result = await change(gateway, token, PASSWORD, PASSWORD)
    assert [e["code"] for e in result["errors"]] == ["PASSWORD_UNCHANGED"]


async def test_wrong_current_passwords_are_throttled(gateway: Gateway) -> None:
    tenant = await make_tenant()
    _, token = await open_session(tenant.employee)
    codes = []
    for _ in range(6):
        result = await change(gateway, token, "Not-the-pass1", NEW_PASSWORD)
        codes.append(result["errors"][0]["code"])
    assert codes == ["WRONG_CURRENT_PASSWORD"] * 5 + ["TOO_MANY_ATTEMPTS"]


async def test_no_password_change_inside_direct_access(gateway: Gateway) -> None:
    tenant = await make_tenant()
    parent, _ = await open_session(tenant.admin)
    _, token = await open_session(tenant.admin, acting_account=tenant.company, parent=parent)
    result = await change(gateway, token, PASSWORD, NEW_PASSWORD)
    assert [e["code"] for e in result["errors"]] == ["NOT_IN_DIRECT_ACCESS"]
    assert "direct access" in result["errors"][0]["message"]
    for user in (tenant.admin, tenant.company_admin):
        assert verify_secret((await User.get(id=user.id)).password_hash, PASSWORD)


async def test_api_token_cannot_change_a_password(gateway: Gateway) -> None:
    from gateway.contributions import Principal
    from gateway.identity.api_tokens import create_api_token
    from schema.permissions import Role

    tenant = await make_tenant()
    created = await create_api_token(
        Principal(role=Role.RESELLER_ADMIN, user_id=tenant.admin.id,
                  reseller_id=tenant.reseller.id), "robot")
    result = await gateway.graphql(CHANGE, {"current": PASSWORD, "new": NEW_PASSWORD},
                                   **bearer(created.token))
    assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_no_password_or_hash_in_responses_logs_or_emails(
    gateway: Gateway, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    # The worst case: an operator turned SQL logging on (LOG_SQL=1), values and all.
    for name in ("tortoise.db_client", "aiosqlite", "asyncpg"):
        caplog.set_level(logging.DEBUG, logger=name)
    tenant = await make_tenant()
    user = tenant.employee
    await User.filter(id=user.id).update(language="fr")
    responses: list[Any] = []

    async def call(query: str, variables: dict[str, Any], **headers: str) -> dict[str, Any]:
        response = await gateway.client.post("/graphql", json={"query": query,
                                                               "variables": variables},
                                             headers=headers)
        responses.append(response.text)
        responses.append(dict(response.headers))
        return response.json()

    signed_in = await call(LOGIN, {"login": user.login, "password": PASSWORD, "remember": True})
    token = signed_in["data"]["login"]["token"]
    await call(LOGIN, {"login": user.login, "password": "Wrong-guess9!"})
    await call(CHANGE, {"current": PASSWORD, "new": NEW_PASSWORD}, **bearer(token))
    await call("""mutation($l: String!) { requestPasswordReset(input: {login: $l}) {
        message errors { code } } }""", {"l": user.email})
    (mail,) = await outbox_mail(settings)
    reset_token = mail.token
    final_password = "Encore-1-autre!"
    await call("""mutation($t: String!, $p: String!) { resetPassword(input: {token: $t,
        newPassword: $p}) { login errors { code } } }""", {"t": reset_token, "p": final_password})
    await call(ME, {}, **bearer(token))
    await call("""query($id: ID!) { node(id: $id) { ... on User { login email fullName } } }""",
               {"id": to_base64("User", user.id)}, **bearer(token))
    after = await call(LOGIN, {"login": user.login, "password": final_password})
    assert after["data"]["login"]["errors"] == []
    stored = (await User.get(id=user.id)).password_hash or ""
    assert stored.startswith("$argon2")

    mails = await outbox_mail(settings)
    outbox = Path(settings.email_url.removeprefix("file://"))
    secrets_ = [PASSWORD, NEW_PASSWORD, final_password, "Wrong-guess9!", "$argon2",
                stored.rsplit("$", 1)[-1]]
    logs = "\n".join(record.getMessage() for record in caplog.records)
    assert "core_user" in logs  # the SQL really was logged at DEBUG, values and all
    texts = {
        "logs": logs,
        "responses": json.dumps(responses, default=str),
        "emails": "\n".join(f"{m.subject}\n{m.text}\n{m.html}" for m in mails)
        + "\n".join(f.read_bytes().decode("utf-8", "replace") for f in outbox.glob("*.eml")),
    }
    for where, text in texts.items():
        for secret in secrets_:
            assert secret not in text, f"{secret!r} found in {where}"
