"""Closing a billing cycle: every account's statement, lines and ledger entries written once,
in batches of accounts, each batch in one transaction (issue 16).

Idempotent and restartable: a statement is unique per (account, cycle start), a batch skips the
accounts already done, and the usage a batch bills is recorded (``gateway_billable_usage_
billed``) in the batch's own transaction, before it is read: a plugin records what it will
report (the call-center plugin, the highest call id), so usage received during the close is
billed by the next one, as late usage, never lost nor billed twice. Running the close twice,
or again after a crash mid-way, leaves the same ledger; a preview computes the same
statements without writing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from operator import itemgetter
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from gateway.api import Account, PluginHost, Text, await_me_maybe
from plugins.clients.api import billing_status_history

from .config import BillingConfig
from .cycle import (
    ZERO,
    AccountFacts,
    Cycle,
    Day,
    Draft,
    OfferedItem,
    PriceVersion,
    PromotionFacts,
    SubscriptionFacts,
    TaxFacts,
    billed_ranges,
    day_categories,
    local_date,
    rate,
    version_on,
)
from .ledger_models import (
    BilledParty,
    CycleRun,
    CycleRunStatus,
    EntryKind,
    LedgerEntry,
    LineKind,
    Statement,
    StatementLine,
)
from .models import (
    AccountPromotion,
    BillingSettings,
    CatalogueItem,
    CataloguePrice,
    OfferItem,
    OfferPrice,
    Promotion,
    Subscription,
    TaxRate,
)

BATCH_SIZE = 500
ACCOUNT_COLUMNS = ("id", "reseller_id", "can", "name", "language", "time_zone",
                   "billing_status", "trial_ends_at", "unsubscribed_at", "created_at")


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def utc_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


# ---- the usage hooks ---------------------------------------------------------------------------

async def collect_usage(host: PluginHost, account_ids: list[int], start: dt.date,
                        end: dt.date) -> list[dict[str, Any]]:
    """What every plugin reports through ``gateway_billable_usage`` (dates included)."""
    if not account_ids:
        return []
    usage: list[dict[str, Any]] = []
    for _, contributed in host.each("gateway_billable_usage", account_ids=account_ids,
                                    start=start, end=end):
        usage.extend(await await_me_maybe(contributed) or [])
    return usage


async def mark_billed(host: PluginHost, account_ids: list[int], start: dt.date,
                      end: dt.date) -> None:
    """Tell every plugin this usage is on closed statements (``gateway_billable_usage_billed``)."""
    if account_ids:
        await host.call_async("gateway_billable_usage_billed", account_ids=account_ids,
                              start=start, end=end)


# ---- what the rating reads, a batch of accounts at a time -----------------------------------

class Offers:
    """Offer items, their catalogue item and price versions, read once per close."""

    def __init__(self) -> None:
        self.items: dict[int, OfferedItem] = {}
        self.settings: dict[int, tuple[bool, str]] = {}
        self.taxes: dict[int, list[TaxFacts]] = {}
        self.promotions: dict[int, dict[str, Any]] = {}

    async def load_items(self, offer_item_ids: set[int]) -> None:
        missing = offer_item_ids - set(self.items)
        if not missing:
            return
        offers = await OfferItem.filter(id__in=missing).values("id", "item_id")
        item_ids = {row["item_id"] for row in offers}
        catalogue = {row["id"]: row for row in await CatalogueItem.filter(id__in=item_ids).values(
            "id", "code", "kind", "recurrence", "name_fr", "name_en", "usage_key")}
        list_prices: dict[int, list[dict[str, Any]]] = {}
        for row in await CataloguePrice.filter(item_id__in=item_ids).order_by(
                "effective_from").values("item_id", "effective_from", "list_price",
                                         "included_units", "overage_rate"):
            list_prices.setdefault(row["item_id"], []).append(row)
        offer_prices: dict[int, list[dict[str, Any]]] = {}
        for row in await OfferPrice.filter(offer_item_id__in=missing).order_by(
                "effective_from").values("offer_item_id", "effective_from", "wholesale_price",
                                         "retail_price", "retail_overage_rate"):
            offer_prices.setdefault(row["offer_item_id"], []).append(row)
        for offer in offers:
            item = catalogue[offer["item_id"]]
            self.items[offer["id"]] = OfferedItem(
                offer["id"], item["code"], str(item["kind"]), str(item["recurrence"]),
                item["name_fr"], item["name_en"], item["usage_key"] or "",
                _versions(list_prices.get(item["id"], []), offer_prices.get(offer["id"], [])))

    async def load_resellers(self, reseller_ids: set[int], config: BillingConfig) -> None:
        missing = reseller_ids - set(self.settings)
        if not missing:
            return
        found = {row["reseller_id"]: row for row in await BillingSettings.filter(
            reseller_id__in=missing).values("reseller_id", "reseller_bills_clients", "currency")}
        for reseller_id in missing:
            row = found.get(reseller_id)
            self.settings[reseller_id] = (
                bool(row["reseller_bills_clients"]) if row else True,
                row["currency"] if row else config.default_currency)
            self.taxes[reseller_id] = []
        for tax in await TaxRate.filter(reseller_id__in=missing).order_by(
                "position", "id").values("reseller_id", "name", "rate", "registration_number"):
            self.taxes[tax["reseller_id"]].append(
                TaxFacts(tax["name"], Decimal(tax["rate"]), tax["registration_number"]))

    async def load_promotions(self, promotion_ids: set[int]) -> None:
        missing = promotion_ids - set(self.promotions)
        for row in await Promotion.filter(id__in=missing).values(
                "id", "code", "name_fr", "name_en", "kind", "percent", "amount"):
            self.promotions[row["id"]] = row


def _in_force(rows: Sequence[dict[str, Any]], day: dt.date) -> dict[str, Any] | None:
    """The row in force on ``day``, else the first (rows oldest first)."""
    return version_on(rows, day, itemgetter("effective_from")) or (rows[0] if rows else None)


def _versions(list_prices: Sequence[dict[str, Any]],
              offer_prices: Sequence[dict[str, Any]]) -> tuple[PriceVersion, ...]:
    """One version per date either price changed: retail (the reseller's, else the list
    price), wholesale, the plan's included units and overage rates."""
    dates = sorted({row["effective_from"] for row in [*list_prices, *offer_prices]})
    versions = []
    for day in dates:
        listed = _in_force(list_prices, day)
        offered = _in_force(offer_prices, day)
        list_price = Decimal(listed["list_price"]) if listed else ZERO
        retail = offered["retail_price"] if offered and offered["retail_price"] is not None \
            else list_price
        overage = Decimal(listed["overage_rate"]) if listed else ZERO
        retail_overage = offered["retail_overage_rate"] if offered and \
            offered["retail_overage_rate"] is not None else overage
        versions.append(PriceVersion(
            day, Decimal(retail), Decimal(offered["wholesale_price"]) if offered else ZERO,
            int(listed["included_units"]) if listed else 0, Decimal(retail_overage), overage))
    return tuple(versions)


