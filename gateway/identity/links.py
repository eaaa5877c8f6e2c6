"""Single-use, expiring set-password links: "Oublié?" resets and first passwords.

A link is ``{PUBLIC_URL}/set-password?token=...``; the database keeps only the token's digest.
Redeeming one (``auth.reset_password``) sets the password and spends the link; a password set
by any route spends every outstanding link of the person.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import HTMLResponse
from tortoise.transactions import in_transaction

from gateway.i18n import Text, negotiate
from gateway.identity.errors import IdentityErrorCode
from gateway.identity.models import OneTimeToken, OneTimeTokenPurpose, User
from gateway.identity.secrets import LINK_PREFIX, new_token, token_digest
from gateway.problems import Problem

LINK_PATH = "/set-password"
LIFETIME = {
    OneTimeTokenPurpose.RESET_PASSWORD: dt.timedelta(hours=1),
    # Access codes sent to a new person: they may not read their mail the same day.
    OneTimeTokenPurpose.SET_PASSWORD: dt.timedelta(days=7),
}
TEMPLATE = {
    OneTimeTokenPurpose.RESET_PASSWORD: "password_reset",
    OneTimeTokenPurpose.SET_PASSWORD: "set_password",
}

_FIELD = ["input", "token"]
_INVALID = Text(
    en="This link is not valid. Ask for a new one with “Forgot?” on the sign-in page.",
    fr="Ce lien n'est pas valide. Demandez-en un nouveau avec « Oublié? » sur la page de "
    "connexion.",
)
_EXPIRED = Text(
    en="This link has expired. Ask for a new one with “Forgot?” on the sign-in page.",
    fr="Ce lien est expiré. Demandez-en un nouveau avec « Oublié? » sur la page de connexion.",
)
_USED = Text(
    en="This link has already been used. Ask for a new one with “Forgot?” if needed.",
    fr="Ce lien a déjà été utilisé. Demandez-en un nouveau avec « Oublié? » au besoin.",
)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _host(gateway: Any) -> Any:
    if gateway is not None:
        return gateway
    from gateway.jobs.registry import current_host

    host = current_host()
    if host is None:
        raise RuntimeError("password links need the running gateway (its PUBLIC_URL): pass "
                           "gateway=<PluginHost> or start the app or worker")
    return host


def link_url(public_url: str, token: str) -> str:
    return f"{public_url.rstrip('/')}{LINK_PATH}?token={quote(token)}"


async def issue_password_link(
    user: User,
    purpose: OneTimeTokenPurpose | str = OneTimeTokenPurpose.SET_PASSWORD,
    *,
    gateway: Any = None,
) -> str:
    """A new single-use link for ``user`` to set a password; returns its URL (keep it secret:
    put it in an email to the person, never in a log or a response to someone else).

    ``purpose`` is ``SET_PASSWORD`` (first password, 7 days) or ``RESET_PASSWORD`` (1 hour).
    Call it inside the transaction that sends the email, so both happen or neither.
    ``gateway`` is the plugin host; by default the running one."""
    purpose = OneTimeTokenPurpose(purpose)
    host = _host(gateway)
    token = new_token(LINK_PREFIX)
    await OneTimeToken.create(
        user=user,
        purpose=purpose,
        token_hash=token_digest(token),
        expires_at=utcnow() + LIFETIME[purpose],
    )
    return link_url(host.settings.public_url, token)


async def send_password_link(
    user: User,
    purpose: OneTimeTokenPurpose | str = OneTimeTokenPurpose.SET_PASSWORD,
    *,
    gateway: Any = None,
) -> None:
    """Issue a link and email it to ``user`` in the user's language, with the login id
    ("codes d'accès": the login id and a way to set the password, never a password).
    Templates ``set_password`` / ``password_reset``; values ``name``, ``login``, ``link``,
    ``hours``, ``days`` (how long the link lasts)."""
    from gateway.email import send_email

    purpose = OneTimeTokenPurpose(purpose)
    host = _host(gateway)
    async with in_transaction():
        link = await issue_password_link(user, purpose, gateway=host)
        await send_email(
            to=user.email,
            template=TEMPLATE[purpose],
            language=user.language if user.language in ("fr", "en") else "fr",
            values={
                "name": user.full_name,
                "login": user.login,
                "link": link,
                "hours": int(LIFETIME[purpose].total_seconds() // 3600),
                "days": LIFETIME[purpose].days,
            },
            gateway=host,
        )


@dataclass(frozen=True)
class LinkState:
    """What a link is, for the page that shows it (the person holding it may see this)."""

    purpose: OneTimeTokenPurpose
    login: str
    expires_at: dt.datetime
    status: str  # VALID, EXPIRED, USED


async def _find(token: str) -> OneTimeToken | None:
    if not token.startswith(LINK_PREFIX) or len(token) > 200:
        return None
    return await OneTimeToken.filter(token_hash=token_digest(token)).select_related("user").first()


async def describe_link(token: str) -> LinkState | None:
    """The state of a link, or None when it does not exist."""
    row = await _find(token)
    if row is None or not row.user.is_active:
        return None
    status = "USED" if row.used_at else "EXPIRED" if row.expires_at <= utcnow() else "VALID"
    return LinkState(row.purpose, row.user.login, row.expires_at, status)


async def usable_link(token: str) -> OneTimeToken:
    """The link's row (with its user) when it can still be redeemed; else a Problem."""
    row = await _find(token)
    if row is None or not row.user.is_active:
        raise Problem(IdentityErrorCode.LINK_INVALID, _INVALID, _FIELD)
    if row.used_at is not None:
        raise Problem(IdentityErrorCode.LINK_USED, _USED, _FIELD)
    if row.expires_at <= utcnow():
        raise Problem(IdentityErrorCode.LINK_EXPIRED, _EXPIRED, _FIELD)
    return row


