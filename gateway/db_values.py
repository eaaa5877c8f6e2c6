"""Raw SQL values as the ORM gives them, for the hot paths that read plain rows (a list page,
the session of every signed-in request)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from tortoise import timezone


def iso_moment(value: Any) -> Any:
    """SQLite's text moments parsed by the standard library (C; the ORM's parser is pure
    Python, a tenth of a list page's time); anything else as it is, for the ORM."""
    if isinstance(value, str):
        try:
            return dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    return value


def moment_converter(field: Any) -> Callable[[Any], Any]:
    """A moment column's converter: what the ORM field's ``to_python_value`` gives, its
    commonest case inline (an aware moment with the ORM's time zones on: the moment in the
    ORM's zone; the ORM reads its settings and checks for a naive moment on every value)."""
    to_python_value = field.to_python_value

    def convert(value: Any) -> Any:
        value = iso_moment(value)
        if type(value) is dt.datetime and value.tzinfo is not None and (
                value.utcoffset() is not None and timezone.get_use_tz()):
            return value.astimezone(timezone.get_default_timezone())
        return to_python_value(value)

    return convert