def account_facts(row: dict[str, Any],
                  changes: Sequence[tuple[dt.datetime, str | None, str]]) -> AccountFacts:
    where = zone(row["time_zone"])
    created = local_date(row["created_at"], where) or dt.date.min
    return AccountFacts(
        id=row["id"], reseller_id=row["reseller_id"], can=row["can"], name=row["name"],
        language=row["language"] if row["language"] in ("fr", "en") else "fr",
        status=str(row["billing_status"]), created_on=created,
        trial_ends_on=local_date(row["trial_ends_at"], where),
        unsubscribed_on=local_date(row["unsubscribed_at"], where),
        changes=tuple((local_date(when, where) or created, left, entered)
                      for when, left, entered in changes))


def in_cycle(account: AccountFacts, cycle: Cycle) -> bool:
    """Whether the cycle bills the account: it existed before the close day and had not left
    before the cycle began (an unsubscribed account gets one final statement)."""
    if account.created_on >= cycle.ends_on:
        return False
    return not (account.status == "UNSUBSCRIBED" and account.unsubscribed_on is not None
                and account.unsubscribed_on < cycle.starts_on)


async def rate_accounts(host: PluginHost, config: BillingConfig, cycle: Cycle,
                        rows: list[dict[str, Any]], offers: Offers, *,
                        closing: bool = False) -> list[Draft]:
    """The statements of these accounts (rows of ``ACCOUNT_COLUMNS``) for the cycle.
    ``closing``: the usage is recorded as billed (``gateway_billable_usage_billed``) before it is
    read, so that what the plugins recorded and what they report are the same usage; call it
    inside the transaction that writes the statements."""
    ids = [row["id"] for row in rows]
    history = await billing_status_history(ids, utc_start(cycle.ends_on + dt.timedelta(days=2)))
    accounts = [account_facts(row, history.get(row["id"], [])) for row in rows]
    accounts = [account for account in accounts if in_cycle(account, cycle)]
    ids = [account.id for account in accounts]
    if not ids:
        return []
    subscriptions: dict[int, list[SubscriptionFacts]] = {}
    for row in await Subscription.filter(account_id__in=ids, starts_on__lt=cycle.ends_on).filter(
            Q(ends_on__isnull=True) | Q(ends_on__gt=cycle.starts_on)).values(
            "id", "account_id", "offer_item_id", "quantity", "starts_on", "ends_on"):
        subscriptions.setdefault(row["account_id"], []).append(SubscriptionFacts(
            row["id"], row["offer_item_id"], row["quantity"], row["starts_on"], row["ends_on"]))
    await offers.load_items({s.offer_item_id for subs in subscriptions.values() for s in subs})
    await offers.load_resellers({account.reseller_id for account in accounts}, config)
    promotions: dict[int, list[dict[str, Any]]] = {}
    for row in await AccountPromotion.filter(account_id__in=ids, starts_on__lt=cycle.ends_on,
                                             ends_on__gt=cycle.starts_on).order_by("id").values(
            "account_id", "promotion_id", "starts_on", "ends_on"):
        promotions.setdefault(row["account_id"], []).append(row)
    await offers.load_promotions({p["promotion_id"] for ps in promotions.values() for p in ps})

    categories = {account.id: day_categories(account, cycle) for account in accounts}
    if closing:
        await mark_billed(host, ids, cycle.starts_on, cycle.last_day)
    usage, late = await _usage(host, accounts, cycle, categories)
    balances = await _balances(ids, cycle)
    drafts = []
    for account in accounts:
        bills_clients, currency = offers.settings[account.reseller_id]
        draft = rate(
            account, cycle, currency=currency, reseller_bills_clients=bills_clients,
            subscriptions=subscriptions.get(account.id, []), items=offers.items,
            promotions=[_promotion(offers.promotions[p["promotion_id"]], p)
                        for p in promotions.get(account.id, [])],
            taxes=offers.taxes[account.reseller_id], usage=usage.get(account.id, {}),
            days=categories[account.id], late_usage=late.get(account.id, {}))
        draft.previous_balance, draft.payments = balances.get(account.id, (ZERO, ZERO))
        drafts.append(draft)
    return drafts


