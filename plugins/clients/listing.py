"""The accounts lists of the Clients page in raw SQL: one statement per page, rows as dicts.

A page is one statement whatever its size: the total comes from a scalar subquery (the counts
the triggers of ``plugins.clients.counts`` keep, for a plain tab; else the matching rows
counted), the rows are read in index order up to the page's end (after the previous page's
last sort key and id: keyset, so a deep page costs what the first does), and only then are
the per-row subqueries (number of users, the professional's extension) computed, for the rows
of the page alone.
Exports read the same filter in keyset batches, so a large export never sits in memory.
Every sort expression is non-null and ends with the account id, so an order is total and
stable.
"""

from __future__ import annotations

import re
from collections.abc import AsyncGenerator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tortoise import connections

from gateway.api import Account, AccountKind, BillingStatus, Principal, Role, moment_converter
from plugins.clients import counts

ACCOUNT_COLUMNS = ("id", "reseller_id", "kind", "name", "can", "organization_id", "language",
                   "time_zone", "country", "email", "phone_number", "receptionist_number",
                   "billing_status", "trial_ends_at", "unsubscribed_at", "created_at")

USER_COUNT = "(SELECT COUNT(*) FROM core_user u WHERE u.account_id = {a}.id)"
EXTENSION = ("(SELECT MIN(u.extension) FROM core_user u WHERE u.account_id = {a}.id "
             "AND u.role = 'PROFESSIONAL')")

# The seed's columns, by the names of AccountOrderField / AccountFilter. PHONE_NUMBER
# ("Numéro de téléphone") is the virtual receptionist's number (the account's first number
# from the pool, kept by the account settings plugin), not the contact phone typed at sign-up.
COLUMNS = ("ACCOUNT_NUMBER", "NAME", "ORG_ID", "USER_COUNT", "CAN", "PHONE_NUMBER", "LANGUAGE",
           "EXTENSION", "BILLING_STATUS")

_SORT = {
    "ACCOUNT_NUMBER": "a.id",
    "NAME": "LOWER(a.name)",
    "ORG_ID": "COALESCE(a.organization_id, a.id)",
    "USER_COUNT": USER_COUNT.format(a="a"),
    "CAN": "a.can",
    "PHONE_NUMBER": "COALESCE(a.receptionist_number, '')",
    "LANGUAGE": "a.language",
    "EXTENSION": f"COALESCE({EXTENSION.format(a='a')}, '')",
    "BILLING_STATUS": "a.billing_status",
}

# The text each keyword is looked for in (lower case, so the match ignores case).
_TEXT = {
    "ACCOUNT_NUMBER": "CAST(a.id AS TEXT)",
    "NAME": "LOWER(a.name)",
    "ORG_ID": "CAST(COALESCE(a.organization_id, a.id) AS TEXT)",
    "CAN": "LOWER(a.can)",
    "PHONE_NUMBER": "COALESCE(a.receptionist_number, '')",
    "LANGUAGE": "LOWER(a.language)",
    "EXTENSION": f"LOWER(COALESCE({EXTENSION.format(a='a')}, ''))",
}
SEARCHED = ("ACCOUNT_NUMBER", "NAME", "ORG_ID", "CAN", "PHONE_NUMBER", "LANGUAGE")

_PHONE_LIKE = re.compile(r"[\d\s().+-]+")


