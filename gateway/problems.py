"""Domain problems: what a service says when it refuses input, with no GraphQL in it.

A service raises :class:`Problem` (one) or :class:`Problems` (several, e.g. every bad field of
a form at once). The GraphQL layer turns them into a payload's ``errors`` (``schema.mutations``),
the CLI prints them, a job logs them: the rule is written once, wherever it is called from.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from enum import Enum
from typing import Any

from gateway.i18n import Text

Field = Sequence[str | int]


class Problem(Exception):
    """One refused input: a ``code`` (an area's error code, or its name), the message in both
    languages with its ``values``, and the ``field`` at fault (a path such as
    ``["input", "email"]``; None for the whole input).

    ``details`` is what the refusal tells beside its message, by name (e.g. ``retry_after``
    seconds): the GraphQL kit gives each to the payload field of the same name."""

    details: dict[str, Any]

    def __init__(self, code: Enum | str, text: Text, field: Field | None = None,
                 **values: Any) -> None:
        super().__init__(text.en.format(**values) if values else text.en)
        self.code = code
        self.text = text
        self.field = list(field) if field is not None else None
        self.values = values
        self.details = {}

    @property
    def code_name(self) -> str:
        """The code as GraphQL spells it (an enum member's name, or the string itself)."""
        return self.code.name if isinstance(self.code, Enum) else str(self.code)

    def message(self, language: str) -> str:
        return self.text.render(language, **self.values)

    @property
    def problems(self) -> list[Problem]:
        """Like :attr:`Problems.problems`, so callers handle both alike."""
        return [self]


class Problems(Exception):
    """Several refused inputs reported together; nothing was saved."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = list(problems)
        if not self.problems:
            raise ValueError("Problems needs at least one Problem")
        super().__init__("; ".join(str(p) for p in self.problems))

    @property
    def code_name(self) -> str:
        return self.problems[0].code_name


def raise_all(problems: Sequence[Problem]) -> None:
    """Raise what was collected, if anything: one as itself, several together."""
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise Problems(problems)


NOT_FOUND = Text(en="Not found.", fr="Introuvable.")
ACCOUNT_NOT_FOUND = Text(en="No such account.", fr="Ce compte n'existe pas.")