async def spend_link(row: OneTimeToken) -> None:
    """Mark the link used; only one of two concurrent redemptions wins (the other is refused)."""
    now = utcnow()
    won = await OneTimeToken.filter(id=row.id, used_at__isnull=True, expires_at__gt=now).update(
        used_at=now
    )
    if not won:
        raise Problem(IdentityErrorCode.LINK_USED, _USED, _FIELD)


async def spend_all_links(user_id: int) -> int:
    """A new password makes every earlier link of the person useless."""
    return await OneTimeToken.filter(user_id=user_id, used_at__isnull=True).update(
        used_at=utcnow()
    )


# The page the emailed link opens: a form that calls the resetPassword mutation. Web clients
# may serve their own page at the same path in front of the gateway.
_PAGE = {
    "en": {
        "title": "Choose your password",
        "password": "New password",
        "confirm": "Confirm the new password",
        "rules": "At least 8 characters, with an upper-case letter, a digit and a special "
                 "character.",
        "submit": "Save",
        "mismatch": "The two passwords differ.",
        "done": "Your password is saved. You can now sign in with your login id:",
        "failed": "The request failed; try again.",
    },
    "fr": {
        "title": "Choisissez votre mot de passe",
        "password": "Nouveau mot de passe",
        "confirm": "Confirmez le nouveau mot de passe",
        "rules": "Au moins 8 caractères, dont une lettre majuscule, un chiffre et un caractère "
                 "spécial.",
        "submit": "Enregistrer",
        "mismatch": "Les deux mots de passe diffèrent.",
        "done": "Votre mot de passe est enregistré. Vous pouvez maintenant ouvrir une session "
                "avec votre identifiant :",
        "failed": "La requête a échoué; réessayez.",
    },
}

_SCRIPT = """
const form = document.getElementById('f'), out = document.getElementById('out');
const token = new URLSearchParams(location.search).get('token') || '';
// The token must not linger in the address bar, history or a Referer.
history.replaceState(null, '', location.pathname);
form.addEventListener('submit', async (event) => {
  event.preventDefault();
  out.textContent = '';
  if (form.p.value !== form.c.value) { out.textContent = T.mismatch; return; }
  try {
    const response = await fetch('graphql', {method: 'POST', credentials: 'omit',
      headers: {'Content-Type': 'application/json',
                'Accept-Language': document.documentElement.lang},
      body: JSON.stringify({
        query: 'mutation($i: ResetPasswordInput!) { resetPassword(input: $i) '
          + '{ login errors { message } } }',
        variables: {i: {token: token, newPassword: form.p.value}}})});
    const result = (await response.json()).data.resetPassword;
    if (result.errors.length) {
      out.textContent = result.errors.map(e => e.message).join(' ');
      return;
    }
    form.remove();
    out.textContent = T.done + ' ' + result.login;
  } catch (e) { out.textContent = T.failed; }
});
"""


async def set_password_page(request: Request) -> HTMLResponse:
    """GET /set-password: the form behind an emailed link, in the reader's language."""
    language = request.query_params.get("lang") or negotiate(request.headers.get("accept-language"))
    words = _PAGE["fr" if language == "fr" else "en"]
    esc = {k: html.escape(v) for k, v in words.items()}
    body = f"""<!doctype html>
<html lang="{'fr' if language == 'fr' else 'en'}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc['title']}</title>
<style>body{{font-family:sans-serif;max-width:26rem;margin:3rem auto;padding:0 1rem}}
label,input,button{{display:block;width:100%;margin:.4rem 0}}#out{{margin-top:1rem}}</style>
</head><body><h1>{esc['title']}</h1>
<form id="f"><label>{esc['password']}<input name="p" type="password" autocomplete="new-password"
required></label><label>{esc['confirm']}<input name="c" type="password"
autocomplete="new-password" required></label><p>{esc['rules']}</p>
<button type="submit">{esc['submit']}</button></form><p id="out" role="status"></p>
<script>const T = {json.dumps(words)};{_SCRIPT}</script></body></html>"""
    return HTMLResponse(
        body,
        headers={
            "Cache-Control": "no-store",
            "Referrer-Policy": "no-referrer",
            "X-Frame-Options": "DENY",
            "Content-Security-Policy": "default-src 'none'; script-src 'unsafe-inline'; "
            "style-src 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'",
        },
    )
