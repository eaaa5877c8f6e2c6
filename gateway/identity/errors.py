"""The one ``IdentityError`` type of the identity area (sign-in, passwords, tokens, resellers).

Every identity mutation payload has ``errors: [IdentityError!]!``; two modules building their
own ``error_type("Identity", ...)`` would clash at schema build, so the codes live here and
each part of the area adds the ones it needs.
"""

from __future__ import annotations

from enum import Enum

from schema.errors import error_type


class IdentityErrorCode(Enum):
    # Input in general
    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    NOT_FOUND = "NOT_FOUND"
    FORBIDDEN = "FORBIDDEN"
    # Signing in
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    ACCOUNT_DISABLED = "ACCOUNT_DISABLED"
    TOO_MANY_ATTEMPTS = "TOO_MANY_ATTEMPTS"
    # Passwords (the PASSWORD_* rule codes are those of identity.secrets.PASSWORD_RULES)
    WRONG_CURRENT_PASSWORD = "WRONG_CURRENT_PASSWORD"
    PASSWORD_UNCHANGED = "PASSWORD_UNCHANGED"
    PASSWORD_TOO_SHORT = "PASSWORD_TOO_SHORT"
    PASSWORD_NO_UPPERCASE = "PASSWORD_NO_UPPERCASE"
    PASSWORD_NO_DIGIT = "PASSWORD_NO_DIGIT"
    PASSWORD_NO_SPECIAL = "PASSWORD_NO_SPECIAL"
    NOT_IN_DIRECT_ACCESS = "NOT_IN_DIRECT_ACCESS"
    # Set-password / reset links
    LINK_INVALID = "LINK_INVALID"
    LINK_EXPIRED = "LINK_EXPIRED"
    LINK_USED = "LINK_USED"


IdentityError = error_type("Identity", IdentityErrorCode)
