"""The job definitions of the running process (set when the job runtime starts)."""

from __future__ import annotations

from gateway.contributions import Job

_definitions: dict[str, Job] = {}


def set_definitions(definitions: dict[str, Job]) -> None:
    _definitions.clear()
    _definitions.update(definitions)


def job_definition(name: str) -> Job | None:
    return _definitions.get(name)


def job_names() -> list[str]:
    return sorted(_definitions)
