"""The callcenter plugin (seed: the call-answering portal): call recorder, taken messages,
account information pages, billable calls, billing history and the statistics report.

Hook implementations only; the rules are in ``services``, ``importer``, ``statistics`` and
``reports``, the GraphQL in ``schema``. Settings: ``config.CallCenterConfig``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gateway.contributions import ModelApp
from gateway.hookimpl import hookimpl

TEMPLATES = Path(__file__).resolve().parent / "templates"


@hookimpl
def gateway_models(gateway: Any) -> Any:
    return ModelApp(label="callcenter", models=["plugins.callcenter.models"],
                    migrations="plugins.callcenter.migrations")


@hookimpl
def gateway_query(gateway: Any) -> Any:
    from plugins.callcenter.schema import CallCenterQuery

    return [CallCenterQuery]


@hookimpl
def gateway_mutation(gateway: Any) -> Any:
    from plugins.callcenter.schema import CallCenterMutation

    return [CallCenterMutation]


@hookimpl
def gateway_jobs(gateway: Any) -> Any:
    from plugins.callcenter.actors import jobs

    return jobs()


@hookimpl
def gateway_periodic_jobs(gateway: Any) -> Any:
    from plugins.callcenter.actors import periodic_jobs

    return periodic_jobs()


@hookimpl
def gateway_routes(gateway: Any) -> Any:
    from plugins.callcenter.exports import routes

    return routes()


@hookimpl
def gateway_commands(gateway: Any) -> Any:
    from plugins.callcenter.importer import import_command

    return [import_command]


@hookimpl
def gateway_email_templates(gateway: Any) -> Any:
    return TEMPLATES


@hookimpl
def gateway_startup(gateway: Any) -> Any:
    from plugins.callcenter import localisation
    from plugins.callcenter.config import CallCenterConfig

    CallCenterConfig.from_host(gateway)  # a bad value stops start-up, naming the plugin
    localisation.started()  # an account saved with another time zone queues the job


@hookimpl
def gateway_shutdown(gateway: Any) -> Any:
    from plugins.callcenter import localisation

    localisation.stopped()


@hookimpl
async def gateway_account_purged(gateway: Any, account_id: int) -> Any:
    from plugins.callcenter import services
    from plugins.callcenter.config import CallCenterConfig

    # Calls have no database constraint to cascade from (see models.Call.account).
    await services.purge_account(gateway, CallCenterConfig.from_host(gateway), account_id)


@hookimpl
async def gateway_demo_data(gateway: Any, size: str) -> Any:
    from plugins.callcenter.demo import demo_data

    return await demo_data(gateway, size)