@dataclass(frozen=True)
class AccountListQuery:
    """What a list (or an export) shows: one kind, one reseller (None: every reseller, for
    system admins), the Active/Unsubscribed choice (None: both), keywords per column."""

    kind: AccountKind
    reseller_id: int | None
    status: str | None = "ACTIVE"
    search: str | None = None
    keywords: Mapping[str, str] = field(default_factory=dict)
    user_count: int | None = None
    billing_status: str | None = None
    ids: tuple[int, ...] | None = None
    order_field: str = "ACCOUNT_NUMBER"
    descending: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": str(self.kind), "reseller_id": self.reseller_id, "status": self.status,
            "search": self.search, "keywords": dict(self.keywords),
            "user_count": self.user_count, "billing_status": self.billing_status,
            "ids": list(self.ids) if self.ids is not None else None,
            "order_field": self.order_field, "descending": self.descending,
        }

    @classmethod
    def for_principal(cls, principal: Principal, kind: AccountKind,
                      **choices: Any) -> AccountListQuery:
        """What the caller's list shows: always the caller's reseller (every reseller for
        system admins), with the ``choices`` of the filter row and the sort."""
        reseller_id = None if principal.role == Role.SYSTEM_ADMIN else principal.reseller_id or -1
        return cls(kind=AccountKind(kind), reseller_id=reseller_id, **choices)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> AccountListQuery:
        return cls(
            kind=AccountKind(data["kind"]), reseller_id=data.get("reseller_id"),
            status=data.get("status"), search=data.get("search"),
            keywords=dict(data.get("keywords") or {}), user_count=data.get("user_count"),
            billing_status=data.get("billing_status"),
            ids=tuple(data["ids"]) if data.get("ids") is not None else None,
            order_field=data.get("order_field") or "ACCOUNT_NUMBER",
            descending=bool(data.get("descending")),
        )


class _Params:
    """Placeholders in the connection's dialect: ``?`` (SQLite) or ``$n`` (PostgreSQL)."""

    def __init__(self, dialect: str) -> None:
        self.postgres = dialect == "postgres"
        self.values: list[Any] = []

    def __call__(self, value: Any) -> str:
        self.values.append(value)
        return f"${len(self.values)}" if self.postgres else "?"

    def pattern(self, value: str) -> str:
        """A LIKE pattern: on PostgreSQL written in the statement, as an escape string
        (``E'...'``: read the same whatever ``standard_conforming_strings`` says), so that each
        keyword gets a plan made for it. As a parameter, after five runs PostgreSQL may keep a
        generic plan that cannot tell a rare keyword from a common one (the bench's filtered
        page went from 14 to 27 ms a statement); SQLite plans every statement anyway."""
        if not self.postgres:
            return self(value)
        return "E'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


def _pattern(keyword: str) -> str:
    escaped = keyword.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _keyword(column: str, keyword: str) -> str:
    keyword = keyword.strip().lower()
    if column == "PHONE_NUMBER" and _PHONE_LIKE.fullmatch(keyword) and any(
        c.isdigit() for c in keyword
    ):
        # "(514) 555-1212" finds +15145551212: numbers are stored in E.164.
        keyword = re.sub(r"\D", "", keyword)
    return keyword


def _like(column: str, keyword: str, p: _Params) -> str:
    return f"{_TEXT[column]} LIKE {p.pattern(_pattern(_keyword(column, keyword)))} ESCAPE '\\'"


def _where(query: AccountListQuery, p: _Params) -> str:
    conditions = [f"a.kind = {p(str(query.kind))}"]
    if query.reseller_id is not None:
        conditions.append(f"a.reseller_id = {p(query.reseller_id)}")
    unsubscribed = p(BillingStatus.UNSUBSCRIBED.value)
    if query.status == "ACTIVE":
        conditions.append(f"a.billing_status <> {unsubscribed}")
    elif query.status == "UNSUBSCRIBED":
        conditions.append(f"a.billing_status = {unsubscribed}")
    else:
        p.values.pop()
    if query.status != "ACTIVE":
        # What a purge had to keep for the audit log is not an account any more.
        conditions.append("NOT EXISTS (SELECT 1 FROM clients_account_profile pp WHERE "
                          "pp.account_id = a.id AND pp.purged_at IS NOT NULL)")
    if query.ids is not None:
        if query.ids:
            conditions.append(f"a.id IN ({', '.join(p(i) for i in query.ids)})")
        else:
            conditions.append("1 = 0")
    for column, keyword in sorted(query.keywords.items()):
        if keyword and keyword.strip():
            conditions.append(_like(column, keyword, p))
    if query.user_count is not None:
        conditions.append(f"{_SORT['USER_COUNT']} = {p(query.user_count)}")
    if query.billing_status is not None:
        conditions.append(f"a.billing_status = {p(query.billing_status)}")
    if query.search and query.search.strip():
        columns = [*SEARCHED, *(["EXTENSION"] if query.kind == AccountKind.PROFESSIONAL else [])]
        conditions.append("(" + " OR ".join(_like(c, query.search, p) for c in columns) + ")")
    return " AND ".join(conditions)