def _promotion(promotion: dict[str, Any], applied: dict[str, Any]) -> PromotionFacts:
    return PromotionFacts(
        promotion["code"], promotion["name_fr"], promotion["name_en"], str(promotion["kind"]),
        Decimal(promotion["percent"]) if promotion["percent"] is not None else None,
        Decimal(promotion["amount"]) if promotion["amount"] is not None else None,
        applied["starts_on"], applied["ends_on"])


Usage = dict[int, dict[tuple[Day, str], tuple[Decimal, Text | str]]]
LateUsage = dict[int, dict[str, tuple[Decimal, Text | str]]]


async def _usage(host: PluginHost, accounts: list[AccountFacts], cycle: Cycle,
                 categories: dict[int, list[Day]]) -> tuple[Usage, LateUsage]:
    """Per account: (category, unit) -> (quantity, description) over the billed days; one
    hook call per distinct run of days (one for a cycle billed whole, the usual case). And per
    account, unit -> (quantity, description) of its late usage (items marked ``"late"``: usage
    of earlier cycles received after they were closed), taken once per account; an account
    with no billed day is still asked, for its late usage only."""
    requests: dict[tuple[dt.date, dt.date], dict[int, Day]] = {}
    late_run: dict[int, tuple[dt.date, dt.date]] = {}  # the run whose late usage counts
    for account in accounts:
        ranges = billed_ranges(categories[account.id], cycle)
        for first, last, category in ranges or [(cycle.starts_on, cycle.last_day, Day.NONE)]:
            requests.setdefault((first, last), {})[account.id] = category
            late_run.setdefault(account.id, (first, last))
    out: Usage = {}
    late: LateUsage = {}
    for (first, last), asked in requests.items():
        for item in await collect_usage(host, list(asked), first, last):
            account_id = item["account_id"]
            found = asked.get(account_id)
            if found is None:
                continue
            unit = str(item["unit"]).strip().upper()
            quantity = Decimal(str(item["quantity"]))
            if item.get("late"):
                # Every run of days reports the same late usage: the first run's counts.
                if late_run[account_id] != (first, last):
                    continue
                known_late = late.setdefault(account_id, {}).get(unit)
                if known_late is not None:
                    quantity += known_late[0]
                late[account_id][unit] = (quantity, known_late[1] if known_late
                                          else item.get("description", ""))
                continue
            if found == Day.NONE:
                continue
            key = (found, unit)
            known = out.setdefault(account_id, {}).get(key)
            if known is not None:
                quantity += known[0]
            out[account_id][key] = (quantity, known[1] if known else item.get("description", ""))
    return out, late


