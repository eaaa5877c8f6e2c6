"""The gateway core's own contributions, registered like any plugin under the name ``core``."""

from __future__ import annotations

from typing import Any

from gateway.hookimpl import hookimpl


@hookimpl
def gateway_query(gateway: Any) -> Any:
    from gateway.identity.api_tokens import ApiTokensQuery
    from gateway.identity.audit_schema import AuditQuery
    from gateway.identity.auth_schema import AuthQuery
    from gateway.identity.reseller_schema import ResellerQuery
    from gateway.jobs.schema import JobsQuery
    from schema.node import NodeQuery

    return [NodeQuery, JobsQuery, AuthQuery, ApiTokensQuery, ResellerQuery, AuditQuery]


@hookimpl
def gateway_mutation(gateway: Any) -> Any:
    from gateway.identity.api_tokens import ApiTokensMutation
    from gateway.identity.auth_schema import AuthMutation
    from gateway.identity.direct_access_schema import DirectAccessMutation
    from gateway.identity.reseller_schema import ResellerMutation
    from gateway.jobs.schema import JobsMutation

    return [JobsMutation, AuthMutation, ApiTokensMutation, ResellerMutation,
            DirectAccessMutation]


@hookimpl
def gateway_subscription(gateway: Any) -> Any:
    from gateway.jobs.subscriptions import JobsSubscription

    return [JobsSubscription]


@hookimpl
def gateway_types(gateway: Any) -> Any:
    from gateway.identity.audit_schema import AuditEntryNode
    from gateway.identity.types import AccountNode, ResellerNode, UserNode
    from gateway.jobs.schema import OutboxJobNode

    return [OutboxJobNode, ResellerNode, AccountNode, UserNode, AuditEntryNode]


@hookimpl
def gateway_commands(gateway: Any) -> Any:
    from gateway.jobs.commands import jobs_command

    return [jobs_command]


@hookimpl
def gateway_loaders(gateway: Any, context: Any) -> Any:
    from gateway.identity.loaders import loaders

    return loaders(context)


@hookimpl
def gateway_principal(gateway: Any, request: Any) -> Any:
    from gateway.identity.principal import principal_for_request

    return principal_for_request(request)


@hookimpl
def gateway_jobs(gateway: Any) -> Any:
    from gateway.email.service import email_job

    return [email_job()]


@hookimpl
def gateway_routes(gateway: Any) -> Any:
    from starlette.routing import Route

    from gateway.identity.links import LINK_PATH, set_password_page
    from gateway.identity.resellers import branding_routes

    return [Route(LINK_PATH, set_password_page, methods=["GET"]), *branding_routes()]


@hookimpl
def gateway_demo_data(gateway: Any, size: str) -> Any:
    from gateway.identity.demo import load_demo_data

    return load_demo_data(gateway, size)


@hookimpl
def gateway_email_templates(gateway: Any) -> Any:
    from gateway.email.templates import CORE_TEMPLATES

    return CORE_TEMPLATES
