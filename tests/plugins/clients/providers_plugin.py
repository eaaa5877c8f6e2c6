"""Test providers the clients plugin looks up: an account importer (one account per line of
``name;email;time zone``) and a priced invoice preview, as a billing plugin would give."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from decimal import Decimal
from typing import Any

from gateway.api import AccountKind, hookimpl


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


async def priced_preview(account: Any) -> list[Any]:
    from plugins.clients.api import InvoiceLine

    return [InvoiceLine(f"Forfait {account.name}", 1, Decimal("19.95"), "CAD"),
            InvoiceLine("Numéro local", 2, Decimal("5.00"), "CAD")]


@hookimpl
def gateway_provider(gateway: Any, kind: str, name: str) -> Any:
    if kind == "account_importer" and name == "lines":
        return LinesImporter()
    if kind == "invoice_preview" and name == "default":
        return priced_preview
    return None
