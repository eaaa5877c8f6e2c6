"""What the fuzzer found, kept as plain tests: ids and cursors holding numbers no row can have,
and text holding the NUL character, are a caller's mistake answered cleanly (not found, a bad
cursor, a refused input), never an unexpected error from the database driver."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from strawberry.relay import to_base64

from plugins.account_settings.models import Contact
from schema.node import MAX_DATABASE_ID, database_id
from schema.pagination import encode_cursor
from tests.conftest import Gateway
from tests.hostile.world import World
from tests.support.identity_factory import bearer_for

HUGE = [str(10**30), str(MAX_DATABASE_ID + 1), "99999999999999999999", "²", "١٢"]


def test_database_id_takes_only_ascii_numbers_an_integer_column_holds() -> None:
    assert database_id("42") == 42 and database_id(MAX_DATABASE_ID) == MAX_DATABASE_ID
    for value in [*HUGE, "-1", "+1", " 1", "1.0", "", "abc", "0x10"]:
        assert database_id(value) is None, value


async def post(gateway: Gateway, query: str, variables: dict[str, Any] | None = None,
               **headers: str) -> dict[str, Any]:
    response = await gateway.client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    codes = [e["extensions"]["code"] for e in body.get("errors", [])]
    assert "INTERNAL_ERROR" not in codes, body
    return body


@pytest.mark.parametrize("number", HUGE)
async def test_an_id_no_row_can_have_is_not_found(world: World, number: str) -> None:
    staff = await bearer_for(world.mine.admin)  # type: ignore[arg-type]
    for global_id in (to_base64("Account", number), to_base64("AuditEntry", number), number):
        node = await post(world.gateway, "query($id: ID!) { node(id: $id) { id } }",
                          {"id": global_id}, **staff)
        assert node == {"data": {"node": None}}
        # A field of a plugin (account settings), one of the core (the audit log's filter).
        devices = await post(world.gateway, "query($id: ID!) { devices(accountId: $id) { id } }",
                             {"id": global_id}, **staff)
        assert devices == {"data": {"devices": []}}
        audit = await post(world.gateway, """query($id: ID!) {
            auditLog(filter: { accountId: $id }) { totalCount } }""", {"id": global_id}, **staff)
        assert audit == {"data": {"auditLog": {"totalCount": 0}}}
        removed = await post(world.gateway, """mutation($id: ID!) {
            removeDevice(input: { accountId: $id, id: $id }) { errors { code } } }""",
                            {"id": global_id}, **staff)
        assert removed == {"data": {"removeDevice": {"errors": [{"code": "NOT_FOUND"}]}}}
        checked = await post(world.gateway, """query($id: ID!) {
            checkCall(accountId: $id, number: "+33140000000") { allowed } }""",
                             {"id": global_id}, **staff)
        assert checked["errors"][0]["extensions"]["code"] == "NOT_FOUND", checked


@pytest.mark.parametrize("cursor", [
    encode_cursor(MAX_DATABASE_ID + 1), encode_cursor(10**20),
    base64.urlsafe_b64encode("o:²".encode()).decode(),
])
async def test_a_cursor_past_any_table_is_a_bad_cursor(world: World, cursor: str) -> None:
    staff = await bearer_for(world.mine.admin)  # type: ignore[arg-type]
    body = await post(world.gateway, """query($after: String) {
        accounts(kind: COMPANY, after: $after) { totalCount } }""", {"after": cursor}, **staff)
    assert body["errors"][0]["message"] == "The cursor is not valid."
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert (await post(world.gateway, """query($after: String) {
        accounts(kind: COMPANY, after: $after) { totalCount } }""", {"after": encode_cursor(0)},
        **staff))["data"]["accounts"]["totalCount"] >= 1


ADD_CONTACT = """mutation($input: AddContactInput!) { addContact(input: $input) {
  contact { id } errors { code } } }"""


async def test_text_with_a_nul_character_is_refused_before_anything_runs(world: World) -> None:
    staff = await bearer_for(world.mine.admin)  # type: ignore[arg-type]
    company = to_base64("Account", world.mine.company.id)  # type: ignore[union-attr]
    before = await Contact.all().count()
    # In a variable, however deep.
    body = await post(world.gateway, ADD_CONTACT, {"input": {
        "accountId": company, "shared": True, "name": "Nul\x00Part", "email": "a@b.test"}},
        **staff)
    assert body.get("data") is None
    [error] = body["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT"}
    assert error["message"] == ("Variable '$input' holds the NUL character (U+0000) at "
                                "'input.name': no text may.")
    # In a literal of the document (the \\u0000 escape), in the caller's language.
    literal = await post(world.gateway, 'query { delegateCandidates(search: "a\\u0000") '
                         "{ totalCount } }", **staff)
    [error] = literal["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT"}
    assert error["message"] == "Text must not contain the NUL character (U+0000)."
    assert error["locations"] == [{"line": 1, "column": 36}]
    anonymous = await post(world.gateway, 'query { passwordLink(token: "\\u0000") { status } }',
                           **{"accept-language": "fr"})
    assert anonymous["errors"][0]["message"] == (
        "Un texte ne peut pas contenir le caractère NUL (U+0000).")
    # In a search: refused too, not a database error on PostgreSQL.
    search = await post(world.gateway, "query($s: String) { delegateCandidates(search: $s) "
                        "{ totalCount } }", {"s": "\x00"}, **staff)
    assert search["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert await Contact.all().count() == before
    # The same text without the NUL goes through.
    fine = await post(world.gateway, ADD_CONTACT, {"input": {
        "accountId": company, "shared": True, "name": "Nul Part", "email": "a@b.test"}},
        **staff)
    assert fine["data"]["addContact"]["errors"] == []
    assert await Contact.all().count() == before + 1
