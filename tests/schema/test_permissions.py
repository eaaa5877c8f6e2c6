"""Deny by default: every root field declares who may call it, and allow() enforces it."""

from __future__ import annotations

from pathlib import Path

import pytest
import strawberry

from gateway.plugins import PluginHost
from schema.build import ROOTS, build_schema
from schema.permissions import ANONYMOUS, Role, allow, declared_roles
from tests.conftest import ROOT, Gateway, make_settings
from tests.schema.conftest import as_role

OUTBOX_JOBS = "{ outboxJobs(first: 1) { totalCount } }"


def undeclared_root_fields(schema: strawberry.Schema) -> list[str]:
    """Query/Mutation/Subscription fields that declare no roles with allow(...)."""
    missing = []
    for root, _ in ROOTS:
        definition = schema.get_type_by_name(root)
        for field in getattr(definition, "fields", []):
            if declared_roles(field) is None:
                missing.append(f"{root}.{schema.config.name_converter.from_field(field)}")
    return missing


def test_every_root_field_declares_who_may_call_it(tmp_path: Path) -> None:
    settings = make_settings("sqlite://:memory:", tmp_path, plugins_file=ROOT / "plugins.toml")
    schema = build_schema(PluginHost(settings))
    assert undeclared_root_fields(schema) == [], (
        "root fields must declare who may call them: add extensions=allow(Role...) "
        "(or allow(ANONYMOUS) for a public field)"
    )
    # The walk saw the roots (it is not vacuously empty).
    assert declared_roles(
        next(f for f in schema.get_type_by_name("Query").fields if f.python_name == "node")
    )


def test_the_walk_names_a_field_that_declares_nothing() -> None:
    @strawberry.type
    class Query:
        @strawberry.field(extensions=allow(ANONYMOUS))
        def public(self) -> int:
            return 1

        @strawberry.field
        def forgotten_field(self) -> int:
            return 2

    @strawberry.type
    class Mutation:
        @strawberry.mutation
        def open_door(self) -> int:
            return 3

    assert undeclared_root_fields(strawberry.Schema(query=Query, mutation=Mutation)) == [
        "Query.forgottenField", "Mutation.openDoor"
    ]


def test_allow_needs_a_role() -> None:
    with pytest.raises(ValueError, match="at least one role"):
        allow()
    assert declared_roles(type("F", (), {"extensions": allow(Role.SYSTEM_ADMIN)})) == (
        "SYSTEM_ADMIN",
    )


async def test_anonymous_caller_is_unauthenticated(probe_gateway: Gateway) -> None:
    result = await probe_gateway.graphql(OUTBOX_JOBS)
    assert result["data"] is None
    [error] = result["errors"]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert error["message"] == "You are not signed in."
    assert error["path"] == ["outboxJobs"]

    french = await probe_gateway.graphql(OUTBOX_JOBS, **{"Accept-Language": "fr-CA,fr;q=0.9"})
    assert french["errors"][0]["message"] == "Vous n'êtes pas connecté."
    assert french["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_wrong_role_is_forbidden_in_the_callers_language(probe_gateway: Gateway) -> None:
    for role in ("RESELLER_ADMIN", "RESELLER_DELEGATE", "COMPANY_ADMIN", "EMPLOYEE",
                 "PROFESSIONAL", "INTEGRATOR"):
        result = await probe_gateway.graphql(OUTBOX_JOBS, **as_role(role, reseller_id=1))
        assert result["data"] is None, role
        [error] = result["errors"]
        assert error["extensions"]["code"] == "FORBIDDEN", role
        assert error["message"] == "You are not allowed to do this."

    french = await probe_gateway.graphql(
        OUTBOX_JOBS, **as_role("RESELLER_ADMIN", reseller_id=1, **{"Accept-Language": "fr"})
    )
    assert french["errors"][0]["message"] == "Vous n'êtes pas autorisé à faire ceci."
    assert french["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_declared_role_is_let_through(probe_gateway: Gateway) -> None:
    result = await probe_gateway.graphql(OUTBOX_JOBS, **as_role("SYSTEM_ADMIN"))
    assert result == {"data": {"outboxJobs": {"totalCount": 0}}}


async def test_anonymous_field_needs_no_caller(probe_gateway: Gateway) -> None:
    assert await probe_gateway.graphql("{ smallAmount }") == {"data": {"smallAmount": "0.10"}}

