"""Signing in and out, changing, resetting and setting passwords: the rules, without GraphQL.

Nothing here returns, logs or raises with a password or a hash in it. Wrong login and wrong
password are one error, reached through the same work (an argon2 verification either way).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import ipaddress
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from gateway.contributions import Principal
from gateway.i18n import Text
from gateway.identity import links, throttle
from gateway.identity.errors import IdentityErrorCode
from gateway.identity.models import OneTimeTokenPurpose, Session, User
from gateway.identity.secrets import hash_secret, needs_rehash, password_problems, verify_secret
from gateway.identity.sessions import end_other_sessions, end_session, open_session
from gateway.problems import Field, Problem, raise_all
from gateway.roles import RESELLER_STAFF, SUBSCRIBERS, Role

log = logging.getLogger("gateway.identity")

# Who signs in with a password (an integrator's API token has none).
PEOPLE = (Role.SYSTEM_ADMIN, *RESELLER_STAFF, *SUBSCRIBERS)

# argon2 of a megabyte is slow: a longer "password" is refused before any hashing.
MAX_PASSWORD_LENGTH = 256
MAX_LOGIN_LENGTH = 254

_INVALID_CREDENTIALS = Text(
    en="The login id or the password is incorrect.",
    fr="L'identifiant ou le mot de passe est incorrect.",
)
_DISABLED = Text(
    en="This access is disabled. Contact your administrator.",
    fr="Cet accès est désactivé. Communiquez avec votre administrateur.",
)
_WAIT_SECONDS = Text(
    en="Too many attempts. Try again in {seconds} seconds.",
    fr="Trop de tentatives. Réessayez dans {seconds} secondes.",
)
_WAIT_MINUTES = Text(
    en="Too many attempts. Try again in {minutes} minutes.",
    fr="Trop de tentatives. Réessayez dans {minutes} minutes.",
)
_REQUIRED_LOGIN = Text(en="Enter your login id or email.",
                       fr="Entrez votre identifiant ou courriel.")
_REQUIRED_PASSWORD = Text(en="Enter your password.", fr="Entrez votre mot de passe.")
_WRONG_CURRENT = Text(en="The current password is incorrect.",
                      fr="Le mot de passe actuel est incorrect.")
_UNCHANGED = Text(en="The new password must differ from the current one.",
                  fr="Le nouveau mot de passe doit être différent de l'actuel.")
_TOO_LONG = Text(en="The password must have at most {max} characters.",
                 fr="Le mot de passe doit comporter au plus {max} caractères.")
_IN_DIRECT_ACCESS = Text(
    en="Credentials cannot be changed while accessing an account directly. End the direct "
    "access first.",
    fr="Les codes d'accès ne peuvent pas être modifiés pendant un accès direct à un compte. "
    "Terminez d'abord l'accès direct.",
)
_NO_PERSON = Text(en="Only a person signed in with a password can do this.",
                  fr="Seule une personne connectée avec un mot de passe peut faire ceci.")


class Throttled(Problem):
    """Too many attempts: ``retry_after`` seconds until the next one is looked at."""

    def __init__(self, retry_after: int, field: Field | None = None) -> None:
        if retry_after < 60:
            super().__init__(IdentityErrorCode.TOO_MANY_ATTEMPTS, _WAIT_SECONDS, field,
                             seconds=retry_after)
        else:
            super().__init__(IdentityErrorCode.TOO_MANY_ATTEMPTS, _WAIT_MINUTES, field,
                             minutes=-(-retry_after // 60))
        self.retry_after = retry_after
        self.details = {"retry_after": retry_after}


@dataclass(frozen=True)
class SignedIn:
    """A successful sign-in: the person, the server-side session and the token (shown once)."""

    user: User
    session: Session
    token: str


def normalize_login(value: str) -> str:
    """Logins and emails are stored lower-case; people type them any way."""
    return value.strip().lower()


async def find_user(login: str) -> User | None:
    """The person whose login id or email is ``login`` (case-insensitive); the login id wins
    should one person's login id be another's email."""
    login = normalize_login(login)
    if not login or len(login) > MAX_LOGIN_LENGTH:
        return None
    candidates = await User.filter(Q(login=login) | Q(email=login)).limit(2)
    candidates.sort(key=lambda user: user.login != login)
    return candidates[0] if candidates else None


async def _verify(stored: str | None, candidate: str) -> bool:
    # argon2 takes tens of milliseconds of CPU: off the event loop, other requests go on.
    return await asyncio.to_thread(verify_secret, stored, candidate)


async def sign_in(
    login: str, password: str, *, client_address: str = "", user_agent: str = ""
) -> SignedIn:
    """Check the credentials and open a session. Raises :class:`Problem` (a missing value,
    ``INVALID_CREDENTIALS``, ``ACCOUNT_DISABLED``) or :class:`Throttled`."""
    login = normalize_login(login)
    if not login:
        raise Problem(IdentityErrorCode.REQUIRED, _REQUIRED_LOGIN, ["input", "login"])
    if not password:
        raise Problem(IdentityErrorCode.REQUIRED, _REQUIRED_PASSWORD, ["input", "password"])
    await _count_attempt(login, client_address)
    user = await find_user(login)
    if len(password) > MAX_PASSWORD_LENGTH:
        # No password that long was ever accepted, so it cannot be right.
        ok = False
    else:
        ok = await _verify(user.password_hash if user else None, password)
    if not ok or user is None:
        log.info("sign-in refused for a login id from %s", client_address or "unknown address")
        raise Problem(IdentityErrorCode.INVALID_CREDENTIALS, _INVALID_CREDENTIALS)
    if not user.is_active:
        raise Problem(IdentityErrorCode.ACCOUNT_DISABLED, _DISABLED)
    await throttle.clear(throttle.LOGIN, login, user.login, user.email)
    await throttle.give_back(throttle.ADDRESS, client_address)
    if user.password_hash and needs_rehash(user.password_hash):
        # Hashing parameters moved on since this password was set: upgrade it while we can.
        user.password_hash = await asyncio.to_thread(hash_secret, password)
        await User.filter(id=user.id).update(password_hash=user.password_hash)
    session, token = await open_session(user, client_address=client_address,
                                        user_agent=user_agent)
    log.info("user %s signed in (session %s)", user.id, session.id)
    return SignedIn(user=user, session=session, token=token)


async def _count_attempt(login: str, client_address: str) -> None:
    """Count one sign-in attempt against the address, then the login; refuse when over."""
    wait = await throttle.hit(throttle.ADDRESS, client_address)
    if wait is not None:
        raise Throttled(wait)
    wait = await throttle.hit(throttle.LOGIN, login)
    if wait is not None:
        # The address did not really try: a locked login must not also lock its neighbours.
        await throttle.give_back(throttle.ADDRESS, client_address)
        raise Throttled(wait)


async def password_matches(user: User, password: str, *, client_address: str = "") -> bool:
    """Whether ``password`` is the person's current one (to confirm a change of credentials).
    A wrong one counts as a failed sign-in of the login: raises :class:`Throttled` when over."""
    await _count_attempt(user.login, client_address)
    ok = bool(password) and len(password) <= MAX_PASSWORD_LENGTH and await _verify(
        user.password_hash, password)
    if ok:
        await throttle.clear(throttle.LOGIN, user.login, user.email)
        await throttle.give_back(throttle.ADDRESS, client_address)
    return ok


async def sign_out(session_id: int | None) -> bool:
    """End the session; from inside direct access, the reseller's session ends as well (the
    person leaves, not only the account). Returns whether a session was open."""
    if session_id is None:
        return False
    session = await Session.get_or_none(id=session_id)
    if session is None or session.ended_at is not None:
        return False
    parent_id = session.parent_id
    if parent_id is not None:
        parent = await Session.get_or_none(id=parent_id)
        if parent is not None:
            await end_session(parent)
    await end_session(session)
    log.info("session %s ended by sign-out", session.id)
    return True


def password_errors(password: str, field: Field) -> list[Problem]:
    """One problem per rule of the policy that ``password`` breaks (seeds: >= 8 characters, an
    upper-case letter, a digit, a special character)."""
    errors = [Problem(IdentityErrorCode[code], text, field)
              for code, text in password_problems(password)]
    if len(password) > MAX_PASSWORD_LENGTH:
        errors.append(Problem(IdentityErrorCode.INVALID, _TOO_LONG, field,
                              max=MAX_PASSWORD_LENGTH))
    return errors


async def store_password(user: User, password: str) -> None:
    """Hash and save a new password (already checked against the policy); every outstanding
    set-password link of the person stops working."""
    user.password_hash = await asyncio.to_thread(hash_secret, password)
    user.password_changed_at = dt.datetime.now(dt.UTC)
    await User.filter(id=user.id).update(
        password_hash=user.password_hash, password_changed_at=user.password_changed_at
    )
    await links.spend_all_links(user.id)


async def change_password(
    principal: Principal, current: str, new: str, *, client_address: str = ""
) -> User:
    """The signed-in person changes their password, giving the current one. Their other
    sessions end; this one goes on. Refused inside direct access. Raises every problem at
    once, or :class:`Throttled` after too many wrong current passwords."""
    if principal.direct_access:
        raise Problem(IdentityErrorCode.NOT_IN_DIRECT_ACCESS, _IN_DIRECT_ACCESS)
    user = await User.get_or_none(id=principal.user_id) if principal.user_id else None
    if user is None or principal.session_id is None:
        raise Problem(IdentityErrorCode.FORBIDDEN, _NO_PERSON)
    field = ["input", "newPassword"]
    errors = password_errors(new, field)
    # A stolen session must not be a way to guess the password: wrong ones count as failed
    # sign-ins of this login.
    await _count_attempt(user.login, client_address)
    current_ok = len(current) <= MAX_PASSWORD_LENGTH and await _verify(user.password_hash,
                                                                        current)
    if not current_ok:
        errors.insert(0, Problem(IdentityErrorCode.WRONG_CURRENT_PASSWORD, _WRONG_CURRENT,
                                 ["input", "currentPassword"]))
    else:
        await throttle.clear(throttle.LOGIN, user.login, user.email)
        await throttle.give_back(throttle.ADDRESS, client_address)
        if not errors and current == new:
            errors.append(Problem(IdentityErrorCode.PASSWORD_UNCHANGED, _UNCHANGED, field))
    raise_all(errors)
    async with in_transaction():
        await store_password(user, new)
        ended = await end_other_sessions(user.id, principal.session_id)
    log.info("user %s changed their password; %d other session(s) ended", user.id, ended)
    return user


# Reset requests being worked on after their answer (see request_password_reset).
_RESETS: set[asyncio.Task[None]] = set()


async def request_password_reset(login: str, *, client_address: str = "", gateway: Any = None
                                 ) -> None:
    """"Oublié?": email the person a reset link with their login id. Answers the same way,
    after the same work, whether or not ``login`` exists: only the per-address limit is
    checked before the answer (:class:`Throttled`, which says nothing about the login); looking
    the login up, its own limit and the email happen after it, in a task of their own."""
    wait = await throttle.hit(throttle.RESET_ADDRESS, client_address)
    if wait is not None:
        raise Throttled(wait, ["input", "login"])
    task = asyncio.create_task(_send_reset_link(login, gateway))
    _RESETS.add(task)
    task.add_done_callback(_RESETS.discard)


async def _send_reset_link(login: str, gateway: Any) -> None:
    try:
        user = await find_user(login)
        if user is None or not user.is_active:
            log.info("password reset asked for an unknown or disabled login id")
            return
        if await throttle.hit(throttle.RESET_LOGIN, str(user.id)) is not None:
            # Quietly: the person already has recent links.
            log.info("password reset for user %s not sent: too many recent requests", user.id)
            return
        await links.send_password_link(user, OneTimeTokenPurpose.RESET_PASSWORD,
                                       gateway=gateway)
        # Queued, not sent yet: the email job logs its delivery (or its failed attempts).
        log.info("password reset link queued for user %s (email job)", user.id)
    except Exception:  # nobody waits for this task: its failure is logged, not raised
        log.exception("a password reset request failed")


async def settle_password_resets() -> None:
    """Wait for the reset requests already answered to be done (tests, shutdown)."""
    while _RESETS:
        await asyncio.gather(*list(_RESETS), return_exceptions=True)


async def reset_password(token: str, new_password: str) -> User:
    """Redeem a set-password link (reset or first password): set the password, spend the link
    and end every session of the person. Raises the link's or the password's problems."""
    row = await links.usable_link(token)
    raise_all(password_errors(new_password, ["input", "newPassword"]))
    user = row.user
    async with in_transaction():
        await links.spend_link(row)
        await store_password(user, new_password)
        ended = await end_other_sessions(user.id, None)
    # Whoever was locked out by failed attempts proved who they are through their mailbox.
    await throttle.clear(throttle.LOGIN, user.login, user.email)
    log.info("user %s set a password through a %s link; %d session(s) ended", user.id,
             row.purpose, ended)
    return user


_ADDRESS = re.compile(r"^[0-9A-Fa-f:.]{1,64}$")
_HASH = re.compile(r"\$argon2[A-Za-z0-9$=,+/._-]*")


class RedactHashes(logging.Filter):
    """Database drivers log every statement with its values at DEBUG, password hashes
    included. gateway.db keeps them at INFO unless LOG_SQL=1; then this still keeps the hashes
    out of the log."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is the logging module's problem, not ours
            return True
        if "$argon2" in message:
            record.msg = _HASH.sub("[hash redacted]", message)
            record.args = ()
        return True


