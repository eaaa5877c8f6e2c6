"""Cells of the CSV and XLSX files the gateway writes from user data (every plugin's exports).

A value a person typed (a caller name, an account name) must stay text in a spreadsheet: one
that a spreadsheet would read as a formula (``=``, ``+``, ``-``, ``@``, also after leading
spaces, tabs or line breaks, and a leading tab or carriage return themselves) is prefixed with
an apostrophe (OWASP "CSV injection"). Numbers, dates and None pass unchanged (None as "").
"""

from __future__ import annotations

from typing import Any

# What a spreadsheet may read as the start of a formula (or a DDE command).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_BLANK = " \t\r\n\x0b\x0c\u00a0\u3000"


def is_formula_like(text: str) -> bool:
    """Whether a spreadsheet could read ``text`` as a formula."""
    if text[:1] in FORMULA_STARTS:
        return True
    stripped = text.lstrip(_BLANK)
    return stripped != text and stripped[:1] in FORMULA_STARTS


def safe_cell(value: Any) -> Any:
    """``value`` as a CSV/XLSX cell: formula-like text prefixed with ``'``; None as ""."""
    if value is None:
        return ""
    if isinstance(value, str) and value and is_formula_like(value):
        return "'" + value
    return value
