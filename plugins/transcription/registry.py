"""Which transcription providers are installed, and which the system admin offers to users.

Installed: the ones this plugin ships (each when configured), the ones installed packages
declare in the entry-point group ``gateway.transcription_providers``, and the ones other plugins
contribute through the ``gateway_provider`` / ``gateway_provider_names`` hooks. Offered: the
system admin's approved list (``approveTranscriptionProviders``; until a first decision, the
``approved`` setting of plugins.toml) among the installed ones, plus NONE. Each process keeps
the approved list in memory (the provider hooks are synchronous), re-read after a change here
and every ``approvals_refresh_seconds`` elsewhere.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from gateway.api import (
    PluginHost,
    TranscriptionProvider,
    load_entry_point_providers,
)
from plugins.clients import api as clients
from plugins.transcription.config import PLUGIN_NAME, TranscriptionConfig, config_of
from plugins.transcription.models import ApprovedProvider
from plugins.transcription.providers import google, offline
from plugins.transcription.providers.google import GoogleSpeechProvider
from plugins.transcription.providers.mutare import MutareProvider
from plugins.transcription.providers.myscribbit import MyScribbitProvider
from plugins.transcription.providers.offline import OfflineProvider

log = logging.getLogger("gateway.transcription")

KIND = "transcription"
NONE = "NONE"
DECIDED = NONE  # the row that records a decision (NONE is always offered)
BUILT_IN = "built in"
PACKAGE = "package"


@dataclass(frozen=True)
class Installed:
    provider: TranscriptionProvider
    source: str  # "built in", "package" (entry point) or the contributing plugin's name


def builtin_providers(host: PluginHost, config: TranscriptionConfig,
                      test_mode: Callable[[int], Awaitable[bool]] = clients.is_test_mode,
                      ) -> dict[str, TranscriptionProvider]:
    """The providers this plugin ships that are configured (and whose library is installed)."""
    found: dict[str, TranscriptionProvider] = {}
    if config.mutare_endpoint and config.mutare_key:
        found[MutareProvider.name] = MutareProvider(config.mutare_endpoint, config.mutare_key,
                                                    config.timeout_seconds)
    if google.installed() and (config.google_endpoint or config.google_api_key
                               or config.google_credentials_file):
        found[GoogleSpeechProvider.name] = GoogleSpeechProvider(
            config.google_endpoint, config.google_api_key, config.google_credentials_file,
            config.timeout_seconds)
    if config.myscribbit:
        found[MyScribbitProvider.name] = MyScribbitProvider(host, test_mode)
    if config.offline and offline.installed():
        found[OfflineProvider.name] = OfflineProvider()
    return found


class Registry:
    """The providers of one running gateway (see the module's docstring)."""

    def __init__(self, host: PluginHost) -> None:
        self.host = host
        self.config = config_of(host)
        self.own = builtin_providers(host, self.config)
        self.packages, self.package_errors = load_entry_point_providers()
        for name in set(self.packages) & set(self.own):
            log.warning("transcription provider %s of a package is shadowed by the built-in "
                        "one", name)
        self.approved: frozenset[str] | None = None  # None: no decision read yet

    # --- installed --------------------------------------------------------------------------

    def _from_plugins(self) -> dict[str, Installed]:
        """Providers other plugins name through the hooks (this plugin's own hooks left out)."""
        found: dict[str, Installed] = {}
        hook = self.host.pm.hook
        for impl in hook.gateway_provider_names.get_hookimpls():
            if impl.plugin_name == PLUGIN_NAME:
                continue
            args = {"gateway": self.host, "kind": KIND}
            names: Any = impl.function(**{k: args[k] for k in impl.argnames})
            for name in [names] if isinstance(names, str) else list(names or []):
                provider = hook.gateway_provider(gateway=self.host, kind=KIND, name=name)
                if isinstance(provider, TranscriptionProvider):
                    found[name] = Installed(provider, impl.plugin_name)
        return found

    def installed(self) -> dict[str, Installed]:
        """Every installed provider by name: built in, then packages, then other plugins'."""
        found = self._from_plugins()
        found.update({name: Installed(p, PACKAGE) for name, p in self.packages.items()})
        found.update({name: Installed(p, BUILT_IN) for name, p in self.own.items()})
        return found

    def spelled(self, name: str) -> str | None:
        """The installed provider's own spelling of ``name`` (names match case-insensitively)."""
        lowered = {n.lower(): n for n in self.installed()}
        return lowered.get(name.strip().lower())

    # --- approved ---------------------------------------------------------------------------

    def approved_names(self) -> frozenset[str]:
        """Lower-cased names the system admin approved (or the setting, before any decision)."""
        if self.approved is not None:
            return self.approved
        return frozenset(n.lower() for n in self.config.approved)

    def offered(self) -> list[str]:
        """Installed and approved providers' names (without NONE), sorted."""
        approved = self.approved_names()
        return sorted((n for n in self.installed() if n.lower() in approved), key=str.lower)

    def provider(self, name: str) -> TranscriptionProvider | None:
        """An installed provider by name, approved or not (a job started before a change)."""
        spelled = self.spelled(name)
        return self.installed()[spelled].provider if spelled else None

    async def refresh(self) -> None:
        """Re-read the system admin's decision from the database."""
        names = await ApprovedProvider.all().values_list("name", flat=True)
        if names:
            self.approved = frozenset(str(n).lower() for n in names if n != DECIDED)
        else:
            self.approved = None


_registries: weakref.WeakKeyDictionary[PluginHost, Registry] = weakref.WeakKeyDictionary()


def registry_of(host: PluginHost) -> Registry:
    """The registry of this gateway, built on first use."""
    registry = _registries.get(host)
    if registry is None:
        registry = _registries[host] = Registry(host)
    return registry