def install_log_redaction() -> None:
    """Put :class:`RedactHashes` on the loggers that print SQL values (idempotent)."""
    for name in ("tortoise.db_client", "aiosqlite", "asyncpg"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactHashes) for f in logger.filters):
            logger.addFilter(RedactHashes())


# Whoever imports the sign-in rules writes hashes: from then on they stay out of the logs.
install_log_redaction()


def client_address(request: Any, trusted_proxies: Sequence[str] = ()) -> str:
    """The caller's address, what the per-address limits count: the TCP peer, unless the peer
    is one of ``trusted_proxies`` (Settings.trusted_proxies, TRUSTED_PROXIES): then the
    nearest address in X-Forwarded-For that is not a trusted proxy itself. X-Forwarded-For
    from anyone else is ignored (a client cannot choose its address)."""
    client = getattr(request, "client", None)
    host = getattr(client, "host", "") or ""
    if not _ADDRESS.match(host):
        return "unknown"
    networks = _networks(tuple(trusted_proxies))
    if not networks or not _within(host, networks):
        return host
    hops = [hop.strip() for header in request.headers.getlist("x-forwarded-for")
            for hop in header.split(",")]
    nearest = host
    for hop in reversed(hops):
        if _within(hop, networks):
            nearest = hop
            continue
        # The first hop that is not a trusted proxy is the client (if it is an address).
        return hop if _parses(hop) else nearest
    return nearest


def caller_address(context: Any) -> str:
    """:func:`client_address` of a GraphQL context's request, with its settings' proxies."""
    settings = getattr(context, "settings", None)
    return client_address(context.request, getattr(settings, "trusted_proxies", ()))


@functools.lru_cache(maxsize=8)
def _networks(trusted: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network,
                                                 ...]:
    return tuple(ipaddress.ip_network(item, strict=False) for item in trusted)


def _parses(address: str) -> bool:
    if not _ADDRESS.match(address):
        return False
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return False
    return True


def _within(address: str, networks: Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network]
            ) -> bool:
    if not _ADDRESS.match(address):
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)
