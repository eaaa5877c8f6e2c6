"""Languages: every message a person reads exists in French and English."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "en"


@dataclass(frozen=True)
class Text:
    """A message in both languages; ``str.format`` fields are filled at rendering time."""

    en: str
    fr: str

    def render(self, language: str, **values: Any) -> str:
        template = self.fr if language == "fr" else self.en
        return template.format(**values) if values else template


def negotiate(accept_language: str | None, default: str = DEFAULT_LANGUAGE) -> str:
    """Pick fr or en from an Accept-Language header, by quality then order."""
    if not accept_language:
        return default
    best: tuple[float, int, str] | None = None
    for position, part in enumerate(accept_language.split(",")):
        pieces = part.strip().split(";")
        tag = pieces[0].strip().lower()[:2]
        quality = 1.0
        for param in pieces[1:]:
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag in LANGUAGES and quality > 0:
            candidate = (-quality, position, tag)
            if best is None or candidate < best:
                best = candidate
    return best[2] if best else default
