"""gateway.db_values: a raw moment converted as the ORM field's ``to_python_value`` does, for
every shape a driver hands back (SQLite's text, PostgreSQL's aware datetimes, naive ones)."""

from __future__ import annotations

import datetime as dt

import pytest
from tortoise import fields

from gateway.db_values import moment_converter

FIELD = fields.DatetimeField(null=True)

VALUES = [
    "2026-12-08 02:37:02.796150+00:00",  # SQLite, as Tortoise writes it
    "2026-12-08 02:37:02+00:00",
    "2026-12-08T02:37:02-05:00",  # another offset: the same moment in UTC
    "2026-12-08 02:37:02",  # naive text: made aware in the ORM's zone
    "2026-12-08",  # a date alone
    dt.datetime(2026, 12, 8, 2, 37, 2, 5, tzinfo=dt.UTC),  # PostgreSQL
    dt.datetime(2026, 12, 8, 2, 37, 2, tzinfo=dt.timezone(dt.timedelta(hours=9, minutes=30))),
    dt.datetime(2026, 12, 8, 2, 37, 2),  # naive
]


@pytest.mark.parametrize("value", VALUES, ids=str)
def test_a_moment_is_what_the_orm_gives(value: object) -> None:
    converted, expected = moment_converter(FIELD)(value), FIELD.to_python_value(value)
    assert converted == expected
    assert type(converted) is type(expected)
    assert converted.utcoffset() == expected.utcoffset()
    assert str(converted.tzinfo) == str(expected.tzinfo)


def test_text_that_is_no_moment_fails_as_the_orm_does() -> None:
    with pytest.raises(Exception) as ours:
        moment_converter(FIELD)("not a moment")
    with pytest.raises(Exception) as theirs:
        FIELD.to_python_value("not a moment")
    assert type(ours.value) is type(theirs.value)
