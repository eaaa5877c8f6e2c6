"""The shapes of what plugins contribute through their hooks."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, overload

if TYPE_CHECKING:
    from gateway.settings import Settings

ConfigT = TypeVar("ConfigT")


class Gateway(Protocol):
    """What hooks and commands are given as ``gateway``: the running
    :class:`gateway.plugins.PluginHost`, seen through what a plugin uses of it (declared here so
    that the hookspecs need not import the host that loads them)."""

    @property
    def settings(self) -> Settings: ...

    @overload
    def config_for(self, name: str) -> dict[str, Any]: ...

    @overload
    def config_for(self, name: str, shape: type[ConfigT]) -> ConfigT: ...


@dataclass(frozen=True)
class ModelApp:
    """A Tortoise app: its label, its model modules and its migrations package."""

    label: str
    models: list[str]
    migrations: str | None = None


JobHandler = Callable[[dict[str, Any]], Awaitable[None]]


@dataclass(frozen=True)
class Job:
    """Work done outside the request, fed by the outbox; ``name`` is the Dramatiq actor name.

    The handler receives the payload given to ``enqueue`` plus ``outbox_id``, which it can use as
    an idempotency key towards the outside world (an email's Message-ID, a provider request id).
    """

    name: str
    handler: JobHandler
    max_attempts: int = 5
    backoff_seconds: float = 30.0
    queue: str = "default"
    # What of the payload to keep once the job is done (None: all of it). Jobs carrying
    # secrets or bulky data (an email's body, links, attachments) keep a summary only.
    done_payload: Callable[[dict[str, Any]], dict[str, Any]] | None = None


@dataclass(frozen=True)
class PeriodicJob:
    """Enqueue ``job`` every ``every_seconds``; several processes enqueue each slot once."""

    name: str
    job: str
    every_seconds: int
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Command:
    """A ``gateway`` CLI sub-command contributed by a plugin.

    ``examples`` are shown by ``gateway <name> --help``, as the built-in commands show theirs:
    each a pair (what it does, the arguments after ``gateway``), e.g.
    ``("close the cycle of 19 November", "billing close-cycle --date 2026-11-19")``. Without
    any, the help shows a generic one per action, built from the parser ``configure`` made."""

    name: str
    help: str
    run: Callable[[Any, argparse.Namespace], int | None]  # (the running PluginHost, args)
    configure: Callable[[argparse.ArgumentParser], None] | None = None
    examples: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Principal:
    """Who is calling: the role and person whose view applies, the tenant and account.

    During direct access, ``user_id``/``role`` are the account admin's view and
    ``real_user_id`` is the reseller staff member really there (the breadcrumb back)."""

    role: str
    user_id: int | None = None
    reseller_id: int | None = None
    account_id: int | None = None
    language: str = "en"
    session_id: int | None = None
    real_user_id: int | None = None
    api_token_id: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def direct_access(self) -> bool:
        return self.real_user_id is not None