async def _balances(ids: list[int], cycle: Cycle) -> dict[int, tuple[Decimal, Decimal]]:
    """Per account: the balance of its previous statement, and the payments and credits (a
    negative sum) received since that statement and before this cycle's close day."""
    previous: dict[int, tuple[dt.date, Decimal]] = {}
    for row in await Statement.filter(account_id__in=ids, starts_on__lt=cycle.starts_on).order_by(
            "account_id", "-starts_on").values("account_id", "ends_on", "balance"):
        previous.setdefault(row["account_id"], (row["ends_on"], Decimal(row["balance"])))
    received: dict[int, Decimal] = {}
    for row in await LedgerEntry.filter(account_id__in=ids, statement_id__isnull=True,
                                        entry_date__lt=cycle.ends_on).values(
            "account_id", "entry_date", "amount"):
        since = previous.get(row["account_id"])
        if since is None or row["entry_date"] >= since[0]:
            received[row["account_id"]] = received.get(row["account_id"], ZERO) + Decimal(
                row["amount"])
    return {account_id: (previous[account_id][1] if account_id in previous else ZERO,
                         received.get(account_id, ZERO))
            for account_id in ids}


# ---- writing -----------------------------------------------------------------------------------

_ENTRY_KIND = {LineKind.PROMOTION: EntryKind.PROMOTION, LineKind.TAX: EntryKind.TAX}


def statement_number(can: str, cycle: Cycle) -> str:
    return f"{can}-{cycle.ends_on:%Y%m%d}"


async def _insert(conn: Any, table: str, columns: Sequence[str],
                  rows: list[Sequence[Any]]) -> None:
    """Rows inserted with one prepared statement (no model objects: a close writes tens of
    thousands of lines and entries)."""
    if not rows:
        return
    if conn.capabilities.dialect == "postgres":
        marks = ", ".join(f"${n}" for n in range(1, len(columns) + 1))
    else:
        marks = ", ".join("?" for _ in columns)
    sql = f'INSERT INTO "{table}" ({", ".join(columns)}) VALUES ({marks})'
    for start in range(0, len(rows), 5000):
        await conn.execute_many(sql, rows[start:start + 5000])


STATEMENT_COLUMNS = ("account_id", "reseller_id", "starts_on", "ends_on", "number", "currency",
                     "language", "reseller_bills_clients", "previous_balance", "payments",
                     "charges", "discounts", "taxes", "total", "balance", "wholesale", "final",
                     "created_at")
LINE_COLUMNS = ("statement_id", "position", "kind", "party", "code", "description_fr",
                "description_en", "quantity", "unit_price", "days", "amount", "wholesale")
ENTRY_COLUMNS = ("account_id", "reseller_id", "kind", "entry_date", "description_fr",
                 "description_en", "amount", "currency", "statement_id", "method", "processor",
                 "reference", "idempotency_key", "created_by_id", "created_at")


