"""The shapes of what plugins contribute through their hooks."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any


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


@dataclass(frozen=True)
class PeriodicJob:
    """Enqueue ``job`` every ``every_seconds``; several processes enqueue each slot once."""

    name: str
    job: str
    every_seconds: int
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Command:
    """A ``gateway`` CLI sub-command contributed by a plugin."""

    name: str
    help: str
    run: Callable[[Any, argparse.Namespace], Any]
    configure: Callable[[argparse.ArgumentParser], None] | None = None


@dataclass(frozen=True)
class Principal:
    """Who is calling: a role, the tenant (reseller) and account they act in, and who they are."""

    role: str
    user_id: int | None = None
    reseller_id: int | None = None
    account_id: int | None = None
    language: str = "en"
    session_id: str | None = None
    acting_for: Any = None
    extra: dict[str, Any] = field(default_factory=dict)
