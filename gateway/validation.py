"""Checks and messages every area shares, so a form says the same thing everywhere."""

from __future__ import annotations

import re

import phonenumbers

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


def normalize_phone_number(value: str, region: str | None = None) -> str:
    """E.164 form of ``value``; ``region`` (ISO country) reads national formats."""
    if any(char.isalpha() for char in str(value)):
        # phonenumbers reads vanity letters as digits (ABC -> 222): a typo would become
        # someone else's number.
        raise ValueError(f"{value!r} is not a phone number: it contains letters")
    try:
        parsed = phonenumbers.parse(str(value), region)
    except phonenumbers.NumberParseException:
        raise ValueError(f"{value!r} is not a phone number") from None
    if not phonenumbers.is_valid_number(parsed):
        raise ValueError(f"{value!r} is not a valid phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


# The largest primary key an integer column holds on PostgreSQL (IntField): a larger number
# names no row, and handing it to the database driver fails with an overflow.
MAX_DATABASE_ID = 2**31 - 1


def database_id(value: object) -> int | None:
    """``value`` (a node id or a plain CID/UID, as text) as a primary key, or None when it
    cannot be one, which callers answer as "not found": only ASCII digits ("²".isdigit() is
    true, yet int() refuses it) of a number an integer column holds."""
    text = str(value)
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(MAX_DATABASE_ID)):
        return None
    number = int(text)
    return number if number <= MAX_DATABASE_ID else None
