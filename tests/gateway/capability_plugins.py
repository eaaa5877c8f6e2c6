"""Two more plugins of ``gateway_capabilities`` for tests/gateway/test_hookspecs.py: one that
repeats a capability the hooks test plugin gives, one that fails."""

from __future__ import annotations

from typing import Any

from gateway.hookimpl import hookimpl


class Twin:
    """Gives a capability another plugin gives too, from a plain (not async) function."""

    @staticmethod
    @hookimpl
    def gateway_capabilities(gateway: Any, principal: Any) -> Any:
        return ("VOIP", "FAX")


class Broken:
    """Fails, as a plugin whose service is down might."""

    @staticmethod
    @hookimpl
    async def gateway_capabilities(gateway: Any, principal: Any) -> Any:
        raise RuntimeError("capabilities probe failure")
