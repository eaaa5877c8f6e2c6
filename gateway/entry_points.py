"""Installed packages' entry points, read once per import path.

Reading them scans every installed distribution's metadata (about 20 ms with this
environment's packages); the gateway looks for plugins and transcription providers each time a
host starts. The answer is kept per ``sys.path``, so a package put on the path later (a plugin
installed beside a running test session) is seen."""

from __future__ import annotations

import sys
from functools import lru_cache
from importlib.metadata import EntryPoint, entry_points


def installed(group: str) -> tuple[EntryPoint, ...]:
    """The entry points of ``group`` that the packages on the current path declare."""
    return _read(group, tuple(sys.path))


@lru_cache(maxsize=16)
def _read(group: str, path: tuple[str, ...]) -> tuple[EntryPoint, ...]:
    return tuple(entry_points(group=group))
