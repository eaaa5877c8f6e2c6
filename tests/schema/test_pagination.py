"""Connections: opaque cursors that round-trip, totalCount, hasNextPage, a capped page size and
a clear refusal of a bad cursor."""

from __future__ import annotations

import base64

import pytest

from gateway.jobs import enqueue
from schema.pagination import (
    DEFAULT_PAGE_SIZE,
    PaginationError,
    decode_cursor,
    encode_cursor,
    page_window,
)
from tests.conftest import Gateway
from tests.schema.conftest import MAX_PAGE_SIZE, as_role
from tests.support.schema_plugin import LETTERS

LETTERS_PAGE = """query ($first: Int, $after: String) {
  letters(first: $first, after: $after) {
    totalCount
    edges { cursor node { value } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"""


def test_cursors_are_opaque_and_round_trip() -> None:
    for offset in (0, 1, 19, 12345):
        cursor = encode_cursor(offset)
        assert str(offset) != cursor and cursor.isascii()
        assert decode_cursor(cursor) == offset


@pytest.mark.parametrize("cursor", [
    "",
    "garbage!",
    "b3h4",  # base64 of "oxx"
    base64.urlsafe_b64encode(b"o:-1").decode(),  # a negative offset made by hand
    base64.urlsafe_b64encode(b"o:+1").decode(),
    base64.urlsafe_b64encode(b"o:1.5").decode(),
    base64.urlsafe_b64encode(b"x:1").decode(),
    base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    encode_cursor(3)[:-2],
])
def test_bad_cursors_are_refused(cursor: str) -> None:
    with pytest.raises(PaginationError, match="The cursor is not valid."):
        decode_cursor(cursor)


def test_page_window_caps_the_page_size() -> None:
    assert page_window(None, None, 50) == (0, DEFAULT_PAGE_SIZE)
    # Leaving first out never asks for more than the cap.
    assert page_window(None, None, DEFAULT_PAGE_SIZE - 1) == (0, DEFAULT_PAGE_SIZE - 1)
    assert page_window(50, encode_cursor(9), 50) == (10, 50)
    for first in (51, -1):
        with pytest.raises(PaginationError, match="first must be between 0 and 50."):
            page_window(first, None, 50)


async def test_walking_a_connection_page_by_page(probe_gateway: Gateway) -> None:
    seen: list[str] = []
    after = None
    pages = 0
    while True:
        result = await probe_gateway.graphql(LETTERS_PAGE, {"first": 3, "after": after})
        assert "errors" not in result, result
        page = result["data"]["letters"]
        assert page["totalCount"] == len(LETTERS)
        edges = page["edges"]
        seen += [edge["node"]["value"] for edge in edges]
        info = page["pageInfo"]
        assert info["startCursor"] == edges[0]["cursor"]
        assert info["endCursor"] == edges[-1]["cursor"]
        assert info["hasPreviousPage"] == (pages > 0)
        pages += 1
        if not info["hasNextPage"]:
            break
        after = info["endCursor"]
    assert seen == LETTERS and pages == 3
    # Every edge's cursor resumes right after that edge.
    first_page = (await probe_gateway.graphql(LETTERS_PAGE, {"first": 3}))["data"]["letters"]
    resumed = await probe_gateway.graphql(
        LETTERS_PAGE, {"first": 1, "after": first_page["edges"][1]["cursor"]}
    )
    assert resumed["data"]["letters"]["edges"][0]["node"]["value"] == LETTERS[2]


async def test_first_above_the_cap_is_refused(probe_gateway: Gateway) -> None:
    within = await probe_gateway.graphql(LETTERS_PAGE, {"first": MAX_PAGE_SIZE})
    assert len(within["data"]["letters"]["edges"]) == MAX_PAGE_SIZE
    unsaid = await probe_gateway.graphql(LETTERS_PAGE)
    assert len(unsaid["data"]["letters"]["edges"]) == MAX_PAGE_SIZE

    result = await probe_gateway.graphql(LETTERS_PAGE, {"first": MAX_PAGE_SIZE + 1})
    assert result["data"] is None
    [error] = result["errors"]
    assert error["message"] == f"first must be between 0 and {MAX_PAGE_SIZE}."
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["path"] == ["letters"]
    french = await probe_gateway.graphql(
        LETTERS_PAGE, {"first": 1000}, **{"Accept-Language": "fr"}
    )
    assert french["errors"][0]["message"] == f"first doit être compris entre 0 et {MAX_PAGE_SIZE}."


async def test_bad_cursor_is_refused_with_a_clear_error(probe_gateway: Gateway) -> None:
    result = await probe_gateway.graphql(LETTERS_PAGE, {"first": 2, "after": "not-a-cursor"})
    assert result["data"] is None
    [error] = result["errors"]
    # Said plainly, not masked as an internal error.
    assert error["message"] == "The cursor is not valid."
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    french = await probe_gateway.graphql(
        LETTERS_PAGE, {"first": 2, "after": "not-a-cursor"}, **{"Accept-Language": "fr"}
    )
    assert french["errors"][0]["message"] == "Le curseur n'est pas valide."


async def test_a_database_connection_pages_with_total_count(probe_gateway: Gateway) -> None:
    ids = [(await enqueue("example.anything", {"n": n})).id for n in range(7)]  # type: ignore[union-attr]
    query = """query ($after: String) {
      outboxJobs(first: 3, after: $after) {
        totalCount edges { cursor node { id job } } pageInfo { hasNextPage endCursor }
      }
    }"""
    seen: list[str] = []
    after = None
    while True:
        result = await probe_gateway.graphql(query, {"after": after}, **as_role("SYSTEM_ADMIN"))
        page = result["data"]["outboxJobs"]
        assert page["totalCount"] == len(ids)
        seen += [edge["node"]["id"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == len(ids)  # newest first, none twice, none skipped
