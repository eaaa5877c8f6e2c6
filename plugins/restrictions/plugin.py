"""The restrictions plugin (seeds: Restrictions d'appels): rules allowing or denying calls to a
country, an area code or a destination, at system, reseller and account level, exceptions for
one account, and the one decision every caller of a phone asks (``services.decide``).

Hook implementations only; the rules are in ``services`` and ``compiler``, the GraphQL in
``schema``. Settings (plugins.toml ``[plugins.restrictions] config``): ``check_interval``
seconds between two reads of the rules' version stamp (0, the default: before every decision).
"""

from __future__ import annotations

from typing import Any

from gateway.contributions import ModelApp
from gateway.hookimpl import hookimpl


@hookimpl
def gateway_models(gateway: Any) -> Any:
    return ModelApp(label="restrictions", models=["plugins.restrictions.models"],
                    migrations="plugins.restrictions.migrations")


@hookimpl
def gateway_query(gateway: Any) -> Any:
    from plugins.restrictions.schema import RestrictionsQuery

    return RestrictionsQuery


@hookimpl
def gateway_mutation(gateway: Any) -> Any:
    from plugins.restrictions.schema import RestrictionsMutation

    return RestrictionsMutation


@hookimpl
def gateway_types(gateway: Any) -> Any:
    from plugins.restrictions.schema import CallRestrictionExceptionNode, CallRestrictionNode

    return [CallRestrictionNode, CallRestrictionExceptionNode]


@hookimpl
def gateway_startup(gateway: Any) -> Any:
    from plugins.restrictions import services

    interval = gateway.config_for("restrictions").get("check_interval", 0)
    if not isinstance(interval, int | float) or isinstance(interval, bool) or interval < 0:
        raise ValueError(f"plugin 'restrictions': check_interval must be a number of seconds "
                         f">= 0, not {interval!r}")
    services.CACHE.check_interval = float(interval)


@hookimpl
def gateway_account_purged(gateway: Any, account_id: int) -> Any:
    from plugins.restrictions import services

    return services.forget_account(account_id)
