"""Identity nodes are scoped: another tenant's object is not found."""

from __future__ import annotations

from strawberry.relay import to_base64

from tests.conftest import Gateway
from tests.support.identity_factory import bearer_for, make_tenant

QUERY = "query($id: ID!) { node(id: $id) { id ... on Account { name can accountNumber orgId } } }"


async def test_account_node_visible_to_its_reseller_only(gateway: Gateway) -> None:
    alpha = await make_tenant("Alpha")
    beta = await make_tenant("Beta")
    account_id = to_base64("Account", alpha.company.id)

    own = await gateway.graphql(QUERY, {"id": account_id}, **await bearer_for(alpha.admin))
    assert own["data"]["node"]["name"] == alpha.company.name
    assert own["data"]["node"]["orgId"] == alpha.company.id

    other = await gateway.graphql(QUERY, {"id": account_id}, **await bearer_for(beta.admin))
    assert other == {"data": {"node": None}}

    employee_elsewhere = await gateway.graphql(
        QUERY, {"id": account_id}, **await bearer_for(alpha.professional)
    )
    assert employee_elsewhere == {"data": {"node": None}}


async def test_anonymous_node_is_refused(gateway: Gateway) -> None:
    alpha = await make_tenant()
    result = await gateway.graphql(QUERY, {"id": to_base64("Account", alpha.company.id)})
    assert result["data"] == {"node": None}
    assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
