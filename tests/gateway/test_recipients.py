"""The core check of typed email addresses (issue 15, item 4): what every feature that emails
addresses a person typed goes through (gateway.api.check_recipients)."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.api import Principal, Problem, Problems, RecipientPolicy, Role, check_recipients
from tests.conftest import Gateway
from tests.support.identity_factory import make_tenant


async def refusals(principal: Principal | None, addresses: Any,
                   **options: Any) -> list[tuple[str, list[Any]]]:
    try:
        await check_recipients(principal, addresses, **options)
    except (Problem, Problems) as exc:
        return [(p.code_name, p.field or []) for p in exc.problems]
    return []


async def test_shapes_counts_and_who_may_write_where(gateway: Gateway) -> None:
    tenant = await make_tenant()
    admin = Principal(role=Role.COMPANY_ADMIN, user_id=tenant.company_admin.id,
                      reseller_id=tenant.reseller.id, account_id=tenant.company.id)
    employee = Principal(role=Role.EMPLOYEE, user_id=tenant.employee.id,
                         reseller_id=tenant.reseller.id, account_id=tenant.company.id)
    token = Principal(role=Role.INTEGRATOR, reseller_id=tenant.reseller.id, api_token_id=7)
    professional = Principal(role=Role.PROFESSIONAL, user_id=tenant.professional.id,
                             reseller_id=tenant.reseller.id,
                             account_id=tenant.professional_account.id)
    assert await check_recipients(admin, [" a@outside.example ", "A@outside.example"]) == [
        "a@outside.example"]
    for principal in (token, professional):
        assert await refusals(principal, ["x@outside.example"]) == []
    assert await refusals(admin, [None, 12, "", "a" * 400 + "@x.example", "<a@b.example>",
                                  "a@b.example; c@d.example", "Name <a@b.example>"]) == [
        ("INVALID", ["input", "to", i]) for i in range(7)]
    assert await refusals(admin, ["a@b.example"] * 3,
                          policy=RecipientPolicy(max_recipients=2)) == [
        ("TOO_MANY", ["input", "to"])]
    assert await refusals(admin, [], field=["input", "cc"]) == [("INVALID", ["input", "cc"])]
    assert await refusals(admin, [], required=False) == []
    assert await refusals(employee, [tenant.employee.email.upper(), "x@outside.example"]) == [
        ("RECIPIENT_NOT_ALLOWED", ["input", "to", 1])]
    assert await refusals(None, ["x@outside.example"]) == [
        ("RECIPIENT_NOT_ALLOWED", ["input", "to"])]


@pytest.mark.parametrize("who", ["user", "account"])
async def test_rate_limits_per_user_and_per_account(gateway: Gateway, who: str) -> None:
    tenant = await make_tenant()
    first = Principal(role=Role.COMPANY_ADMIN, user_id=tenant.company_admin.id,
                      reseller_id=tenant.reseller.id, account_id=tenant.company.id)
    second = Principal(role=Role.COMPANY_ADMIN, user_id=tenant.employee.id,
                       reseller_id=tenant.reseller.id, account_id=tenant.company.id)
    policy = (RecipientPolicy(per_user_per_hour=3, per_account_per_hour=100, name="t1")
              if who == "user" else
              RecipientPolicy(per_user_per_hour=100, per_account_per_hour=3, name="t2"))
    assert await refusals(first, ["a@x.example", "b@x.example"], policy=policy) == []
    assert await refusals(first, ["c@x.example", "d@x.example"], policy=policy) == [
        ("RATE_LIMITED", ["input", "to"])]
    assert await refusals(first, ["c@x.example"], policy=policy) == []  # the refusal cost nothing
    other = await refusals(second, ["e@x.example"], policy=policy)
    assert other == ([] if who == "user" else [("RATE_LIMITED", ["input", "to"])])
