"""Billing: closing a cycle (issue 16) for many accounts with many billable calls, against one
hand-written SQL aggregation of the same totals in the same run, and the close's peak memory.

The data: one reseller, a plan (29.95 a month, 100 minutes included, 0.50 a minute beyond) and
an option, taxes (5 % and 9.975 %), ``accounts`` accounts in production subscribed to both,
``calls`` billable calls spread over the cycle (2026-10-20 to 2026-11-19). The figure: the
seconds ``close_cycle`` takes to write every statement, its lines and ledger entries (usage
through the call-center plugin's hook, calls then marked billed). The baseline: one
``GROUP BY`` query over the calls giving each account's minutes, and the same totals computed
from its rows in Python (no writes). Both grand totals must agree to the cent.

    .venv/bin/python -m bench.billing [--quick] [--database postgres]
        [--set accounts=N] [--set calls=N]

Sizes: accounts (10,000; quick 500), calls (1,000,000; quick 50,000).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import time
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from bench.support import (
    Options,
    Row,
    analyze,
    current_rss_mb,
    fresh_database,
    main_for,
    note,
    peak_rss_since_reset_mb,
    reset_peak_rss,
    settings_for,
)

BENCHMARK = "Billing"
START, END = dt.date(2026, 10, 20), dt.date(2026, 11, 20)
PLAN, OPTION, INCLUDED, OVERAGE = Decimal("29.95"), Decimal("5.00"), 100, Decimal("0.50")
TAXES = (Decimal("5"), Decimal("9.975"))
CENT = Decimal("0.01")


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


async def _populate(accounts: int, calls: int) -> list[int]:
    from tortoise import connections

    from gateway.api import Account, AccountKind, BillingStatus, Reseller
    from plugins.billing.models import (
        CatalogueItem,
        CataloguePrice,
        OfferItem,
        OfferPrice,
        Subscription,
        TaxRate,
    )

    reseller = await Reseller.create(name="Bench Télécom", can="CAN-BENCH-0001")
    created = dt.datetime(2026, 9, 1, 12, tzinfo=dt.UTC)
    await Account.bulk_create([
        Account(reseller_id=reseller.id, kind=AccountKind.COMPANY, name=f"Client {n}",
                can=f"CAN-B{n:07d}", billing_status=BillingStatus.IN_PRODUCTION,
                time_zone="UTC", language="fr" if n % 2 else "en")
        for n in range(accounts)], batch_size=2000)
    rows: list[Any] = await Account.filter(reseller_id=reseller.id).order_by(
        "id").values_list("id", flat=True)
    ids = [int(i) for i in rows]
    await Account.filter(reseller_id=reseller.id).update(created_at=created)
    offers = []
    for code, kind, price, included, overage in (
            ("PLAN", "PLAN", PLAN, INCLUDED, OVERAGE), ("OPT", "OPTION", OPTION, 0, 0)):
        item = await CatalogueItem.create(code=code, kind=kind, recurrence="MONTHLY",
                                          name_fr=code, name_en=code, usage_key="CALL_MINUTES"
                                          if kind == "PLAN" else "")
        await CataloguePrice.create(item_id=item.id, effective_from=dt.date(2026, 1, 1),
                                    list_price=price, included_units=included,
                                    overage_rate=overage)
        offer = await OfferItem.create(reseller_id=reseller.id, item_id=item.id, selling=True)
        await OfferPrice.create(offer_item_id=offer.id, effective_from=dt.date(2026, 1, 1),
                                wholesale_price=price / 2)
        offers.append(offer.id)
    for n, rate in enumerate(TAXES):
        await TaxRate.create(reseller_id=reseller.id, name=f"T{n}", rate=rate, position=n)
    await Subscription.bulk_create([
        Subscription(account_id=account, offer_item_id=offer, quantity=1,
                     starts_on=dt.date(2026, 9, 1))
        for account in ids for offer in offers], batch_size=5000)

    conn = connections.get("default")
    postgres = conn.capabilities.dialect == "postgres"
    marks = ["$" + str(i) for i in range(1, 19)] if postgres else ["?"] * 18
    sql = ("INSERT INTO callcenter_call (call_id, reseller_id, account_id, billing_number, "
           "account_name, direction, started_at, duration, caller_id, caller_name, agent, "
           "station, assigned_at, answered_at, agent_seconds, wrap_seconds, local_date, "
           "local_week, local_minute, local_weekday, holds, transfers, busy, hold_max, "
           "hold_total, transfer_count, transfer_total, imported_at) VALUES ("
           + ", ".join(marks[:16]) + ", " + marks[16] + ", " + marks[17]
           + ", 0, 0, '[]', '[]', false, 0, 0, 0, 0, CURRENT_TIMESTAMP)")
    random.seed(16)
    batch: list[list[Any]] = []
    days = (END - START).days
    for n in range(calls):
        account = ids[n % len(ids)]
        day = START + dt.timedelta(days=random.randrange(days))
        moment = dt.datetime.combine(day, dt.time(random.randrange(24), random.randrange(60)),
                                     tzinfo=dt.UTC)
        week = day - dt.timedelta(days=day.weekday())
        batch.append([f"B{n}", reseller.id, account, "", "", "inbound", moment,
                      float(random.randrange(30, 900)), "", "", "A1", "1", 1.0, 2.0,
                      float(random.randrange(20, 600)), float(random.randrange(0, 60)), day,
                      week])
        if len(batch) == 20_000:
            await conn.execute_many(sql, batch)
            batch = []
    if batch:
        await conn.execute_many(sql, batch)
    await analyze()
    return ids


async def _baseline() -> tuple[Decimal, int]:
    """One aggregation of the calls, the totals computed from its rows (no writes)."""
    from tortoise import connections

    conn = connections.get("default")
    postgres = conn.capabilities.dialect == "postgres"
    p = ("$1", "$2", "$3", "$4") if postgres else ("?", "?", "?", "?")
    rows = await conn.execute_query_dict(
        "SELECT account_id, SUM(COALESCE(agent_seconds, 0) + COALESCE(wrap_seconds, 0)) AS s "
        "FROM callcenter_call WHERE local_date >= " + p[0] + " AND local_date <= " + p[1]
        + " AND started_at >= " + p[2] + " AND started_at < " + p[3]
        + " AND (direction = 'outbound' OR (direction = 'inbound' AND answered_at IS NOT NULL"
        " AND assigned_at IS NOT NULL)) GROUP BY account_id",
        [START, END - dt.timedelta(days=1),
         dt.datetime.combine(START, dt.time(), tzinfo=dt.UTC) - dt.timedelta(hours=14),
         dt.datetime.combine(END, dt.time(), tzinfo=dt.UTC) + dt.timedelta(hours=12)])
    total = Decimal(0)
    for row in rows:
        minutes = (Decimal(str(round(float(row["s"] or 0), 6))) / 60).quantize(
            CENT, rounding=ROUND_HALF_UP)
        charges = PLAN + OPTION + cents(max(Decimal(0), minutes - INCLUDED) * OVERAGE)
        total += charges + sum((cents(charges * rate / 100) for rate in TAXES), Decimal(0))
    return total, len(rows)


async def _measure(options: Options, accounts: int, calls: int) -> list[Row]:
    from bench.support import write_plugins_file
    from gateway import db
    from gateway.plugins import PluginHost
    from plugins.billing.closing import close_cycle, collect_usage
    from plugins.billing.config import BillingConfig
    from plugins.billing.cycle import Cycle
    from plugins.billing.ledger_models import LedgerEntry, Statement

    folder = options.workdir / "billing"
    settings = settings_for(options.database_url("billing"), folder,
                            plugins_file=write_plugins_file(folder))
    host = PluginHost(settings)
    await fresh_database(host)
    await db.init_db(host)
    try:
        note(f"billing: {accounts:,} accounts, {calls:,} calls...")
        ids = await _populate(accounts, calls)
        started = time.perf_counter()
        expected, counted = await _baseline()
        baseline = time.perf_counter() - started
        # Every plugin's usage hook imports what it needs on its first call (a worker pays
        # that once at start-up): not part of the figure.
        await collect_usage(host, ids[:1], START, END - dt.timedelta(days=1))
        before = current_rss_mb()
        reset = reset_peak_rss()
        started = time.perf_counter()
        result = await close_cycle(host, BillingConfig(), Cycle(START, END))
        ours = time.perf_counter() - started
        peak = peak_rss_since_reset_mb() if reset else None
        totals = await Statement.all().values_list("total", flat=True)
        written = sum((Decimal(t) for t in totals), Decimal(0))
        entries = await LedgerEntry.all().count()
    finally:
        await db.close_db()
    if written != expected or counted != accounts:
        raise RuntimeError(f"the close's total {written} differs from the aggregation's "
                           f"{expected} ({counted} accounts)")
    size = f"{accounts:,} accounts, {calls:,} calls"
    return [
        Row(BENCHMARK, f"close a cycle: {size} ({result.written:,} statements, {entries:,} "
            "ledger entries)", f"{ours:.2f} s", f"{baseline:.2f} s (one SQL aggregation)",
            ours / baseline if baseline else None, f"same grand total {written}"),
        Row(BENCHMARK, f"close a cycle: peak memory ({size})",
            f"{peak:.0f} MB" if peak is not None else "n/a", "", None,
            f"peak resident memory of the process while closing ({before:.0f} MB before)"),
    ]


def run(options: Options) -> list[Row]:
    accounts = int(options.size("accounts", 10_000, 500))
    calls = int(options.size("calls", 1_000_000, 50_000))
    return asyncio.run(_measure(options, accounts, calls))


def main(argv: list[str] | None = None) -> None:
    main_for("billing", run, __doc__ or BENCHMARK, argv)


if __name__ == "__main__":
    main()
