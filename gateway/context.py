"""The per-request GraphQL context: who is calling, in which language, and the DataLoaders."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.requests import HTTPConnection

from gateway.contributions import Principal
from gateway.i18n import negotiate
from gateway.plugins import PluginHost, await_me_maybe
from gateway.settings import Settings


@dataclass
class Context:
    request: HTTPConnection
    response: Any
    host: PluginHost
    principal: Principal | None
    language: str
    request_id: str | None
    _loaders: dict[str, Any] | None = field(default=None, repr=False)

    @property
    def loaders(self) -> dict[str, Any]:
        """Per-request DataLoaders from every plugin, built on first use."""
        if self._loaders is None:
            loaders: dict[str, Any] = {}
            for plugin, contributed in self.host.each("gateway_loaders", context=self):
                for name, loader in contributed.items():
                    if name in loaders:
                        raise RuntimeError(f"plugin {plugin!r}: DataLoader {name!r} defined twice")
                    loaders[name] = loader
            self._loaders = loaders
        return self._loaders

    @property
    def settings(self) -> Settings:
        return self.host.settings


async def request_principal(request: HTTPConnection) -> Principal | None:
    """Who sent ``request`` (session cookie, bearer token), as the plugins' ``gateway_principal``
    hooks say; for routes beside /graphql (uploads, webhooks)."""
    gateway: PluginHost = request.app.state.host
    principal: Principal | None = await await_me_maybe(
        gateway.pm.hook.gateway_principal(gateway=gateway, request=request))
    return principal


async def build_context(gateway: PluginHost, request: HTTPConnection, response: Any) -> Context:
    principal = await await_me_maybe(
        gateway.pm.hook.gateway_principal(gateway=gateway, request=request)
    )
    language = (
        principal.language if principal else negotiate(request.headers.get("accept-language"))
    )
    return Context(
        request=request,
        response=response,
        host=gateway,
        principal=principal,
        language=language,
        request_id=request.scope.get("state", {}).get("request_id"),
    )
