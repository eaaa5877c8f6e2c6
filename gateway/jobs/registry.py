"""The job definitions and the plugin host of the running process (set when its job runtime
starts)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gateway.contributions import Job

if TYPE_CHECKING:
    from gateway.plugins import PluginHost

_definitions: dict[str, Job] = {}
_host: PluginHost | None = None


def set_definitions(definitions: dict[str, Job]) -> None:
    _definitions.clear()
    _definitions.update(definitions)


def job_definition(name: str) -> Job | None:
    return _definitions.get(name)


def job_names() -> list[str]:
    return sorted(_definitions)


def set_host(gateway: PluginHost) -> None:
    """Remember the running host: job handlers only receive their payload, yet need settings."""
    global _host
    _host = gateway


def current_host() -> PluginHost | None:
    """The host whose job runtime started last in this process, or None before any did."""
    return _host
