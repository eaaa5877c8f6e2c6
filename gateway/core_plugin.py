"""The gateway core's own contributions, registered like any plugin under the name ``core``."""

from __future__ import annotations

from typing import Any

from gateway.hookimpl import hookimpl


@hookimpl
def gateway_query(gateway: Any) -> Any:
    from gateway.jobs.schema import JobsQuery
    from schema.node import NodeQuery

    return [NodeQuery, JobsQuery]


@hookimpl
def gateway_mutation(gateway: Any) -> Any:
    from gateway.jobs.schema import JobsMutation

    return [JobsMutation]


@hookimpl
def gateway_types(gateway: Any) -> Any:
    from gateway.identity.types import AccountNode, ResellerNode, UserNode
    from gateway.jobs.schema import OutboxJobNode

    return [OutboxJobNode, ResellerNode, AccountNode, UserNode]


@hookimpl
def gateway_commands(gateway: Any) -> Any:
    from gateway.jobs.commands import jobs_command

    return [jobs_command]


@hookimpl
def gateway_principal(gateway: Any, request: Any) -> Any:
    from gateway.identity.principal import principal_for_request

    return principal_for_request(request)
