"""A plugin whose mutations know nothing of auditing: the gateway audits them anyway when they
are made inside direct access (an async one with a payload, a sync one, one that fails)."""

from __future__ import annotations

from enum import Enum
from typing import Any

import strawberry

from gateway.api import (
    SUBSCRIBERS,
    Error,
    Problem,
    Text,
    allow,
    error_type,
    hookimpl,
    mutation,
)

PLUGIN_NAME = "audit_probe"


class ProbeErrorCode(Enum):
    INVALID = "INVALID"


@error_type("Probe", ProbeErrorCode)
class ProbeError(Error):
    """A refusal of the Probe area: what was wrong, where, and why."""


@strawberry.input
class ProbeCredentials:
    new_password: str
    api_token: str | None = None


@strawberry.input
class ProbeInput:
    name: str
    credentials: ProbeCredentials | None = None


@strawberry.type
class ProbePayload:
    name: str | None
    errors: list[ProbeError] = strawberry.field(default_factory=list)


@strawberry.type
class ProbeMutation:
    # Through the mutation kit: the refusal raised below is the payload's errors, audited.
    @mutation(*SUBSCRIBERS, errors=ProbeError)
    async def probe_save(self, info: strawberry.Info, input: ProbeInput) -> ProbePayload:
        if input.name == "bad":
            raise Problem(ProbeErrorCode.INVALID, Text(en="Bad name.", fr="Mauvais nom."),
                          ["input", "name"])
        return ProbePayload(name=input.name)

    @strawberry.mutation(extensions=allow(*SUBSCRIBERS))
    def probe_sync(self, note: str, pin: str) -> bool:
        return bool(note)

    @strawberry.mutation(extensions=allow(*SUBSCRIBERS))
    async def probe_crash(self) -> bool:
        raise RuntimeError("the probe failed on purpose")


@hookimpl
def gateway_mutation(gateway: Any) -> Any:
    return ProbeMutation
