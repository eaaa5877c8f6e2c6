"""The mutation kit: a problem raised below a mutation becomes its payload's ``errors``, in the
caller's language, with the code of the mutation's area; and every payload of the composed
schema can be built that way (a refusal never answers null for a non-null field)."""

from __future__ import annotations

import dataclasses
from enum import Enum
from pathlib import Path
from typing import Any

import pytest
import strawberry
from strawberry.types.base import get_object_definition

from gateway.i18n import Text
from gateway.plugins import PluginHost
from gateway.problems import Problem, Problems
from schema.build import build_schema
from schema.errors import Error, error_type
from schema.mutations import ProblemsToPayload, mutation
from tests.conftest import make_settings


class KitCode(Enum):
    NOT_FOUND = "NOT_FOUND"
    TOO_LONG = "TOO_LONG"


@error_type("Kit", KitCode)
class KitError(Error):
    """A refusal of the Kit area: what was wrong, where, and why."""


TOO_LONG = Text(en="At most {max} characters.", fr="Au plus {max} caractères.")
MISSING = Text(en="No such thing.", fr="Introuvable.")


@strawberry.type
class KitPayload:
    name: str | None
    retry_after: int | None = None
    warnings: list[str] = strawberry.field(default_factory=list)
    errors: list[KitError] = strawberry.field(default_factory=list)


def _helper_that_refuses(name: str) -> None:
    """A service deep below the resolver."""
    if name == "missing":
        raise Problem("NOT_FOUND", MISSING, ["input", "id"])
    if name == "later":
        problem = Problem("NOT_FOUND", MISSING)
        # Told beside the message, as the payload field of that name (a payload without one
        # leaves it out).
        problem.details = {"retry_after": 30, "not_a_payload_field": 1}
        raise problem
    if len(name) > 3:
        raise Problems([Problem(KitCode.TOO_LONG, TOO_LONG, ["input", "name"], max=3),
                        Problem(KitCode.NOT_FOUND, MISSING, ["input", "items", 2])])


@strawberry.type
class KitMutation:
    @mutation("ANONYMOUS", errors=KitError)
    async def rename(self, name: str) -> KitPayload:
        _helper_that_refuses(name)
        return KitPayload(name=name.upper(), warnings=["checked"])

    @mutation("ANONYMOUS", errors=KitError)
    def rename_sync(self, name: str) -> KitPayload:
        _helper_that_refuses(name)
        return KitPayload(name=name.upper())


@strawberry.type
class KitQuery:
    ok: bool = True


class _Context:
    principal = None

    def __init__(self, language: str) -> None:
        self.language = language


KIT = strawberry.Schema(query=KitQuery, mutation=KitMutation)
RENAME = ("mutation($n: String!) { rename(name: $n) { name warnings errors { code field message } "
          "} }")


async def _rename(name: str, language: str = "en", field: str = "rename") -> dict[str, Any]:
    result = await KIT.execute(RENAME.replace("rename(", f"{field}("), variable_values={"n": name},
                               context_value=_Context(language))
    assert result.errors is None, result.errors
    assert result.data is not None
    return result.data[field]  # type: ignore[no-any-return]


@pytest.mark.parametrize("field", ["rename", "renameSync"])
async def test_a_problem_below_the_resolver_becomes_the_payload_errors(field: str) -> None:
    assert await _rename("abc", field=field) == {
        "name": "ABC", "warnings": ["checked"] if field == "rename" else [], "errors": []}
    # The code is taken by name from the mutation's own error type; fields keep their default.
    assert await _rename("missing", field=field) == {"name": None, "warnings": [], "errors": [
        {"code": "NOT_FOUND", "field": ["input", "id"], "message": "No such thing."}]}


async def test_a_problems_details_fill_the_payload_fields_of_their_name() -> None:
    result = await KIT.execute("mutation { rename(name: \"later\") { name retryAfter "
                               "errors { code } } }", context_value=_Context("en"))
    assert result.data == {"rename": {"name": None, "retryAfter": 30,
                                      "errors": [{"code": "NOT_FOUND"}]}}


