"""The Twilio VoIP plugin's hook implementations (issue #18): a subscriber account's own
Twilio account, its virtual numbers and operators, browser calls, contacts and the call log.
The rules are in the domain modules, the GraphQL in ``schema`` (imported inside the hooks that
return it), the webhooks and downloads in their route modules."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from gateway.api import Account, Context, Job, ModelApp, PluginHost, Principal, hookimpl

from .config import PLUGIN_NAME, TwilioVoipConfig

if TYPE_CHECKING:
    from starlette.routing import BaseRoute
    from strawberry.dataloader import DataLoader

PACKAGE = __name__.rpartition(".")[0]


@hookimpl
def gateway_models(gateway: PluginHost) -> ModelApp:
    return ModelApp(label=PLUGIN_NAME, models=[f"{PACKAGE}.models"],
                    migrations=f"{PACKAGE}.migrations")


@hookimpl
def gateway_startup(gateway: PluginHost) -> None:
    gateway.config_for(PLUGIN_NAME, TwilioVoipConfig)


@hookimpl
def gateway_query(gateway: PluginHost) -> type:
    from .schema import VoipQuery

    return VoipQuery


@hookimpl
def gateway_mutation(gateway: PluginHost) -> type:
    from .schema import VoipMutation

    return VoipMutation


@hookimpl
def gateway_subscription(gateway: PluginHost) -> type:
    from .schema import VoipSubscription

    return VoipSubscription


@hookimpl
def gateway_types(gateway: PluginHost) -> list[type]:
    from .schema import VoipContactNode, VoipOperatorNode

    return [VoipContactNode, VoipOperatorNode]


@hookimpl
def gateway_loaders(gateway: PluginHost, context: Context) -> Mapping[str, DataLoader[Any, Any]]:
    from .schema import loaders

    return loaders(context)


@hookimpl
def gateway_routes(gateway: PluginHost) -> list[BaseRoute]:
    from . import downloads, webhooks

    return [*webhooks.routes(), *downloads.routes()]


@hookimpl
def gateway_jobs(gateway: PluginHost) -> list[Job]:
    from . import calls, connection

    config = gateway.config_for(PLUGIN_NAME, TwilioVoipConfig)
    return [
        Job(name=calls.PRICE_JOB, handler=calls.price_job(gateway),
            max_attempts=config.price_attempts, backoff_seconds=config.price_retry_seconds),
        Job(name=calls.RECORDING_JOB, handler=calls.recording_job(gateway), max_attempts=8,
            backoff_seconds=30.0),
        Job(name=connection.CLEANUP_JOB, handler=connection.cleanup_job(gateway),
            max_attempts=8, backoff_seconds=60.0, done_payload=connection.cleanup_summary),
    ]


@hookimpl
async def gateway_billable_usage(gateway: PluginHost, account_ids: list[int], start: dt.date,
                                 end: dt.date) -> list[dict[str, Any]]:
    from .calls import billable_usage

    return await billable_usage(account_ids, start, end)


@hookimpl
async def gateway_account_purged(gateway: PluginHost, account_id: int) -> None:
    """The rows go with the account (foreign keys cascade); its recordings' files too."""
    import shutil

    from .calls import recordings_root

    folder = recordings_root(gateway) / str(int(account_id))
    if folder.is_dir():
        from gateway.api import in_thread

        await in_thread(shutil.rmtree, folder, True)


@hookimpl
async def gateway_capabilities(gateway: PluginHost, principal: Principal) -> list[str]:
    """"VOIP" for an operator of a number of the own account's connected Twilio account."""
    from .softphone import capabilities

    return await capabilities(principal)


@hookimpl
async def gateway_account_unsubscribed(gateway: PluginHost, account: Account) -> None:
    """An unsubscribed account's Twilio connection ends as "Déconnecter" ends it: webhooks
    refused, numbers unlinked, credentials forgotten, the call log kept. Reactivating the
    account does not reconnect it (no ``gateway_account_reactivated``): its administrator
    connects Twilio again, with the credentials, when wanted."""
    from .connection import disconnect_account

    await disconnect_account(account.id)
