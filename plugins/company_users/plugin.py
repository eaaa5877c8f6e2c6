"""The company users plugin (issue 20): a company's administrator (and the reseller) creates,
edits, suspends and deletes the company's employees and administrators, sends them their
access codes and resets their PIN, within the account's extension range and the reseller's
"Interdire la gestion des utilisateurs" switch.

Hook implementations only; the rules are in ``services``, the GraphQL in ``schema``. No
tables of its own: users are the core's, extensions and restrictions the account settings'.
"""

from __future__ import annotations

from pathlib import Path

from gateway.api import PluginHost, hookimpl

TEMPLATES = Path(__file__).resolve().parent / "templates"


@hookimpl
def gateway_query(gateway: PluginHost) -> type:
    from plugins.company_users.schema import CompanyUsersQuery

    return CompanyUsersQuery


@hookimpl
def gateway_mutation(gateway: PluginHost) -> type:
    from plugins.company_users.schema import CompanyUsersMutation

    return CompanyUsersMutation


@hookimpl
def gateway_email_templates(gateway: PluginHost) -> Path:
    return TEMPLATES
