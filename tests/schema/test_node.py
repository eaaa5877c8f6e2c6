"""node(id:): an object by its global id for whoever may see it, null for anything else."""

from __future__ import annotations

import base64

from strawberry.relay import GlobalID

from gateway.jobs import enqueue
from tests.conftest import Gateway
from tests.schema.conftest import as_role

NODE = """query ($id: ID!) {
  node(id: $id) { __typename id ... on OutboxJob { job status attempts } }
}"""


def gid(type_name: str, node_id: str) -> str:
    return str(GlobalID(type_name=type_name, node_id=node_id))


async def _node(gateway: Gateway, global_id: str, **headers: str) -> dict:  # type: ignore[type-arg]
    return await gateway.graphql(NODE, {"id": global_id}, **headers)


async def test_node_returns_an_object_by_global_id(probe_gateway: Gateway) -> None:
    row = await enqueue("example.anything", {"x": 1})
    assert row is not None
    global_id = gid("OutboxJob", str(row.id))
    result = await _node(probe_gateway, global_id, **as_role("SYSTEM_ADMIN"))
    assert result == {"data": {"node": {
        "__typename": "OutboxJob", "id": global_id, "job": "example.anything",
        "status": "PENDING", "attempts": 0,
    }}}
    # The id a connection hands out is the one node() takes back.
    listed = await probe_gateway.graphql("{ outboxJobs { edges { node { id } } } }",
                                         **as_role("SYSTEM_ADMIN"))
    assert listed["data"]["outboxJobs"]["edges"] == [{"node": {"id": global_id}}]


async def test_node_is_null_for_a_type_the_caller_may_not_see(probe_gateway: Gateway) -> None:
    row = await enqueue("example.anything", {})
    assert row is not None
    for role in ("RESELLER_ADMIN", "COMPANY_ADMIN", "EMPLOYEE", "INTEGRATOR"):
        result = await _node(probe_gateway, gid("OutboxJob", str(row.id)),
                             **as_role(role, reseller_id=1))
        # Not found, not forbidden: nothing tells the caller the object exists.
        assert result == {"data": {"node": None}}, role


async def test_node_is_null_for_malformed_or_unknown_ids(probe_gateway: Gateway) -> None:
    row = await enqueue("example.anything", {})
    assert row is not None
    admin = as_role("SYSTEM_ADMIN")
    not_found = [
        "not-a-global-id",
        "",
        base64.b64encode(b"no colon").decode(),
        gid("NoSuchType", "1"),
        gid("Query", "1"),  # a type, but not a Node
        gid("PageInfo", "1"),
        gid("Node", "1"),  # the interface itself resolves nothing
        gid("OutboxJob", str(row.id + 1000)),  # no such row
        gid("OutboxJob", "abc"),  # not an id of that type
    ]
    for global_id in not_found:
        result = await _node(probe_gateway, global_id, **admin)
        assert result == {"data": {"node": None}}, global_id


async def test_node_refuses_an_anonymous_caller(probe_gateway: Gateway) -> None:
    result = await _node(probe_gateway, gid("OutboxJob", "1"))
    assert result["data"] == {"node": None}
    assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
