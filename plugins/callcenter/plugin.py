"""The callcenter plugin (seed: the call-answering portal): call recorder, taken messages,
account information pages, billable calls, billing history and the statistics report.

Hook implementations only; the rules are in ``services``, ``importer``, ``statistics`` and
``reports``, the GraphQL in ``schema`` (Query and Mutation), ``report_schema`` (output types)
and ``filter_schema`` (enums and filters). Settings: ``config.CallCenterConfig``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from starlette.routing import BaseRoute

from gateway.api import Command, Job, ModelApp, PeriodicJob, PluginHost, hookimpl

TEMPLATES = Path(__file__).resolve().parent / "templates"


@hookimpl
def gateway_models(gateway: PluginHost) -> ModelApp:
    return ModelApp(label="callcenter", models=["plugins.callcenter.models"],
                    migrations="plugins.callcenter.migrations")


@hookimpl
def gateway_query(gateway: PluginHost) -> list[type]:
    from plugins.callcenter.schema import CallCenterQuery

    return [CallCenterQuery]


@hookimpl
def gateway_mutation(gateway: PluginHost) -> list[type]:
    from plugins.callcenter.schema import CallCenterMutation

    return [CallCenterMutation]


@hookimpl
def gateway_subscription(gateway: PluginHost) -> list[type]:
    from plugins.callcenter.live_schema import CallCenterSubscription

    return [CallCenterSubscription]


@hookimpl
def gateway_jobs(gateway: PluginHost) -> Iterable[Job]:
    from plugins.callcenter.actors import jobs

    return jobs()


@hookimpl
def gateway_periodic_jobs(gateway: PluginHost) -> Iterable[PeriodicJob]:
    from plugins.callcenter.actors import periodic_jobs

    return periodic_jobs()


@hookimpl
def gateway_routes(gateway: PluginHost) -> Iterable[BaseRoute]:
    from plugins.callcenter.dashboard_page import routes as dashboard_routes
    from plugins.callcenter.exports import routes

    return [*routes(), *dashboard_routes()]


@hookimpl
def gateway_commands(gateway: PluginHost) -> Iterable[Command]:
    from plugins.callcenter.commands import import_command

    return [import_command]


@hookimpl
def gateway_email_templates(gateway: PluginHost) -> Path:
    return TEMPLATES


@hookimpl
def gateway_startup(gateway: PluginHost) -> None:
    from plugins.callcenter import localisation
    from plugins.callcenter.config import PLUGIN_NAME, CallCenterConfig

    # Parsed once: a bad value stops start-up with a PluginError naming the plugin and key.
    gateway.config_for(PLUGIN_NAME, CallCenterConfig)
    localisation.started()  # an account saved with another time zone queues the job


@hookimpl
def gateway_shutdown(gateway: PluginHost) -> None:
    from plugins.callcenter import localisation

    localisation.stopped()


@hookimpl
async def gateway_account_purged(gateway: PluginHost, account_id: int) -> None:
    from plugins.callcenter import services
    from plugins.callcenter.config import PLUGIN_NAME, CallCenterConfig

    # Calls have no database constraint to cascade from (see models.Call.account).
    await services.purge_account(gateway, gateway.config_for(PLUGIN_NAME, CallCenterConfig),
                                 account_id)


@hookimpl
async def gateway_demo_data(gateway: PluginHost, size: str) -> list[str]:
    from plugins.callcenter.demo import demo_data

    return await demo_data(gateway, size)


@hookimpl
async def gateway_billable_usage(gateway: PluginHost, account_ids: list[int], start: dt.date,
                                 end: dt.date) -> list[dict[str, Any]]:
    from plugins.callcenter.billing import billable_usage

    return await billable_usage(account_ids, start, end)


@hookimpl
async def gateway_billable_usage_billed(gateway: PluginHost, account_ids: list[int],
                                        start: dt.date, end: dt.date) -> None:
    from plugins.callcenter.billing import record_billed

    await record_billed(account_ids, start, end)
