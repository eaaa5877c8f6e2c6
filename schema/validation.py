"""Checks and messages every area shares, so a form says the same thing everywhere."""

from __future__ import annotations

import re

from gateway.i18n import Text

MAX_EMAIL = 254
_EMAIL_SHAPE = re.compile(
    r"^[^@\s\"<>(),;:\\\[\]]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"
)

REQUIRED = Text(en="This field is required.", fr="Ce champ est obligatoire.")
TOO_LONG = Text(en="At most {max} characters.", fr="Au plus {max} caractères.")
INVALID_EMAIL = Text(en="This is not a valid email address.",
                     fr="Cette adresse courriel n'est pas valide.")
INVALID_PHONE = Text(en="This is not a valid phone number (e.g. +1 514 555 0123).",
                     fr="Ce numéro de téléphone n'est pas valide (par exemple +1 514 555 0123).")
INVALID_LANGUAGE = Text(en="The language must be fr or en.", fr="La langue doit être fr ou en.")
INVALID_COUNTRY = Text(en="Give the country as a two-letter ISO code, e.g. CA.",
                       fr="Indiquez le pays par son code ISO à deux lettres, par exemple CA.")


def is_email(value: str) -> bool:
    """One address, the shape mail servers accept (no display name, a dotted domain)."""
    return len(value) <= MAX_EMAIL and _EMAIL_SHAPE.match(value) is not None
