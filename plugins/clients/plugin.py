"""The clients plugin (seeds: the Clients page): subscriber accounts from sign-up to purge.

Hook implementations only; the rules are in ``services`` and ``signup``, the GraphQL in
``schema`` and ``signup_schema``. Settings (plugins.toml ``[plugins.clients] config``): see
``config.ClientsConfig``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gateway.contributions import ModelApp
from gateway.hookimpl import hookimpl

TEMPLATES = Path(__file__).resolve().parent / "templates"


@hookimpl
def gateway_models(gateway: Any) -> Any:
    return ModelApp(label="clients", models=["plugins.clients.models"],
                    migrations="plugins.clients.migrations")


@hookimpl
def gateway_query(gateway: Any) -> Any:
    from plugins.clients.schema import ClientsQuery
    from plugins.clients.signup_schema import SignupQuery

    return [ClientsQuery, SignupQuery]


@hookimpl
def gateway_mutation(gateway: Any) -> Any:
    from plugins.clients.schema import ClientsMutation
    from plugins.clients.signup_schema import SignupMutation

    return [ClientsMutation, SignupMutation]


@hookimpl
def gateway_types(gateway: Any) -> Any:
    from plugins.clients.schema import AccountExportNode, AccountMessageNode
    from plugins.clients.signup_schema import SignupDraftNode

    return [SignupDraftNode, AccountMessageNode, AccountExportNode]


@hookimpl
def gateway_loaders(gateway: Any, context: Any) -> Any:
    from plugins.clients.loaders import loaders

    return loaders(context)


@hookimpl
def gateway_jobs(gateway: Any) -> Any:
    from plugins.clients.actors import jobs

    return jobs()


@hookimpl
def gateway_periodic_jobs(gateway: Any) -> Any:
    from plugins.clients.actors import periodic_jobs
    from plugins.clients.config import ClientsConfig

    return periodic_jobs(ClientsConfig.from_host(gateway))


@hookimpl
def gateway_routes(gateway: Any) -> Any:
    from plugins.clients.exports import routes

    return routes()


@hookimpl
def gateway_commands(gateway: Any) -> Any:
    from plugins.clients.commands import clients_command

    return [clients_command]


@hookimpl
def gateway_email_templates(gateway: Any) -> Any:
    return TEMPLATES


@hookimpl
def gateway_startup(gateway: Any) -> Any:
    from plugins.clients.config import ClientsConfig

    ClientsConfig.from_host(gateway)  # a bad value stops start-up, naming the plugin
