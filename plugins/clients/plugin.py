"""The clients plugin (seeds: the Clients page): subscriber accounts from sign-up to purge.

Hook implementations only; the rules are in ``services`` and ``signup``, the GraphQL in
``schema`` and ``signup_schema``. Settings (plugins.toml ``[plugins.clients] config``): see
``config.ClientsConfig``.
"""

from __future__ import annotations

from collections.abc import Awaitable
from pathlib import Path
from typing import TYPE_CHECKING

from gateway.api import Command, Job, ModelApp, PeriodicJob, PluginHost, hookimpl
from plugins.clients.config import PLUGIN_NAME, ClientsConfig

if TYPE_CHECKING:
    from starlette.routing import Route

TEMPLATES = Path(__file__).resolve().parent / "templates"


@hookimpl
def gateway_models(gateway: PluginHost) -> ModelApp:
    return ModelApp(label="clients", models=["plugins.clients.models"],
                    migrations="plugins.clients.migrations")


@hookimpl
def gateway_query(gateway: PluginHost) -> list[type]:
    from plugins.clients.schema import ClientsQuery
    from plugins.clients.signup_schema import SignupQuery

    return [ClientsQuery, SignupQuery]


@hookimpl
def gateway_mutation(gateway: PluginHost) -> list[type]:
    from plugins.clients.schema import ClientsMutation
    from plugins.clients.signup_schema import SignupMutation

    return [ClientsMutation, SignupMutation]


@hookimpl
def gateway_types(gateway: PluginHost) -> list[type]:
    from plugins.clients.schema import AccountExportNode, AccountMessageNode
    from plugins.clients.signup_schema import SignupDraftNode

    return [SignupDraftNode, AccountMessageNode, AccountExportNode]


@hookimpl
def gateway_jobs(gateway: PluginHost) -> list[Job]:
    from plugins.clients.actors import jobs

    return jobs()


@hookimpl
def gateway_periodic_jobs(gateway: PluginHost) -> list[PeriodicJob]:
    from plugins.clients.actors import periodic_jobs

    return periodic_jobs(gateway.config_for(PLUGIN_NAME, ClientsConfig))


@hookimpl
def gateway_routes(gateway: PluginHost) -> list[Route]:
    from plugins.clients.exports import routes

    return routes()


@hookimpl
def gateway_commands(gateway: PluginHost) -> list[Command]:
    from plugins.clients.commands import clients_command

    return [clients_command]


@hookimpl
def gateway_email_templates(gateway: PluginHost) -> Path:
    return TEMPLATES


@hookimpl
def gateway_startup(gateway: PluginHost) -> Awaitable[None]:
    gateway.config_for(PLUGIN_NAME, ClientsConfig)  # a bad value stops start-up, naming the plugin

    async def counts_kept() -> None:
        from plugins.clients import counts

        # SQLite drops a table's triggers when a migration rebuilds it: put the lists'
        # totals' triggers back (and recount) if one is missing.
        await counts.ensure()

    return counts_kept()
