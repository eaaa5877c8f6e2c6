"""Error codes and shared messages of the identity area, with no GraphQL in them.

Every sign-in, password and token mutation answers with ``IdentityError``; reseller settings
with ``ResellerError``; direct access with ``DirectAccessError``. The error types themselves are
built from these codes by the GraphQL modules (``types``, ``reseller_schema``,
``direct_access_schema``); the services raise ``gateway.problems.Problem`` with them.
"""

from __future__ import annotations

from enum import Enum

from gateway.i18n import Text


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


class ResellerErrorCode(Enum):
    NOT_FOUND = "NOT_FOUND"
    REQUIRED = "REQUIRED"
    TOO_LONG = "TOO_LONG"
    INVALID_LANGUAGE = "INVALID_LANGUAGE"
    INVALID_COUNTRY = "INVALID_COUNTRY"
    INVALID_EMAIL = "INVALID_EMAIL"
    EMAIL_TAKEN = "EMAIL_TAKEN"
    INVALID_PHONE = "INVALID_PHONE"
    INVALID_COLOR = "INVALID_COLOR"
    INVALID_URL = "INVALID_URL"
    INVALID_IMAGE = "INVALID_IMAGE"
    IMAGE_TOO_LARGE = "IMAGE_TOO_LARGE"
    ALREADY_DELEGATE = "ALREADY_DELEGATE"
    DIRECT_ACCESS_FORBIDDEN = "DIRECT_ACCESS_FORBIDDEN"
    CURRENT_PASSWORD_REQUIRED = "CURRENT_PASSWORD_REQUIRED"
    WRONG_CURRENT_PASSWORD = "WRONG_CURRENT_PASSWORD"
    TOO_MANY_ATTEMPTS = "TOO_MANY_ATTEMPTS"


class DirectAccessErrorCode(Enum):
    NOT_FOUND = "NOT_FOUND"
    ACCOUNT_UNSUBSCRIBED = "ACCOUNT_UNSUBSCRIBED"
    NOT_IN_DIRECT_ACCESS = "NOT_IN_DIRECT_ACCESS"
    SESSION_REQUIRED = "SESSION_REQUIRED"


# Not found: the services and the id decoding of the GraphQL modules say it alike.
RESELLER_NOT_FOUND = Text(en="No such reseller.", fr="Ce revendeur n'existe pas.")
USER_NOT_FOUND = Text(en="No such user.", fr="Cet utilisateur n'existe pas.")
API_TOKEN_NOT_FOUND = Text(en="No such API token.", fr="Ce jeton d'API n'existe pas.")
