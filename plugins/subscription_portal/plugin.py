"""The public subscription portal (issue 20): each reseller's secure subscription links and
the server-rendered sign-up pages they open. Hook implementations only; the links are in
``links``, the pages in ``pages``, the wizard's steps in ``wizard``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from gateway.api import Job, ModelApp, PeriodicJob, PluginHost, hookimpl
from plugins.subscription_portal.config import PLUGIN_NAME, PortalConfig

if TYPE_CHECKING:
    from starlette.routing import BaseRoute

TEMPLATES = Path(__file__).resolve().parent / "templates"


@hookimpl
def gateway_models(gateway: PluginHost) -> ModelApp:
    return ModelApp(label="subscription_portal", models=["plugins.subscription_portal.models"],
                    migrations="plugins.subscription_portal.migrations")


@hookimpl
def gateway_query(gateway: PluginHost) -> list[type]:
    from plugins.subscription_portal.schema import PortalQuery

    return [PortalQuery]


@hookimpl
def gateway_mutation(gateway: PluginHost) -> list[type]:
    from plugins.subscription_portal.schema import PortalMutation

    return [PortalMutation]


@hookimpl
def gateway_types(gateway: PluginHost) -> list[type]:
    from plugins.subscription_portal.schema import SubscriptionLinkNode

    return [SubscriptionLinkNode]


@hookimpl
def gateway_routes(gateway: PluginHost) -> list[BaseRoute]:
    from plugins.subscription_portal.pages import routes

    return routes()


@hookimpl
def gateway_jobs(gateway: PluginHost) -> list[Job]:
    from plugins.subscription_portal.wizard import CLEANUP_JOB, cleanup_job

    return [Job(name=CLEANUP_JOB, handler=cleanup_job, max_attempts=3,
                backoff_seconds=60.0)]


@hookimpl
def gateway_periodic_jobs(gateway: PluginHost) -> list[PeriodicJob]:
    from plugins.subscription_portal.wizard import CLEANUP_JOB

    config = gateway.config_for(PLUGIN_NAME, PortalConfig)
    return [PeriodicJob(name=CLEANUP_JOB, job=CLEANUP_JOB,
                        every_seconds=config.cleanup_every_seconds)]


@hookimpl
def gateway_email_templates(gateway: PluginHost) -> Path:
    return TEMPLATES


@hookimpl
def gateway_startup(gateway: PluginHost) -> None:
    gateway.config_for(PLUGIN_NAME, PortalConfig)  # a bad value stops start-up
