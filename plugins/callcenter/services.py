"""The callcenter rules, callable without GraphQL: who sees which calls, the recorder, taken
messages, billable calls, information pages, billing history and retention."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tortoise import connections
from tortoise.expressions import Q, RawSQL
from tortoise.functions import Count, Min, Sum
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from gateway.api import (
    MAX_DATABASE_ID,
    RESELLER_SIDE,
    Account,
    Field,
    PluginHost,
    Principal,
    Problem,
    Reseller,
    Role,
    User,
    account_visibility,
    accounts_visible,
    await_me_maybe,
    send_email,
    short_read,
)
from plugins.callcenter import errors as e
from plugins.callcenter import freshness
from plugins.callcenter.config import CallCenterConfig
from plugins.callcenter.errors import CallCenterErrorCode as Code
from plugins.callcenter.models import AccountInfoPage, BilledCycle, Call, TakenMessage
from plugins.callcenter.statistics import TABLE, CallFilter, Sql, after_utc, earliest_utc


@dataclass(frozen=True)
class Scope:
    """Whose calls a caller may read: ``reseller_id``/``account_ids`` None = no limit."""

    reseller_id: int | None
    account_ids: list[int] | None
    zone: ZoneInfo


def zone_of(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


CAN_MAX_LENGTH: int = Account._meta.fields_map["can"].constraints["max_length"]


async def scope_for(principal: Principal | None, account_number: int | None = None,
                    billing_number: str | None = None, field: Field | None = None) -> Scope:
    """The caller's calls, narrowed to an account number and/or billing number (CAN) it can
    see; one it cannot see is the ``NOT_FOUND`` problem (at ``field``). ``zone`` is the
    selected (or the caller's own) account's time zone, for "today" and presets."""
    if principal is None:
        return Scope(None, [], ZoneInfo("UTC"))
    reseller_id: int | None = None
    account_ids: list[int] | None = None
    if principal.role == Role.SYSTEM_ADMIN:
        pass
    elif principal.role in RESELLER_SIDE and not principal.direct_access:
        reseller_id = principal.reseller_id or -1
    else:
        account_ids = [principal.account_id or -1]
    zone_name: str | None = None
    if account_number is not None or billing_number:
        if billing_number and len(billing_number.strip()) > CAN_MAX_LENGTH:  # no account has it
            raise Problem(Code.NOT_FOUND, e.UNKNOWN_ACCOUNT, field)
        rows = await _visible_accounts(principal, account_number,
                                       billing_number.strip() if billing_number else None)
        if not rows:
            raise Problem(Code.NOT_FOUND, e.UNKNOWN_ACCOUNT, field)
        account_ids = [r["id"] for r in rows]
        # Already checked visible: the reseller condition would only steer the database to
        # the (reseller, date) index, scanning every account of the reseller.
        reseller_id = None
        zone_name = rows[0]["time_zone"]
    elif principal.account_id:
        own = await _account_rows([("id", principal.account_id)])
        zone_name = own[0]["time_zone"] if own else None
    return Scope(reseller_id, account_ids, zone_of(zone_name))


async def _visible_accounts(principal: Principal, account_number: int | None,
                            billing_number: str | None) -> list[dict[str, Any]]:
    """The id and time zone of the accounts of that number and/or CAN the caller may see
    (``account_visibility``), by one plain statement: every report request reads it."""
    if account_number is not None and not 0 < account_number <= MAX_DATABASE_ID:
        return []  # no account has it (and the database would refuse the number)
    visibility = account_visibility(principal)
    conditions: list[tuple[str, Any]] = [visibility] if visibility else []
    if account_number is not None:
        conditions.append(("id", account_number))
    if billing_number is not None:  # blank: no account has it
        conditions.append(("can", billing_number))
    return await _account_rows(conditions)


async def _account_rows(conditions: list[tuple[str, Any]]) -> list[dict[str, Any]]:
    """The id and time zone of the accounts whose columns have these values (at least one
    condition, on the primary key or the CAN: a short read)."""
    conn = connections.get("default")
    sql = Sql(conn.capabilities.dialect)
    where = " AND ".join(f"{column} = {sql.p(value)}" for column, value in conditions)
    return await short_read(
        conn, f"SELECT id, time_zone FROM {Account._meta.db_table} WHERE {where}", sql.values)


async def visible_account(principal: Principal | None, account_number: int,
                          field: Field | None = None) -> Account:
    """An account the caller can see; any other number is the ``NOT_FOUND`` problem."""
    account = await accounts_visible(principal).get_or_none(id=account_number)
    if account is None:
        raise Problem(Code.NOT_FOUND, e.UNKNOWN_ACCOUNT, field)
    return account


def today(zone: ZoneInfo, now: dt.datetime | None = None) -> dt.date:
    return (now or dt.datetime.now(dt.UTC)).astimezone(zone).date()


async def account_zones(scope: Scope, account_ids: set[int]) -> dict[int, ZoneInfo]:
    """The time zone of each account: the scope's own when it is one account (no query),
    else one query for the accounts of the page."""
    if scope.account_ids is not None and len(scope.account_ids) == 1 and (
            account_ids <= set(scope.account_ids)):
        return {scope.account_ids[0]: scope.zone}
    if not account_ids:
        return {}
    rows = await Account.filter(id__in=sorted(account_ids)).values("id", "time_zone")
    return {row["id"]: zone_of(row["time_zone"]) for row in rows}


async def localise(rows: list[dict[str, Any]], scope: Scope, column: str) -> None:
    """Each row's ``column`` (a UTC moment) as the same moment in its account's time zone,
    with that zone's offset: what every report row shows, on screen and in a download."""
    zones = await account_zones(scope, {row["account_id"] for row in rows})
    utc = ZoneInfo("UTC")
    for row in rows:
        moment = row[column]
        if isinstance(moment, str):  # SQLite, through raw SQL: the text Tortoise wrote
            moment = dt.datetime.fromisoformat(moment)
        row[column] = moment.astimezone(zones.get(row["account_id"], utc))


def restrict(query: Any, scope: Scope) -> Any:
    if scope.reseller_id is not None:
        query = query.filter(reseller_id=scope.reseller_id)
    if scope.account_ids is not None:
        query = query.filter(account_id__in=scope.account_ids)
    return query


def call_filter(scope: Scope, **values: Any) -> CallFilter:
    return CallFilter(reseller_id=scope.reseller_id, account_ids=scope.account_ids, **values)


# ---- the call recorder ----------------------------------------------------------------------

PRESET_HOURS = {"LAST_HOUR": 1, "LAST_3_HOURS": 3, "LAST_6_HOURS": 6, "LAST_12_HOURS": 12}
RECORDER_COLUMNS = ("id", "reseller_id", "call_id", "account_id", "account_name", "started_at",
                    "caller_id", "caller_name", "agent", "station", "duration", "quality",
                    "recording", "direction")


@dataclass
class RecorderQuery:
    scope: Scope
    preset: str = "LAST_HOUR"
    start: dt.datetime | None = None  # CUSTOM: UTC
    end: dt.datetime | None = None
    agent: str | None = None
    station: str | None = None
    min_minutes: float | None = None
    max_minutes: float | None = None
    caller_id: str | None = None
    call_number: str | None = None
    account_name: str | None = None
    quality_min: int | None = None
    quality_max: int | None = None

    def window(self, now: dt.datetime | None = None
               ) -> tuple[dt.datetime | None, dt.datetime | None]:
        now = now or dt.datetime.now(dt.UTC)
        if self.preset in PRESET_HOURS:
            return now - dt.timedelta(hours=PRESET_HOURS[self.preset]), None
        if self.preset == "SINCE_MIDNIGHT":
            local = now.astimezone(self.scope.zone)
            midnight = dt.datetime.combine(local.date(), dt.time(), tzinfo=self.scope.zone)
            return midnight.astimezone(dt.UTC), None
        return self.start, self.end


def _like(text: str) -> str:
    escaped = text.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def recorder_where(q: RecorderQuery, sql: Sql, now: dt.datetime | None = None) -> str:
    """The recorder's WHERE clause (without the keyword): whose calls, when, then the other
    criteria, in that order (the placeholders are numbered in it)."""
    parts = [*_recorder_scope(q.scope, sql), *_recorder_window(q, sql, now),
             *_recorder_criteria(q, sql)]
    return " AND ".join(parts) or "1 = 1"


def _recorder_scope(scope: Scope, sql: Sql) -> list[str]:
    parts: list[str] = []
    if scope.reseller_id is not None:
        parts.append(f"reseller_id = {sql.p(scope.reseller_id)}")
    if scope.account_ids is not None:
        parts.append(f"account_id IN ({sql.many(scope.account_ids)})"
                     if scope.account_ids else "1 = 0")
    return parts


def _recorder_window(q: RecorderQuery, sql: Sql, now: dt.datetime | None) -> list[str]:
    start, end = q.window(now)
    parts: list[str] = []
    if start is not None:
        parts.append(f"started_at >= {sql.p(start)}")
    if end is not None:
        parts.append(f"started_at <= {sql.p(end)}")
    return parts


def _recorder_criteria(q: RecorderQuery, sql: Sql) -> list[str]:
    parts: list[str] = []
    if q.agent:
        parts.append(f"agent = {sql.p(q.agent.strip().upper())}")
    if q.station:
        parts.append(f"station = {sql.p(q.station.strip())}")
    if q.min_minutes is not None:
        parts.append(f"duration >= {sql.p(float(q.min_minutes) * 60)}")
    if q.max_minutes is not None:
        parts.append(f"duration <= {sql.p(float(q.max_minutes) * 60)}")
    if q.caller_id:
        parts.append(f"caller_id LIKE {sql.p(_like(q.caller_id))} ESCAPE '\\'")
    if q.call_number:
        parts.append(f"call_id = {sql.p(q.call_number.strip())}")
    if q.account_name:
        parts.append(f"LOWER(account_name) LIKE {sql.p(_like(q.account_name.lower()))} "
                     f"ESCAPE '\\'")
    if q.quality_min is not None:
        parts.append(f"quality >= {sql.p(q.quality_min)}")
    if q.quality_max is not None:
        parts.append(f"quality <= {sql.p(q.quality_max)}")
    return parts


async def recorder_page(q: RecorderQuery, offset: int, limit: int,
                        now: dt.datetime | None = None) -> tuple[list[dict[str, Any]], int, float]:
    """(rows of the page plus one, total count, total duration in seconds) in one plain SQL
    statement, no model objects (the page must answer close to hand-written SQL): the totals
    joined with the page, so a page past the end still gives them; each row's
    ``started_at`` in its account's time zone (``localise``)."""
    conn = connections.get("default")
    dialect = conn.capabilities.dialect
    sql = Sql(dialect)
    condition = recorder_where(q, sql, now)
    totals = f"SELECT COUNT(*) AS n, SUM(duration) AS seconds FROM {TABLE} WHERE {condition}"
    page = (f"SELECT {', '.join(RECORDER_COLUMNS)} FROM {TABLE} WHERE {condition} "
            f"ORDER BY started_at DESC, id DESC LIMIT {int(limit) + 1} OFFSET {int(offset)}")
    statement = (f"SELECT t.n AS page_total, t.seconds AS page_seconds, p.* FROM ({totals}) t "
                 f"LEFT JOIN ({page}) p ON 1 = 1 ORDER BY p.started_at DESC, p.id DESC")
    # PostgreSQL's numbered placeholders serve both copies of the condition; SQLite's are
    # positional, so its values are given twice.
    values = sql.values if dialect == "postgres" else sql.values * 2
    found = await conn.execute_query_dict(statement, values)
    total, seconds = (found[0]["page_total"], found[0]["page_seconds"]) if found else (0, 0)
    rows = [row for row in found if row["id"] is not None]
    for row in rows:
        del row["page_total"], row["page_seconds"]
    await localise(rows, q.scope, "started_at")
    return rows, int(total or 0), float(seconds or 0)


# ---- taken messages --------------------------------------------------------------------------

@dataclass
class MessageQuery:
    scope: Scope
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    call_number: str | None = None
    agent: str | None = None
    keyword: str | None = None


def messages(q: MessageQuery) -> Any:
    query = restrict(TakenMessage.all(), q.scope)
    if q.date_from:
        query = query.filter(local_date__gte=q.date_from,
                             taken_at__gte=earliest_utc(q.date_from))
    if q.date_to:
        query = query.filter(local_date__lte=q.date_to, taken_at__lt=after_utc(q.date_to))
    if q.call_number:
        query = query.filter(call_id=q.call_number.strip())
    if q.agent:
        query = query.filter(agent=q.agent.strip().upper())
    if q.keyword:
        query = query.filter(body__icontains=q.keyword.strip())
    return query


MESSAGE_COLUMNS = ("id", "message_id", "account_id", "call_id", "agent", "taken_at", "body",
                   "history")


# ---- billable calls ---------------------------------------------------------------------------

def billing_cycle(day: dt.date) -> tuple[dt.date, dt.date]:
    """The billing cycle holding ``day``: from the 20th to the 19th of the next month (seed)."""
    if day.day >= 20:
        start = day.replace(day=20)
    else:
        start = (day.replace(day=1) - dt.timedelta(days=1)).replace(day=20)
    end = (start.replace(day=1) + dt.timedelta(days=32)).replace(day=19)
    return start, end


# A call is billable when an agent worked on it: an answered inbound call or an outbound call.
BILLABLE_COLUMNS = ("id", "call_id", "account_id", "started_at", "caller_id", "caller_name",
                    "agent", "direction", "agent_seconds", "wrap_seconds")


# The seed: "Appels facturables" shows only calls already billed, i.e. on a closed statement of
# their account (``BilledCycle``, written by the billing plugin's close). A call is listed under
# the cycle that billed it: the cycle of its day when it was there when that cycle closed (its
# id up to the close's ``through_id``), else the next close of the account, which billed it
# late (its id above that close's ``after_id``); see plugins.callcenter.billing.
def _billed(date_from: dt.date, date_to: dt.date) -> RawSQL:
    first, last = f"'{date_from.isoformat()}'", f"'{date_to.isoformat()}'"
    call = '"callcenter_call"'
    return RawSQL(
        "CASE WHEN EXISTS (SELECT 1 FROM callcenter_billed_cycle b"
        f" WHERE b.account_id = {call}.\"account_id\""
        f" AND {call}.\"local_date\" BETWEEN {first} AND {last}"
        f" AND {call}.\"local_date\" BETWEEN b.first_day AND b.last_day"
        f" AND (b.through_id IS NULL OR {call}.\"id\" <= b.through_id))"
        " OR EXISTS (SELECT 1 FROM callcenter_billed_cycle b"
        f" WHERE b.account_id = {call}.\"account_id\""
        f" AND b.first_day BETWEEN {first} AND {last} AND b.after_id IS NOT NULL"
        f" AND {call}.\"local_date\" >= b.late_from AND {call}.\"local_date\" < b.first_day"
        f" AND {call}.\"id\" > b.after_id AND {call}.\"id\" <= b.through_id)"
        " THEN 1 ELSE 0 END")


_WORKED = Q(direction="outbound") | Q(direction="inbound", answered_at__isnull=False,
                                       assigned_at__isnull=False)


def worked_calls(date_from: dt.date, date_to: dt.date) -> Any:
    """Every billable call of the dates (account-local days), billed yet or not."""
    return Call.filter(_WORKED, local_date__gte=date_from, local_date__lte=date_to,
                       started_at__gte=earliest_utc(date_from),
                       started_at__lt=after_utc(date_to))


async def billable_calls(scope: Scope, date_from: dt.date, date_to: dt.date) -> Any:
    """The billable calls a closed billing cycle holds (the seed's rule): those of the dates
    billed on time, and the late ones billed by a cycle that starts within the dates."""
    cycles = BilledCycle.filter(first_day__gte=date_from, first_day__lte=date_to,
                                after_id__isnull=False)
    if scope.reseller_id is not None:
        cycles = cycles.filter(account__reseller_id=scope.reseller_id)
    if scope.account_ids is not None:
        cycles = cycles.filter(account_id__in=scope.account_ids)
    late = await cycles.annotate(lowest=Min("after_id")).values_list("lowest", flat=True)
    dated = Q(local_date__gte=date_from, local_date__lte=date_to,
              started_at__gte=earliest_utc(date_from), started_at__lt=after_utc(date_to))
    if late and late[0] is not None:
        dated |= Q(id__gt=late[0], local_date__lt=date_to)
    return restrict(Call.filter(_WORKED).filter(dated).annotate(
        billed=_billed(date_from, date_to)).filter(billed=1), scope)


def statistic_seconds(row: dict[str, Any]) -> float:
    """The seed's "Statistic" of a billable call: agent talk time plus wrap-up time."""
    return float(row.get("agent_seconds") or 0) + float(row.get("wrap_seconds") or 0)


@dataclass
class BillableReport:
    rows: list[dict[str, Any]] = field(default_factory=list)
    total_calls: int = 0
    total_minutes: float = 0.0

    @property
    def average_minutes(self) -> float | None:
        return self.total_minutes / self.total_calls if self.total_calls else None


async def billable_report(scope: Scope, date_from: dt.date, date_to: dt.date,
                          limit: int, offset: int = 0) -> BillableReport:
    """The billable calls from ``offset`` (at most ``limit``), oldest first, and the totals of
    every one of them."""
    query = await billable_calls(scope, date_from, date_to)
    rows = await query.order_by("started_at", "id").offset(offset).limit(limit).values(
        *BILLABLE_COLUMNS)
    await localise(rows, scope, "started_at")
    totals = await (await billable_calls(scope, date_from, date_to)).annotate(
        n=Count("id"), talk=Sum("agent_seconds"), wrap=Sum("wrap_seconds")).values(
        "n", "talk", "wrap")
    total = totals[0] if totals else {}
    seconds = float(total.get("talk") or 0) + float(total.get("wrap") or 0)
    return BillableReport(rows, int(total.get("n") or 0), seconds / 60)


# ---- information pages and billing history ----------------------------------------------------

# Information pages an account may have (the list is returned whole), and billing history
# entries returned (newest first).
MAX_INFO_PAGES = 200
MAX_BILLING_ENTRIES = 500


async def info_pages(account_id: int) -> list[AccountInfoPage]:
    return await AccountInfoPage.filter(account_id=account_id).order_by(
        "position", "id").limit(MAX_INFO_PAGES)


async def save_info_page(principal: Principal, account_number: int, page_id: int | None, *,
                         title: str, body: str, position: int) -> AccountInfoPage:
    """Add (no ``page_id``) or change an information page of an account the caller sees."""
    account = await visible_account(principal, account_number, ["input", "accountNumber"])
    if not title.strip():
        raise Problem(Code.INVALID, e.TITLE_REQUIRED, ["input", "title"])
    if page_id is None:
        if await AccountInfoPage.filter(account_id=account.id).count() >= MAX_INFO_PAGES:
            raise Problem(Code.TOO_MANY, e.TOO_MANY_PAGES, ["input", "accountNumber"],
                          max=MAX_INFO_PAGES)
        return await AccountInfoPage.create(account_id=account.id, title=title.strip(),
                                            body=body, position=position)
    page = await AccountInfoPage.get_or_none(id=page_id, account_id=account.id)
    if page is None:
        raise Problem(Code.NOT_FOUND, e.UNKNOWN_ACCOUNT, ["input", "id"])
    page.title, page.body, page.position = title.strip(), body, position
    await page.save()
    return page


async def request_info_change(host: PluginHost, principal: Principal, account_number: int,
                              message: str) -> None:
    """Email the account's reseller's support address a request to change the information
    pages, on behalf of the caller (queued with the caller's transaction)."""
    account = await visible_account(principal, account_number, ["input", "accountNumber"])
    reseller = await Reseller.get(id=account.reseller_id)
    support = (reseller.branding or {}).get("support_email")
    if not support:
        raise Problem(Code.EMAIL_FAILED, e.NO_SUPPORT_EMAIL)
    user = await User.get_or_none(id=principal.user_id or -1)
    async with in_transaction():
        await send_email(
            to=support, template="callcenter_info_change", language=reseller.default_language,
            values={"requester": user.full_name if user else "API", "account": account.id,
                    "account_name": account.name, "message": message},
            reply_to=user.email if user else None, gateway=host)


async def billing_history(host: PluginHost, account: Account) -> list[dict[str, Any]]:
    """Entries other plugins (billing) give through ``gateway_billing_history``, newest first."""
    entries: list[dict[str, Any]] = []
    for _, contributed in host.each("gateway_billing_history", account=account):
        value = await await_me_maybe(contributed)
        entries.extend(value or [])
    return sorted(entries, key=lambda entry: entry["date"], reverse=True)[:MAX_BILLING_ENTRIES]


# ---- retention ---------------------------------------------------------------------------------

async def purge_expired(host: PluginHost, config: CallCenterConfig,
                        now: dt.datetime | None = None) -> tuple[int, int]:
    """Remove calls, taken messages and local recordings older than each reseller's retention
    window. Returns (calls, messages) removed."""
    now = now or dt.datetime.now(dt.UTC)
    recordings = config.recordings_path(host).resolve()
    with_calls: list[Any] = await Call.all().distinct().values_list("reseller_id", flat=True)
    with_messages: list[Any] = await TakenMessage.all().distinct().values_list("reseller_id",
                                                                               flat=True)
    calls = messages_removed = 0
    for reseller_id in set(with_calls) | set(with_messages):
        cutoff = now - dt.timedelta(days=config.retention_for(reseller_id))
        old = Call.filter(reseller_id=reseller_id, started_at__lt=cutoff)
        await _remove_recordings(recordings, old)
        removed = await old.delete()
        if removed:
            await freshness.bump([reseller_id])
        calls += removed
        messages_removed += await TakenMessage.filter(reseller_id=reseller_id,
                                                      taken_at__lt=cutoff).delete()
    return calls, messages_removed


async def purge_account(host: PluginHost, config: CallCenterConfig, account_id: int) -> int:
    """Remove an account's calls and their local recordings (the account is being purged for
    good); its messages, pages and zone record go with the account's row."""
    calls = Call.filter(account_id=account_id)
    await _remove_recordings(config.recordings_path(host).resolve(), calls)
    resellers: list[Any] = await calls.limit(1).values_list("reseller_id", flat=True)
    removed = await calls.delete()
    await freshness.bump(resellers)
    return removed


async def _remove_recordings(root: Path, calls: QuerySet[Call]) -> None:
    """Delete the local recording files of ``calls`` (URLs and paths outside ``root`` stay)."""
    paths: list[Any] = await calls.filter(recording__isnull=False).values_list("recording",
                                                                               flat=True)
    for path in paths:
        local = recording_file(root, path)
        if local is not None:
            local.unlink(missing_ok=True)


def recording_file(root: Path, recording: str | None) -> Path | None:
    """The local file of a recording path, only inside the recordings folder (a record naming
    ``../../etc/passwd`` reads nothing); None for a URL or a path outside."""
    if not recording or "://" in recording:
        return None
    path = (root / recording.lstrip("/")).resolve()
    if root != path and root not in path.parents:
        return None
    return path
