"""The affiliation plugin (seeds: "Affiliation du compte", "Affilier un compte à une
organisation", "Désaffilier un compte"): organisations of accounts with one directory.

Hook implementations only; the rules are in ``services``, ``proposals``, ``directory`` and
``notifications``, the GraphQL in ``schema``. No table of its own: the link is the core
account's ``organization`` (ORGID), extensions are the account settings plugin's.
"""

from __future__ import annotations

from pathlib import Path

from gateway.api import PluginHost, hookimpl

TEMPLATES = Path(__file__).resolve().parent / "templates"


@hookimpl
def gateway_query(gateway: PluginHost) -> type:
    from plugins.affiliation.schema import AffiliationQuery

    return AffiliationQuery


@hookimpl
def gateway_mutation(gateway: PluginHost) -> type:
    from plugins.affiliation.schema import AffiliationMutation

    return AffiliationMutation


@hookimpl
def gateway_email_templates(gateway: PluginHost) -> Path:
    return TEMPLATES


@hookimpl
async def gateway_demo_data(gateway: PluginHost, size: str) -> list[str] | None:
    from plugins.affiliation.demo import demo_data

    return await demo_data(gateway, size)
