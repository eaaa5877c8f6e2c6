"""What the jobs area refuses, and says: its error codes and messages."""

from __future__ import annotations

from enum import Enum

from gateway.i18n import Text


class JobErrorCode(Enum):
    NOT_FOUND = "NOT_FOUND"
    NOT_FAILED = "NOT_FAILED"


NOT_FOUND = Text(en="No such job.", fr="Cette tâche n'existe pas.")
NOT_FAILED = Text(
    en="Only a failed job can be re-run.", fr="Seule une tâche en échec peut être relancée."
)
UNAVAILABLE = Text(
    en="Live updates are unavailable right now; try again shortly.",
    fr="Les mises à jour en direct sont indisponibles pour le moment ; réessayez sous peu.",
)
