"""The one core rule for spreadsheet cells from user data (issue 15, item 13)."""

from __future__ import annotations

import pytest

from gateway.api import safe_cell


@pytest.mark.parametrize("text", [
    "=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", "\n=1", " =1", "   =HYPERLINK(\"x\")",
    " \t\r\n@x", "\u00a0=1", "\uff1d1",
])
def test_formula_like_text_becomes_plain_text(text: str) -> None:
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["Boulangerie", " leading space", "a=b", "", 12, 1.5])
def test_other_values_pass_unchanged(value: object) -> None:
    assert safe_cell(value) == value


def test_none_is_an_empty_cell() -> None:
    assert safe_cell(None) == ""