async def test_several_problems_come_back_together_in_the_callers_language() -> None:
    assert (await _rename("abcdef", language="fr"))["errors"] == [
        {"code": "TOO_LONG", "field": ["input", "name"], "message": "Au plus 3 caractères."},
        {"code": "NOT_FOUND", "field": ["input", "items", "2"], "message": "Introuvable."},
    ]


def _mutation_payloads(schema: strawberry.Schema) -> list[tuple[str, type]]:
    mutation_type = schema.schema_converter.type_map["Mutation"].definition
    found = []
    for field in mutation_type.fields:  # type: ignore[union-attr]
        if any(isinstance(e, ProblemsToPayload) for e in field.extensions):
            origin = get_object_definition(field.type, strict=True).origin
            found.append((field.name, origin))
    return found


def test_every_payload_of_the_composed_schema_can_carry_errors(tmp_path: Path) -> None:
    """On a refusal the kit sets the payload's other fields to null, or leaves their default:
    a non-null field without a default would turn every refusal into a GraphQL error."""
    schema = build_schema(PluginHost(make_settings("sqlite://:memory:", tmp_path)))
    payloads = _mutation_payloads(schema)
    assert len(payloads) > 30, "the kit should serve the mutations of every area"
    wrong = []
    for name, payload in payloads:
        for field in get_object_definition(payload, strict=True).fields:
            if field.base_resolver is not None or field.python_name == "errors":
                continue
            has_default = (field.default is not dataclasses.MISSING
                           or field.default_factory is not dataclasses.MISSING)
            nullable = type(field.type).__name__ == "StrawberryOptional"
            if not (nullable or has_default):
                wrong.append(f"{name}: {payload.__name__}.{field.python_name}")
    assert not wrong, "payload fields that cannot be null on a refusal: " + ", ".join(wrong)


@strawberry.type
class RefusingQuery:
    @strawberry.field
    def thing(self, name: str) -> str:
        _helper_that_refuses(name)
        return name


async def test_a_problem_in_a_query_field_is_a_coded_error_in_the_callers_language() -> None:
    from schema.masking import masked_errors

    schema = strawberry.Schema(query=RefusingQuery, extensions=[masked_errors])
    query = "query($n: String!) { thing(name: $n) }"
    one = await schema.execute(query, variable_values={"n": "missing"},
                               context_value=_Context("fr"))
    assert one.errors is not None
    assert (one.errors[0].message, one.errors[0].extensions) == (
        "Introuvable.", {"code": "NOT_FOUND", "field": ["input", "id"]})
    several = await schema.execute(query, variable_values={"n": "abcdef"},
                                   context_value=_Context("en"))
    assert several.errors is not None
    assert several.errors[0].message == "At most 3 characters."
    assert several.errors[0].extensions == {
        "code": "TOO_LONG", "field": ["input", "name"], "problems": [
            {"code": "TOO_LONG", "field": ["input", "name"], "message": "At most 3 characters."},
            {"code": "NOT_FOUND", "field": ["input", "items", "2"], "message": "No such thing."},
        ]}


@strawberry.type
class UncheckedQuery:
    @strawberry.field
    def save(self, name: str) -> str:
        from tortoise.exceptions import ValidationError

        raise ValidationError(f"name: Length of '{name}' {len(name)} > 10")


async def test_a_value_the_database_refuses_is_bad_input_not_an_internal_error() -> None:
    """A safety net under the services' checks (schemathesis found text longer than a column
    reaching a filter): the caller is told its input does not fit, in its language."""
    from schema.masking import masked_errors

    schema = strawberry.Schema(query=UncheckedQuery, extensions=[masked_errors])
    result = await schema.execute('{ save(name: "abcdefghijkl") }', context_value=_Context("fr"))
    assert result.errors is not None
    assert result.errors[0].extensions == {"code": "BAD_USER_INPUT"}
    assert result.errors[0].message == "Une valeur est trop longue ou hors limites pour ce champ."
