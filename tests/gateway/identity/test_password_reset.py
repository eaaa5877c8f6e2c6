""""Oublié?": the same answer for any login, a single-use expiring link emailed in the person's
language, resetPassword with the policy, and first-password links for new people."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from dataclasses import dataclass
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from gateway.identity import throttle
from gateway.identity.auth import settle_password_resets
from gateway.identity.links import issue_password_link, send_password_link
from gateway.identity.models import OneTimeToken, OneTimeTokenPurpose, Session, User
from gateway.identity.secrets import verify_secret
from gateway.identity.sessions import open_session
from gateway.models import OutboxJob
from gateway.settings import Settings
from tests.conftest import Gateway
from tests.gateway.identity.test_audit import counted_queries
from tests.gateway.identity.test_auth import ME, bearer, login
from tests.support.identity_factory import PASSWORD, make_tenant

REQUEST = """mutation($login: String!) {
  requestPasswordReset(input: {login: $login}) { message errors { code field message } }
}"""
RESET = """mutation($token: String!, $password: String!) {
  resetPassword(input: {token: $token, newPassword: $password}) {
    login errors { code field message }
  }
}"""
LINK = """query($token: String!) { passwordLink(token: $token) {
  purpose status login expiresAt } }"""
NEW_PASSWORD = "Tout-neuf-2024"


@dataclass
class Mail:
    to: str
    subject: str
    language: str
    text: str
    html: str

    @property
    def token(self) -> str:
        """The token of the set-password link in the plain-text part."""
        found = re.search(r"https?://\S+/set-password\?token=(\S+)", self.text)
        assert found is not None, self.text
        return unquote(found.group(1))


def read_mail(path: Path) -> Mail:
    message: Any = message_from_bytes(path.read_bytes(), policy=policy.default)
    return Mail(
        to=str(message["To"]),
        subject=str(message["Subject"]),
        language=str(message["Content-Language"]),
        text=message.get_body(("plain",)).get_content(),
        html=message.get_body(("html",)).get_content(),
    )


async def outbox_mail(settings: Settings, count: int = 1) -> list[Mail]:
    """The emails delivered to the file outbox, once ``count`` of them are there."""
    folder = Path(settings.email_url.removeprefix("file://"))
    deadline = asyncio.get_running_loop().time() + 15
    while True:
        files = sorted(folder.glob("*.eml"), key=lambda p: int(p.stem))
        if len(files) >= count:
            return [read_mail(f) for f in files]
        assert asyncio.get_running_loop().time() < deadline, f"{len(files)} of {count} emails"
        await asyncio.sleep(0.05)


async def request_reset(gateway: Gateway, login_id: str, **headers: str) -> dict[str, Any]:
    answer = (await gateway.graphql(REQUEST, {"login": login_id}, **headers))[
        "data"]["requestPasswordReset"]
    await settle_password_resets()  # the link is looked up and emailed after the answer
    return answer  # type: ignore[no-any-return]


async def reset(gateway: Gateway, token: str, password: str = NEW_PASSWORD) -> dict[str, Any]:
    return (await gateway.graphql(RESET, {"token": token, "password": password}))[
        "data"]["resetPassword"]


async def test_same_answer_whether_or_not_the_login_exists(
    gateway: Gateway, settings: Settings
) -> None:
    tenant = await make_tenant()
    known = await request_reset(gateway, tenant.employee.email.upper())
    unknown = await request_reset(gateway, "personne@example.test")
    assert known == unknown
    assert known["errors"] == []
    assert known["message"].startswith("If this login id or email is known")

    mails = await outbox_mail(settings)
    assert len(mails) == 1  # nothing for the unknown login
    assert mails[0].to == tenant.employee.email
    assert await OutboxJob.filter(job="email.send").count() == 1


async def test_the_answer_does_the_same_work_whether_or_not_the_login_exists(
    gateway: Gateway, settings: Settings
) -> None:
    """Timing tells nothing: before answering, the request sends the same SQL statements for a
    known login as for an unknown one (the lookup and the email come after the answer)."""
    tenant = await make_tenant()

    async def statements_before_answer(login_id: str) -> list[str]:
        with counted_queries() as seen:  # this task's: the request, not the work after it
            answer = (await gateway.graphql(REQUEST, {"login": login_id}))[
                "data"]["requestPasswordReset"]
        assert answer["errors"] == []
        await settle_password_resets()
        return seen

    await statements_before_answer("warm-up@example.test")  # the address's counter row exists
    known = await statements_before_answer(tenant.employee.login)
    unknown = await statements_before_answer("personne@example.test")
    assert known == unknown
    assert not any("core_user" in statement for statement in known)
    assert len(await outbox_mail(settings)) == 1


async def test_link_is_emailed_in_the_persons_language_and_resets(
    gateway: Gateway, settings: Settings
) -> None:
    tenant = await make_tenant()
    await User.filter(id=tenant.employee.id).update(language="fr")
    # The person who asks reads English; the email goes out in the person's own language.
    await request_reset(gateway, tenant.employee.login, **{"Accept-Language": "en"})
    (mail,) = await outbox_mail(settings)
    assert (mail.language, mail.subject) == ("fr", "Choisissez un nouveau mot de passe")
    assert f"Votre identifiant : {tenant.employee.login}" in mail.text
    assert "expire dans 1 heure(s)" in mail.text
    assert f'href="http://testserver/set-password?token={mail.token}"' in mail.html
    assert mail.token.startswith("gwl_")

    link = (await gateway.graphql(LINK, {"token": mail.token}))["data"]["passwordLink"]
    assert (link["purpose"], link["status"], link["login"]) == (
        "RESET_PASSWORD", "VALID", tenant.employee.login)
    expires = dt.datetime.fromisoformat(link["expiresAt"])
    assert dt.timedelta(minutes=59) < expires - dt.datetime.now(dt.UTC) <= dt.timedelta(hours=1)

    result = await reset(gateway, mail.token)
    assert result == {"login": tenant.employee.login, "errors": []}
    assert (await login(gateway, tenant.employee.login, NEW_PASSWORD))["errors"] == []
    assert (await login(gateway, tenant.employee.login, PASSWORD))["errors"][0]["code"] == (
        "INVALID_CREDENTIALS")


async def test_a_link_works_once(gateway: Gateway, settings: Settings) -> None:
    tenant = await make_tenant()
    await request_reset(gateway, tenant.employee.login)
    (mail,) = await outbox_mail(settings)
    assert (await reset(gateway, mail.token))["errors"] == []
    second = await reset(gateway, mail.token, "Autre-chose-9")
    assert second["login"] is None
    assert [(e["code"], e["field"]) for e in second["errors"]] == [("LINK_USED", ["input",
                                                                                  "token"])]
    user = await User.get(id=tenant.employee.id)
    assert verify_secret(user.password_hash, NEW_PASSWORD)
    link = (await gateway.graphql(LINK, {"token": mail.token}))["data"]["passwordLink"]
    assert link["status"] == "USED"


async def test_expired_and_unknown_links_are_refused(gateway: Gateway) -> None:
    tenant = await make_tenant()
    url = await issue_password_link(tenant.employee, OneTimeTokenPurpose.RESET_PASSWORD,
                                    gateway=gateway.app.state.host)
    token = unquote(url.split("token=")[1])
    await OneTimeToken.filter(user_id=tenant.employee.id).update(
        expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
    expired = await reset(gateway, token)
    assert [e["code"] for e in expired["errors"]] == ["LINK_EXPIRED"]
    assert "expired" in expired["errors"][0]["message"]
    assert (await gateway.graphql(LINK, {"token": token}))["data"]["passwordLink"][
        "status"] == "EXPIRED"

    for bogus in ("gwl_not-a-real-token", "", "gws_" + token[4:], "x" * 5000):
        refused = await reset(gateway, bogus)
        assert [e["code"] for e in refused["errors"]] == ["LINK_INVALID"], bogus
        assert (await gateway.graphql(LINK, {"token": bogus}))["data"]["passwordLink"] is None
    user = await User.get(id=tenant.employee.id)
    assert verify_secret(user.password_hash, PASSWORD)


async def test_policy_is_enforced_and_a_refusal_keeps_the_link(gateway: Gateway) -> None:
    tenant = await make_tenant()
    url = await issue_password_link(tenant.employee, "RESET_PASSWORD",
                                    gateway=gateway.app.state.host)
    token = unquote(url.split("token=")[1])
    weak = await reset(gateway, token, "weak")
    assert [e["code"] for e in weak["errors"]] == [
        "PASSWORD_TOO_SHORT", "PASSWORD_NO_UPPERCASE", "PASSWORD_NO_DIGIT", "PASSWORD_NO_SPECIAL"]
    assert all(e["field"] == ["input", "newPassword"] for e in weak["errors"])
    assert (await reset(gateway, token))["errors"] == []


async def test_reset_ends_every_session_and_earlier_links(gateway: Gateway) -> None:
    tenant = await make_tenant()
    host = gateway.app.state.host
    _, laptop = await open_session(tenant.employee)
    _, phone = await open_session(tenant.employee)
    first = unquote((await issue_password_link(tenant.employee, "RESET_PASSWORD",
                                               gateway=host)).split("token=")[1])
    second = unquote((await issue_password_link(tenant.employee, "RESET_PASSWORD",
                                                gateway=host)).split("token=")[1])
    assert (await reset(gateway, second))["errors"] == []
    for token in (laptop, phone):
        result = await gateway.graphql(ME, **bearer(token))
        assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert await Session.filter(user_id=tenant.employee.id, ended_at__isnull=True).count() == 0
    assert [e["code"] for e in (await reset(gateway, first, "Encore-1-autre"))["errors"]] == [
        "LINK_USED"]


async def test_reset_unlocks_a_throttled_login(gateway: Gateway) -> None:
    tenant = await make_tenant()
    for _ in range(throttle.LOGIN.limit):
        await login(gateway, tenant.employee.login, "Wrong-pass1!")
    locked = await login(gateway, tenant.employee.login, PASSWORD)
    assert locked["errors"][0]["code"] == "TOO_MANY_ATTEMPTS"
    url = await issue_password_link(tenant.employee, "RESET_PASSWORD",
                                    gateway=gateway.app.state.host)
    assert (await reset(gateway, unquote(url.split("token=")[1])))["errors"] == []
    assert (await login(gateway, tenant.employee.login, NEW_PASSWORD))["errors"] == []


async def test_requests_are_limited_per_login_without_saying_so(
    gateway: Gateway, settings: Settings
) -> None:
    tenant = await make_tenant()
    answers = [await request_reset(gateway, tenant.employee.login)
               for _ in range(throttle.RESET_LOGIN.limit + 2)]
    assert all(a == answers[0] for a in answers)
    await outbox_mail(settings, throttle.RESET_LOGIN.limit)
    assert await OutboxJob.filter(job="email.send").count() == throttle.RESET_LOGIN.limit
    assert await OneTimeToken.filter(user_id=tenant.employee.id).count() == (
        throttle.RESET_LOGIN.limit)


async def test_requests_are_limited_per_address(gateway: Gateway) -> None:
    await make_tenant()
    for n in range(throttle.RESET_ADDRESS.limit):
        assert (await request_reset(gateway, f"nobody{n}@example.test"))["errors"] == []
    refused = await request_reset(gateway, "nobody@example.test")
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [
        ("TOO_MANY_ATTEMPTS", ["input", "login"])]


async def test_first_password_link_lasts_a_week_and_is_emailed(
    gateway: Gateway, settings: Settings
) -> None:
    tenant = await make_tenant()
    newcomer = tenant.professional
    newcomer.password_hash = None
    await newcomer.save()
    # Without a password nobody can sign in as the newcomer, whatever they type.
    assert (await login(gateway, newcomer.login, ""))["errors"][0]["code"] == "REQUIRED"
    assert (await login(gateway, newcomer.login, "Anything-1"))["errors"][0]["code"] == (
        "INVALID_CREDENTIALS")

    await send_password_link(newcomer, OneTimeTokenPurpose.SET_PASSWORD,
                             gateway=gateway.app.state.host)
    (mail,) = await outbox_mail(settings)
    assert (mail.language, mail.subject) == ("en", "Your access codes for the Web portal")
    assert f"Your login id: {newcomer.login}" in mail.text
    assert "expires in 7 day(s)" in mail.text
    row = await OneTimeToken.get(user_id=newcomer.id)
    assert row.purpose == OneTimeTokenPurpose.SET_PASSWORD
    assert row.expires_at - row.created_at >= dt.timedelta(days=6, hours=23)

    link = (await gateway.graphql(LINK, {"token": mail.token}))["data"]["passwordLink"]
    assert (link["purpose"], link["status"]) == ("SET_PASSWORD", "VALID")
    assert (await reset(gateway, mail.token))["errors"] == []
    assert (await login(gateway, newcomer.login, NEW_PASSWORD))["errors"] == []


async def test_the_link_opens_a_form_that_keeps_the_token_private(gateway: Gateway) -> None:
    response = await gateway.client.get("/set-password?token=gwl_abc",
                                        headers={"Accept-Language": "fr"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "Choisissez votre mot de passe" in response.text
    assert "resetPassword" in response.text
    assert "gwl_abc" not in response.text  # read by the page's script from its own address
    english = await gateway.client.get("/set-password?token=gwl_abc")
    assert "Choose your password" in english.text
