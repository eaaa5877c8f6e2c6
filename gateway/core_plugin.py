"""The gateway core's own contributions, registered like any plugin under the name ``core``."""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gateway.hookimpl import hookimpl

if TYPE_CHECKING:
    from starlette.requests import HTTPConnection
    from starlette.routing import BaseRoute
    from strawberry.dataloader import DataLoader

    from gateway.context import Context
    from gateway.contributions import Command, Job, Principal
    from gateway.plugins import PluginHost


@hookimpl
def gateway_query(gateway: PluginHost) -> list[type]:
    from gateway.identity.api_tokens_schema import ApiTokensQuery
    from gateway.identity.audit_schema import AuditQuery
    from gateway.identity.auth_schema import AuthQuery
    from gateway.identity.reseller_schema import ResellerQuery
    from gateway.jobs.schema import JobsQuery
    from schema.node import NodeQuery

    return [NodeQuery, JobsQuery, AuthQuery, ApiTokensQuery, ResellerQuery, AuditQuery]


@hookimpl
def gateway_mutation(gateway: PluginHost) -> list[type]:
    from gateway.identity.api_tokens_schema import ApiTokensMutation
    from gateway.identity.auth_schema import AuthMutation
    from gateway.identity.direct_access_schema import DirectAccessMutation
    from gateway.identity.reseller_schema import ResellerMutation
    from gateway.jobs.schema import JobsMutation

    return [JobsMutation, AuthMutation, ApiTokensMutation, ResellerMutation,
            DirectAccessMutation]


@hookimpl
def gateway_subscription(gateway: PluginHost) -> list[type]:
    from gateway.jobs.subscriptions_schema import JobsSubscription

    return [JobsSubscription]


@hookimpl
def gateway_types(gateway: PluginHost) -> list[type]:
    from gateway.identity.audit_schema import AuditEntryNode
    from gateway.identity.types import AccountNode, ResellerNode, UserNode
    from gateway.jobs.schema import OutboxJobNode

    return [OutboxJobNode, ResellerNode, AccountNode, UserNode, AuditEntryNode]


@hookimpl
def gateway_commands(gateway: PluginHost) -> list[Command]:
    from gateway.jobs.commands import jobs_command

    return [jobs_command]


@hookimpl
def gateway_loaders(
    gateway: PluginHost, context: Context
) -> Mapping[str, DataLoader[Any, Any]]:
    from gateway.identity.loaders import loaders

    return loaders(context)


@hookimpl
def gateway_principal(
    gateway: PluginHost, request: HTTPConnection
) -> Awaitable[Principal | None]:
    from gateway.identity.principal import principal_for_request

    return principal_for_request(request)


@hookimpl
def gateway_jobs(gateway: PluginHost) -> list[Job]:
    from gateway.email.service import email_job

    return [email_job()]


@hookimpl
def gateway_routes(gateway: PluginHost) -> list[BaseRoute]:
    from starlette.routing import Route

    from gateway.identity.branding import branding_routes
    from gateway.identity.links import LINK_PATH, set_password_page

    return [Route(LINK_PATH, set_password_page, methods=["GET"]), *branding_routes()]


@hookimpl
def gateway_demo_data(gateway: PluginHost, size: str) -> Awaitable[list[str]]:
    from gateway.identity.demo import load_demo_data

    return load_demo_data(gateway, size)


@hookimpl
def gateway_email_templates(gateway: PluginHost) -> Path:
    from gateway.email.templates import CORE_TEMPLATES

    return CORE_TEMPLATES