def _direction(query: AccountListQuery) -> str:
    return "DESC" if query.descending else "ASC"


def _connection() -> Any:
    return connections.get("default")


_FIELDS = Account._meta.fields_map
# Columns the drivers do not give as the ORM would: SQLite returns dates as text, and enums
# come back as plain strings.
_CONVERTED = ("kind", "billing_status", "trial_ends_at", "unsubscribed_at", "created_at")


def _converter(name: str) -> Any:
    """How a column's raw value becomes the ORM's: an enum's member looked up by value (the
    ORM calls the enum class, ten times slower), a moment by ``moment_converter``."""
    field = _FIELDS[name]
    members = getattr(getattr(field, "enum_type", None), "_value2member_map_", None)
    if members is not None:
        return lambda value: members[value] if value in members else (
            field.to_python_value(value))
    return moment_converter(field)


_CONVERTERS = tuple((name, _converter(name)) for name in _CONVERTED)


def to_python(values: dict[str, Any]) -> dict[str, Any]:
    """A raw row (the driver's dict, changed in place) with its core columns as the ORM would
    give them."""
    for name, convert in _CONVERTERS:
        value = values.get(name)
        if value is not None:
            values[name] = convert(value)
    if values.get("user_count") is not None:
        values["user_count"] = int(values["user_count"])
    return values


def _counted(query: AccountListQuery, p: _Params) -> str | None:
    """The total from the maintained counts (``plugins.clients.counts``) when the filter is
    only the tab, the reseller, the Active choice and a billing status; None otherwise."""
    if (query.status != "ACTIVE" or query.ids is not None or query.user_count is not None
            or (query.search and query.search.strip())
            or any(k and k.strip() for k in query.keywords.values())):
        return None
    conditions = [f"c.kind = {p(str(query.kind))}",
                  f"c.billing_status <> {p(BillingStatus.UNSUBSCRIBED.value)}"]
    if query.reseller_id is not None:
        conditions.append(f"c.reseller_id = {p(query.reseller_id)}")
    if query.billing_status is not None:
        conditions.append(f"c.billing_status = {p(query.billing_status)}")
    return (f"SELECT COALESCE(SUM(c.n), 0) FROM {counts.TABLE} c "
            f"WHERE {' AND '.join(conditions)}")


# Sorts whose key is a number (the others' are text): a cursor's key must be one.
NUMERIC_SORTS = frozenset({"ACCOUNT_NUMBER", "ORG_ID", "USER_COUNT"})


def _after(query: AccountListQuery, after: tuple[Any, int], p: _Params) -> str:
    """Rows strictly after ``after`` (a row's sort key and id) in the query's order."""
    sort = _SORT[query.order_field]
    beyond = "<" if query.descending else ">"
    key, last_id = after
    if query.order_field == "ACCOUNT_NUMBER":
        return f"a.id {beyond} {p(last_id)}"
    # The first condition alone bounds an index range; with only the OR (below) the
    # database scans every row of the sort order from the start (SQLite does).
    return (f"{sort} {beyond}= {p(key)} AND ({sort} {beyond} {p(key)} "
            f"OR a.id {beyond} {p(last_id)})")


