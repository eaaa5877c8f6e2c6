"""The provisioning plugin ("ravitaillement", issue 20): what a PBX or carrier must be told
when an account is created, unsubscribed, reactivated or purged and when a number is assigned
or released, delivered by jobs, in order, retried, to the built-in recorder and to every
plugin implementing ``gateway_provision``; shown on the account.

Hook implementations only; the rules are in ``services``, the GraphQL in ``schema``.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from gateway.api import Account, Job, ModelApp, PluginHost, hookimpl
from plugins.provisioning.api import OperationKind


@hookimpl
def gateway_models(gateway: PluginHost) -> ModelApp:
    return ModelApp(label="provisioning", models=["plugins.provisioning.models"],
                    migrations="plugins.provisioning.migrations")


@hookimpl
def gateway_query(gateway: PluginHost) -> type:
    from plugins.provisioning.schema import ProvisioningQuery

    return ProvisioningQuery


@hookimpl
def gateway_mutation(gateway: PluginHost) -> type:
    from plugins.provisioning.schema import ProvisioningMutation

    return ProvisioningMutation


@hookimpl
def gateway_jobs(gateway: PluginHost) -> Job:
    from plugins.provisioning import services
    from plugins.provisioning.config import config_of

    config = config_of(gateway)

    async def deliver(payload: dict[str, Any]) -> None:
        await services.run_job(gateway, payload)

    return Job(name=services.JOB, handler=deliver, max_attempts=config.max_attempts,
               backoff_seconds=config.backoff_seconds)


@hookimpl
def gateway_startup(gateway: PluginHost) -> None:
    from plugins.provisioning.config import config_of

    config_of(gateway)  # parsed once: a bad key or value stops start-up


@hookimpl
def gateway_account_created(gateway: PluginHost, account: Account) -> Awaitable[Any]:
    from plugins.provisioning import services

    return services.account_changed(OperationKind.ACCOUNT_CREATED, account)


@hookimpl
def gateway_account_unsubscribed(gateway: PluginHost, account: Account) -> Awaitable[Any]:
    from plugins.provisioning import services

    return services.account_changed(OperationKind.ACCOUNT_UNSUBSCRIBED, account)


@hookimpl
def gateway_account_reactivated(gateway: PluginHost, account: Account) -> Awaitable[Any]:
    from plugins.provisioning import services

    return services.account_changed(OperationKind.ACCOUNT_REACTIVATED, account)


@hookimpl
def gateway_phone_number_assigned(gateway: PluginHost, account: Account, number: str,
                                  user_id: int | None) -> Awaitable[Any]:
    from plugins.provisioning import services

    return services.number_changed(OperationKind.NUMBER_ASSIGNED, account, number, user_id)


@hookimpl
def gateway_phone_number_released(gateway: PluginHost, account: Account,
                                  number: str) -> Awaitable[Any]:
    from plugins.provisioning import services

    return services.number_changed(OperationKind.NUMBER_RELEASED, account, number)


@hookimpl
def gateway_account_purged(gateway: PluginHost, account_id: int) -> Awaitable[Any]:
    from plugins.provisioning import services

    return services.account_purged(account_id)
