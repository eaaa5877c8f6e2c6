"""A test account importer: one account per line of ``name;email;time zone``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

from gateway.hookimpl import hookimpl
from gateway.identity.models import AccountKind


class LinesImporter:
    kind = AccountKind.COMPANY

    async def read(self, source: bytes) -> AsyncIterator[Mapping[str, Any]]:
        for line in source.decode().splitlines():
            name, email, zone = line.split(";")
            yield {"customer": {"name": name, "email": email, "time_zone": zone},
                   "activation": {"billing_status": "IN_PRODUCTION"}}


@hookimpl
def gateway_provider_names(gateway: Any, kind: str) -> Any:
    return ["lines"] if kind == "account_importer" else None


@hookimpl
def gateway_provider(gateway: Any, kind: str, name: str) -> Any:
    if kind == "account_importer" and name == "lines":
        return LinesImporter()
    return None