async def write_drafts(host: PluginHost, cycle: Cycle, drafts: list[Draft],
                       batch_ids: list[int]) -> int:
    """Write the statements of ``drafts`` not written yet, their lines and ledger entries, in one
    transaction (the caller's, which also recorded the usage as billed: ``rate_accounts(...,
    closing=True)``). Returns the statements written."""
    now = dt.datetime.now(dt.UTC)
    async with in_transaction() as conn:
        done = set(await Statement.filter(account_id__in=batch_ids,
                                          starts_on=cycle.starts_on).values_list(
            "account_id", flat=True))
        todo = [draft for draft in drafts if draft.account.id not in done]
        await _insert(conn, Statement._meta.db_table, STATEMENT_COLUMNS, [(
            d.account.id, d.account.reseller_id, cycle.starts_on, cycle.ends_on,
            statement_number(d.account.can, cycle), d.currency, d.account.language,
            d.reseller_bills_clients, d.previous_balance, d.payments, d.charges, d.discounts,
            d.taxes, d.total, d.balance, d.wholesale, d.final, now) for d in todo])
        written = {row["account_id"]: row["id"] for row in await Statement.filter(
            account_id__in=[d.account.id for d in todo], starts_on=cycle.starts_on).values(
            "id", "account_id")}
        lines: list[Sequence[Any]] = []
        entries: list[Sequence[Any]] = []
        for draft in todo:
            statement_id = written[draft.account.id]
            for position, line in enumerate(draft.lines, start=1):
                fr, en = line.description.fr[:300], line.description.en[:300]
                lines.append((statement_id, position, str(line.kind), str(line.party),
                              line.code[:64], fr, en, line.quantity, line.unit_price, line.days,
                              line.amount, line.wholesale))
                if line.amount and line.party == BilledParty.CLIENT:
                    entries.append((
                        draft.account.id, draft.account.reseller_id,
                        str(_ENTRY_KIND.get(line.kind, EntryKind.CHARGE)), cycle.ends_on, fr, en,
                        line.amount, draft.currency, statement_id, None, "", "",
                        f"statement:{cycle.starts_on}:{position}", None, now))
        await _insert(conn, StatementLine._meta.db_table, LINE_COLUMNS, lines)
        await _insert(conn, LedgerEntry._meta.db_table, ENTRY_COLUMNS, entries)
        if todo:
            await CycleRun.filter(starts_on=cycle.starts_on).update(
                accounts_done=F("accounts_done") + len(todo))
    return len(todo)


# ---- the close ---------------------------------------------------------------------------------

@dataclass
class CloseResult:
    cycle: Cycle
    accounts: int  # accounts the cycle bills
    written: int  # statements written by this run (0 when it was already closed)
    drafts: list[Draft]  # a preview's statements (empty when writing)


def _selection(cycle: Cycle) -> Any:
    # A day of margin either side: the exact test is in each account's time zone (in_cycle).
    return Account.filter(created_at__lt=utc_start(cycle.ends_on + dt.timedelta(days=1))).filter(
        Q(unsubscribed_at__isnull=True)
        | Q(unsubscribed_at__gte=utc_start(cycle.starts_on - dt.timedelta(days=1))))


async def close_cycle(host: PluginHost, config: BillingConfig, cycle: Cycle, *,
                      preview: bool = False, account_ids: list[int] | None = None,
                      batch_size: int = BATCH_SIZE,
                      progress: Callable[[int, int], None] | None = None) -> CloseResult:
    """Close ``cycle`` for every account (or ``account_ids``): statements, lines and ledger
    entries, batch by batch. ``preview``: compute them and write nothing. ``progress(done,
    total)`` is called after each batch."""
    selection = _selection(cycle)
    if account_ids is not None:
        selection = selection.filter(id__in=account_ids)
    total = await selection.count()
    if not preview:
        run, _ = await CycleRun.get_or_create(starts_on=cycle.starts_on,
                                              defaults={"ends_on": cycle.ends_on})
        await CycleRun.filter(id=run.id).update(attempts=F("attempts") + 1, accounts_total=total)
    offers = Offers()
    result = CloseResult(cycle, 0, 0, [])
    last_id, seen = 0, 0
    while True:
        rows = await selection.filter(id__gt=last_id).order_by("id").limit(batch_size).values(
            *ACCOUNT_COLUMNS)
        if not rows:
            break
        last_id = rows[-1]["id"]
        seen += len(rows)
        batch_ids = [row["id"] for row in rows]
        if not preview:
            done = set(await Statement.filter(account_id__in=batch_ids,
                                              starts_on=cycle.starts_on).values_list(
                "account_id", flat=True))
            rows = [row for row in rows if row["id"] not in done]
            result.accounts += len(done)
        if preview:
            drafts = await rate_accounts(host, config, cycle, rows, offers)
            result.drafts.extend(drafts)
        else:
            # The usage recorded as billed, read, rated and written in one transaction: a crash
            # leaves none of it, and a call received meanwhile is billed by this close or the
            # next, never by both nor by neither.
            async with in_transaction():
                drafts = await rate_accounts(host, config, cycle, rows, offers, closing=True)
                result.written += await write_drafts(host, cycle, drafts,
                                                     [d.account.id for d in drafts])
        result.accounts += len(drafts)
        if progress is not None:
            progress(seen, total)
    if not preview and account_ids is None:
        await CycleRun.filter(starts_on=cycle.starts_on).update(
            status=CycleRunStatus.DONE, finished_at=dt.datetime.now(dt.UTC))
    return result
