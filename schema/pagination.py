"""Connections: opaque cursors, totalCount and a capped page size."""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from enum import Enum
from typing import Any, Generic, TypeVar

import strawberry

from gateway.i18n import Text
from schema.node import database_id

T = TypeVar("T")
DEFAULT_PAGE_SIZE = 20

_BAD_CURSOR = Text(en="The cursor is not valid.", fr="Le curseur n'est pas valide.")
_BAD_FIRST = Text(
    en="first must be between 0 and {max}.", fr="first doit être compris entre 0 et {max}."
)


class PaginationError(ValueError):
    """A refused page request; the schema gives ``text`` in the caller's language with ``code``
    instead of masking it as an internal error."""

    code = "BAD_USER_INPUT"

    def __init__(self, text: Text, **values: Any) -> None:
        super().__init__(text.en.format(**values))
        self.text = text
        self.values = values


@strawberry.enum(description="Sort order of a list's orderBy.")
class OrderDirection(Enum):
    ASC = strawberry.enum_value("ASC", description="Ascending: smallest, earliest or A first.")
    DESC = strawberry.enum_value("DESC", description="Descending: largest, latest or Z first.")


@strawberry.type(description="Where a page lies in its list (Relay): whether items follow or "
                 "precede it, and the cursors of its first and last items.")
class PageInfo:
    has_next_page: bool = strawberry.field(
        description="Whether items follow this page: ask for them with `after: endCursor`.")
    has_previous_page: bool = strawberry.field(
        description="Whether items precede this page (it was asked for with `after`).")
    start_cursor: str | None = strawberry.field(
        description="The cursor of the page's first item; null when the page is empty.")
    end_cursor: str | None = strawberry.field(
        description="The cursor of the page's last item, to pass as `after` for the next page; "
        "null when the page is empty.")


@strawberry.type
class Edge(Generic[T]):
    node: T
    cursor: str


@strawberry.type
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo
    total_count: int

    @strawberry.field
    def nodes(self) -> list[T]:
        return [edge.node for edge in self.edges]


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode()


def decode_cursor(cursor: str) -> int:
    try:
        kind, _, value = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
        # Only cursors we wrote: a hand-made "o:-3", "o:+1" or an offset larger than any
        # table would reach the database.
        offset = database_id(value) if kind == "o" else None
        if offset is None or encode_cursor(offset) != cursor:
            raise ValueError(cursor)
        return offset
    except (ValueError, UnicodeDecodeError):
        raise PaginationError(_BAD_CURSOR) from None


def page_window(first: int | None, after: str | None, max_page_size: int) -> tuple[int, int]:
    """(offset, limit) for a page; ``first`` above the cap is refused, not silently cut.

    Without ``first``, the default page, but never more than the cap: an operator lowering
    the cap must not break clients that leave ``first`` out."""
    limit = min(DEFAULT_PAGE_SIZE, max_page_size) if first is None else first
    if limit < 0 or limit > max_page_size:
        raise PaginationError(_BAD_FIRST, max=max_page_size)
    offset = decode_cursor(after) + 1 if after else 0
    return offset, limit


def build_connection(
    rows: Sequence[Any],
    offset: int,
    limit: int,
    total_count: int,
    to_node: Callable[[Any], Any] = lambda row: row,
    to_cursor: Callable[[int, Any], str] | None = None,
) -> Connection[Any]:
    """Wrap one fetched page (``limit + 1`` rows tell whether there is a next page).
    ``to_cursor(offset, row)`` writes a row's cursor (default: its offset's)."""
    page = list(rows[:limit])
    cursor = to_cursor or (lambda position, _row: encode_cursor(position))
    edges = [
        Edge(node=to_node(row), cursor=cursor(offset + i, row)) for i, row in enumerate(page)
    ]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=len(rows) > limit or offset + len(page) < total_count,
            has_previous_page=offset > 0,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        total_count=total_count,
    )