async def fetch_page(query: AccountListQuery, offset: int, limit: int,
                     after: tuple[Any, int] | None = None) -> tuple[list[dict[str, Any]], int]:
    """One page (``limit + 1`` rows, to tell whether another follows) and the total count,
    in one statement. ``after`` (the sort key and id of the row before the page, from its
    cursor) reads from there in the sort index (keyset: a deep page costs what the first
    does); without it the page starts ``offset`` rows in. An empty page past the end costs
    one more statement for the count.

    The total comes from the maintained counts for the plain tabs (the default page),
    otherwise by counting the matching rows."""
    conn = _connection()
    p = _Params(conn.capabilities.dialect)
    direction = _direction(query)
    columns = ", ".join(f"a.{c}" for c in ACCOUNT_COLUMNS)
    # The count is a scalar subquery, not COUNT(*) OVER (): a window makes the database read
    # and sort every matching row before the first one comes out (0.5 s on 100,000 accounts),
    # while this lets the page walk a sort index and stop after limit + 1 rows. The count's
    # placeholders come first in the text, so they are numbered first (SQLite's are positional).
    total = _counted(query, p) or f"SELECT COUNT(*) FROM core_account a WHERE {_where(query, p)}"
    where = _where(query, p)
    if after is not None:
        where += " AND " + _after(query, after, p)
    extension = (EXTENSION.format(a="page") if query.kind == AccountKind.PROFESSIONAL
                 else "NULL")
    sort = _SORT[query.order_field]
    sql = (
        f"SELECT page.*, {USER_COUNT.format(a='page')} AS user_count, "
        f"{extension} AS extension FROM ("
        f"SELECT {columns}, {sort} AS sort_key, ({total}) AS total_count "
        f"FROM core_account a WHERE {where} "
        f"ORDER BY {sort} {direction}, a.id {direction} "
        # Numbers in the text, not parameters: with them as parameters PostgreSQL may switch
        # to a generic plan that sorts every matching row (4x slower, seen in bench).
        f"LIMIT {int(limit) + 1}{'' if after is not None else f' OFFSET {int(offset)}'}"
        f") page ORDER BY page.sort_key {direction}, page.id {direction}"
    )
    rows = await conn.execute_query_dict(sql, p.values)
    if rows:
        return [to_python(r) for r in rows], int(rows[0]["total_count"])
    if offset == 0 and after is None:
        return [], 0
    return [], await count(query)


async def count(query: AccountListQuery) -> int:
    """How many accounts match."""
    conn = _connection()
    p = _Params(conn.capabilities.dialect)
    counted = _counted(query, p)
    sql = counted or f"SELECT COUNT(*) FROM core_account a WHERE {_where(query, p)}"
    rows = await conn.execute_query_dict(f"SELECT ({sql}) AS n", p.values)
    return int(rows[0]["n"])


async def iter_batches(query: AccountListQuery, batch_size: int = 500,
                       wanted: Sequence[str] = ACCOUNT_COLUMNS, *, raw: bool = False
                       ) -> AsyncGenerator[list[dict[str, Any]], None]:
    """Every matching row in the query's order, ``batch_size`` at a time (keyset pagination:
    each batch starts after the last row's sort key and id, so no batch re-reads the others),
    with the ``wanted`` account columns (and always ``id``, ``user_count``, ``extension``):
    an export reads what it prints, not every date it would have to parse. ``raw``: the
    database's values as they come (statuses as text), not converted as the ORM would."""
    conn = _connection()
    sort = _SORT[query.order_field]
    direction = _direction(query)
    columns = ", ".join(f"a.{c}" for c in dict.fromkeys(("id", *wanted)))
    extension = (EXTENSION.format(a="a") if query.kind == AccountKind.PROFESSIONAL else "NULL")
    last: tuple[Any, int] | None = None
    while True:
        p = _Params(conn.capabilities.dialect)
        where = _where(query, p)
        if last is not None:
            where += " AND " + _after(query, last, p)
        sql = (
            f"SELECT {columns}, {sort} AS sort_key, {USER_COUNT.format(a='a')} AS user_count, "
            f"{extension} AS extension FROM core_account a WHERE {where} "
            f"ORDER BY sort_key {direction}, a.id {direction} LIMIT {int(batch_size)}"
        )
        rows = await conn.execute_query_dict(sql, p.values)
        if not rows:
            return
        yield rows if raw else [to_python(r) for r in rows]
        if len(rows) < batch_size:
            return
        last = (rows[-1]["sort_key"], rows[-1]["id"])
