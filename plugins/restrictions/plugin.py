"""The restrictions plugin (seeds: Restrictions d'appels): rules allowing or denying calls to a
country, an area code or a destination, at system, reseller and account level, exceptions for
one account, the account's own rules (the subscriber tier, which only narrows what staff
allow), and the one decision every caller of a phone asks (``services.decide``).

Hook implementations only; the rules are in ``services`` and ``compiler``, the GraphQL in
``schema``. Settings: ``config.RestrictionsConfig``.
"""

from __future__ import annotations

from gateway.api import ModelApp, PluginHost, hookimpl


@hookimpl
def gateway_models(gateway: PluginHost) -> ModelApp:
    return ModelApp(label="restrictions", models=["plugins.restrictions.models"],
                    migrations="plugins.restrictions.migrations")


@hookimpl
def gateway_query(gateway: PluginHost) -> type:
    from plugins.restrictions.schema import RestrictionsQuery

    return RestrictionsQuery


@hookimpl
def gateway_mutation(gateway: PluginHost) -> type:
    from plugins.restrictions.schema import RestrictionsMutation

    return RestrictionsMutation


@hookimpl
def gateway_types(gateway: PluginHost) -> list[type]:
    from plugins.restrictions.schema import CallRestrictionExceptionNode, CallRestrictionNode

    return [CallRestrictionNode, CallRestrictionExceptionNode]


@hookimpl
def gateway_startup(gateway: PluginHost) -> None:
    from plugins.restrictions import services
    from plugins.restrictions.config import PLUGIN_NAME, RestrictionsConfig

    # A bad value stops start-up with a PluginError naming the plugin and the key.
    config = gateway.config_for(PLUGIN_NAME, RestrictionsConfig)
    services.CACHE.check_interval = config.check_interval


@hookimpl
async def gateway_account_purged(gateway: PluginHost, account_id: int) -> None:
    from plugins.restrictions import services

    await services.forget_account(account_id)
