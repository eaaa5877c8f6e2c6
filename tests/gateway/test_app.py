from __future__ import annotations

from tests.conftest import Gateway


async def test_healthz_and_readyz(gateway: Gateway) -> None:
    assert (await gateway.client.get("/healthz")).json() == {"status": "ok"}
    ready = await gateway.client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "broker": "ok"}


async def test_graphql_typename(gateway: Gateway) -> None:
    result = await gateway.graphql("{ __typename }")
    assert result == {"data": {"__typename": "Query"}}
