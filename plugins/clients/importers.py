"""Account importers: an extension point, not a feature (seeds, "Importer des comptes
d'entreprise": "Cette fonction n'est pas offerte pour le moment").

An importer plugin reads accounts from another system (Google Workspace, Microsoft 365,
BroadSoft...) and answers two hooks that already exist, so no hookspec is added::

    @hookimpl
    def gateway_provider_names(gateway, kind):
        return ["broadsoft"] if kind == "account_importer" else None

    @hookimpl
    def gateway_provider(gateway, kind, name):
        if kind == "account_importer" and name == "broadsoft":
            return BroadSoftImporter()

The importer object has ``kind`` (``AccountKind``) and an async ``read(source: bytes)`` that
yields one dict per account in the shape of the sign-up wizard's steps (``customer``,
``subscription``, ``numbers``, ``billing``, ``administrator``; Python field names, e.g.
``{"customer": {"name": ..., "email": ..., "time_zone": ...}}``).

:func:`import_as_drafts` turns what an importer reads into sign-up drafts of the caller's
reseller, cleaned by the same rules as the wizard: nothing becomes an account until the
reseller reviews a draft and completes it (``completeSignup``), so an import can neither skip
the billing-status choice nor send anyone access codes by surprise.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from gateway.api import AccountKind, PluginHost, Principal, Problem, Problems
from plugins.clients.config import ClientsConfig
from plugins.clients.models import SignupDraft
from plugins.clients.signup import create_draft

KIND = "account_importer"


class AccountImporter(Protocol):
    kind: AccountKind

    def read(self, source: bytes) -> AsyncIterator[Mapping[str, Any]]: ...


def importer_names(host: PluginHost) -> list[str]:
    """Names of the importers the enabled plugins offer."""
    names: list[str] = []
    for found in host.collect("gateway_provider_names", kind=KIND):
        names += [found] if isinstance(found, str) else list(found)
    return sorted(set(names))


def find_importer(host: PluginHost, name: str) -> AccountImporter | None:
    importer: AccountImporter | None = host.pm.hook.gateway_provider(gateway=host, kind=KIND,
                                                                     name=name)
    return importer


@dataclass
class ImportResult:
    drafts: list[SignupDraft] = field(default_factory=list)
    # Record position -> what was wrong with it (those records were skipped).
    rejected: dict[int, list[Problem]] = field(default_factory=dict)


async def import_as_drafts(principal: Principal, name: str, source: bytes, *, host: PluginHost,
                           config: ClientsConfig) -> ImportResult:
    """Read ``source`` with the importer called ``name``; every record becomes a draft."""
    importer = find_importer(host, name)
    if importer is None:
        raise LookupError(f"no account importer called {name!r}")
    steps_allowed = ("customer", "subscription", "numbers", "billing", "administrator")
    result = ImportResult()
    position = 0
    async for record in importer.read(source):
        steps = {k: v for k, v in record.items() if k in steps_allowed}
        try:
            result.drafts.append(await create_draft(principal, importer.kind, steps, config))
        except (Problem, Problems) as refused:
            result.rejected[position] = refused.problems
        position += 1
    return result
