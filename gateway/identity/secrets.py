"""Random tokens and their stored form, argon2id for passwords and PINs, the password policy."""

from __future__ import annotations

import hashlib
import os
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from gateway.i18n import Text


def _make_hasher() -> PasswordHasher:
    """argon2id with the library's recommended cost; GATEWAY_ARGON2_PROFILE=test lowers the cost
    (still argon2id) so a test suite that signs in hundreds of people stays fast."""
    if os.environ.get("GATEWAY_ARGON2_PROFILE") == "test":
        return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    return PasswordHasher()


_hasher = _make_hasher()

SESSION_PREFIX = "gws_"
API_TOKEN_PREFIX = "gwt_"
LINK_PREFIX = "gwl_"


def new_token(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """What the database keeps of a bearer token: a leaked table grants nothing."""
    return hashlib.sha256(token.encode()).hexdigest()


def hash_secret(secret: str) -> str:
    return _hasher.hash(secret)


def verify_secret(stored: str | None, candidate: str) -> bool:
    if not stored:
        # Same cost whether or not the user exists, so timing tells nothing.
        _dummy_verify(candidate)
        return False
    try:
        return _hasher.verify(stored, candidate)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _hasher.check_needs_rehash(stored)


_DUMMY_HASH = _hasher.hash("dummy-password-for-timing")


def _dummy_verify(candidate: str) -> None:
    try:
        _hasher.verify(_DUMMY_HASH, candidate)
    except VerificationError:
        pass


PASSWORD_RULES: list[tuple[str, Text]] = [
    ("PASSWORD_TOO_SHORT", Text(en="The password must have at least 8 characters.",
                                fr="Le mot de passe doit comporter au moins 8 caractères.")),
    ("PASSWORD_NO_UPPERCASE", Text(en="The password must contain an upper-case letter.",
                                   fr="Le mot de passe doit contenir une lettre majuscule.")),
    ("PASSWORD_NO_DIGIT", Text(en="The password must contain a digit.",
                               fr="Le mot de passe doit contenir un chiffre.")),
    ("PASSWORD_NO_SPECIAL", Text(en="The password must contain a special character.",
                                 fr="Le mot de passe doit contenir un caractère spécial.")),
]


def password_problems(password: str) -> list[tuple[str, Text]]:
    """Every rule of the seeds' policy that ``password`` breaks (>= 8, upper, digit, special)."""
    broken = {
        "PASSWORD_TOO_SHORT": len(password) < 8,
        "PASSWORD_NO_UPPERCASE": not any(c.isupper() for c in password),
        "PASSWORD_NO_DIGIT": not any(c.isdigit() for c in password),
        "PASSWORD_NO_SPECIAL": not any(not c.isalnum() and not c.isspace() for c in password),
    }
    return [(code, text) for code, text in PASSWORD_RULES if broken[code]]
