"""Issue 16, done means: a realistic month closed, its statements checked to the cent against
amounts computed by hand; closing twice, or again after a crash mid-way, leaves the same
ledger; "Appels facturables" lists only billed calls, with the statement's usage totals; calls
imported after their cycle closed are billed by the next close (late usage) and listed there."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from gateway.api import PluginHost
from plugins.billing import closing
from plugins.billing.config import BillingConfig
from plugins.billing.cycle import Cycle, cycle_closing_on, cycle_holding
from plugins.billing.ledger_models import CycleRun, LedgerEntry, Statement, StatementLine
from plugins.callcenter import services as callcenter
from plugins.callcenter.models import Call
from tests.conftest import Gateway
from tests.plugins.billing.cycle_factory import CLOSE_DAY, CYCLE_START, make_month, worked
from tests.plugins.billing.cycle_support import billing_gateway, smtp_server  # noqa: F401
from tests.plugins.callcenter.factory import call, load

CYCLE = Cycle(CYCLE_START, CLOSE_DAY)
D = Decimal


def host_of(gateway: Gateway) -> PluginHost:
    host: PluginHost = gateway.app.state.host
    return host


async def ledger() -> list[tuple[Any, ...]]:
    """Everything written, without ids or times: what two runs must agree on."""
    statements = {s["id"]: s["number"] for s in await Statement.all().values("id", "number")}
    entries = await LedgerEntry.all().order_by("account_id", "idempotency_key").values(
        "account_id", "kind", "entry_date", "amount", "description_en", "statement_id",
        "idempotency_key")
    lines = await StatementLine.all().order_by("statement_id", "position").values(
        "statement_id", "position", "kind", "party", "amount", "wholesale", "quantity")
    heads = await Statement.all().order_by("number").values(
        "number", "previous_balance", "payments", "charges", "discounts", "taxes", "total",
        "balance", "wholesale")
    return [
        *[tuple(h.values()) for h in heads],
        *[(statements[e.pop("statement_id")], *e.values()) for e in entries],
        *[(statements[line.pop("statement_id")], *line.values()) for line in lines],
    ]


def test_cycle_dates() -> None:
    assert cycle_closing_on(dt.date(2026, 11, 20)) == CYCLE
    assert cycle_closing_on(dt.date(2026, 11, 19)) == Cycle(dt.date(2026, 9, 20),
                                                            dt.date(2026, 10, 20))
    assert cycle_holding(dt.date(2026, 1, 5)) == Cycle(dt.date(2025, 12, 20),
                                                       dt.date(2026, 1, 20))
    assert cycle_holding(dt.date(2026, 12, 20), close_day=1) == Cycle(dt.date(2026, 12, 1),
                                                                      dt.date(2027, 1, 1))
    assert CYCLE.days == 31


async def _statement(account_id: int) -> tuple[Statement, dict[str, list[StatementLine]]]:
    statement = await Statement.get(account_id=account_id, starts_on=CYCLE_START)
    lines: dict[str, list[StatementLine]] = {}
    for line in await StatementLine.filter(statement_id=statement.id).order_by("position"):
        lines.setdefault(line.code, []).append(line)
    return statement, lines


async def test_a_realistic_month_closes_to_the_cent(
        billing_gateway: Gateway) -> None:  # noqa: F811
    month = await make_month()
    assert month.promoted and month.changing and month.suspended
    host = host_of(billing_gateway)
    result = await closing.close_cycle(host, BillingConfig(), CYCLE)
    assert result.written >= 3

    # A: BASIC 29.95 + REC 5.00, the whole cycle; 130.50 minutes, 100 included:
    # 30.50 x 0.50 = 15.25. 20 % off the monthly charges: 34.95 x 20 % = 6.99.
    # Subtotal 50.20 - 6.99 = 43.21; TPS 5 % = 2.16 (2.1605); TVQ 9.975 % = 4.31 (4.3102).
    a, lines = await _statement(month.promoted.id)
    assert [line.amount for line in lines["PLAN-BASIC"]] == [D("29.95"), D("15.25")]
    assert lines["OPT-REC"][0].amount == D("5.00")
    assert lines["CALL_MINUTES"][0].quantity == D("130.50")  # minutes used, for the record
    assert lines["PLAN-BASIC"][1].quantity == D("30.50")  # beyond the 100 included
    assert lines["PLAN-BASIC"][1].amount == D("15.25")
    assert lines["PROMO-20-6"][0].amount == D("-6.99")
    assert [line.amount for line in lines["TPS"] + lines["TVQ"]] == [D("2.16"), D("4.31")]
    assert (a.charges, a.discounts, a.taxes, a.total) == (D("50.20"), D("6.99"), D("6.47"),
                                                          D("49.68"))
    assert (a.previous_balance, a.payments, a.balance) == (0, 0, D("49.68"))
    # Wholesale: 20.00 + 3.00 + overage 30.50 x 0.50 = 38.25.
    assert a.wholesale == D("38.25")

    # B: BASIC Oct 20 - Nov 3 (15 days): 29.95 x 15/31 = 14.49 (14.4919); PRO at the
    # reseller's 54.95 from Nov 4 (16 days): 54.95 x 16/31 = 28.36 (28.3613); activation fee
    # 25.00 once. Included: 100 x 15/31 + 300 x 16/31 = 203.23; 250 minutes used: 46.77 x
    # 0.40 (PRO) = 18.71 (18.708). Subtotal 86.56; TPS 4.33 (4.328); TVQ 8.63 (8.6344).
    b, lines = await _statement(month.changing.id)
    assert [(line.days, line.amount) for line in lines["PLAN-BASIC"]] == [(15, D("14.49"))]
    assert [(line.days, line.amount) for line in lines["PLAN-PRO"]] == [
        (16, D("28.36")), (None, D("18.71"))]
    assert lines["FEE-SETUP"][0].amount == D("25.00")
    assert "PROMO-20-6" not in lines  # created after the promotion ended
    assert (b.charges, b.discounts, b.taxes, b.total) == (D("86.56"), 0, D("12.96"),
                                                          D("99.52"))
    # Wholesale: 20 x 15/31 = 9.68; 35 x 16/31 = 18.06; 10.00; overage 18.71 -> 56.45.
    assert b.wholesale == D("56.45")
    assert b.language == "en"

    # C: BASIC billed to the client 21 days (Oct 20-31, Nov 11-19): 29.95 x 21/31 = 20.29
    # (20.2887); suspended Nov 1-10: the reseller bears 20 x 10/31 = 6.45, the client nothing.
    # Usage: 70 minutes in production, 50 suspended; 100 included over the 31 days billed:
    # the client pays no overage, the reseller 20 x 0.50 = 10.00.
    # Taxes on 20.29: 1.01 (1.0145) and 2.02 (2.0239).
    c, lines = await _statement(month.suspended.id)
    plan = [(line.party, line.days, line.amount, line.wholesale) for line in lines["PLAN-BASIC"]]
    assert plan == [("CLIENT", 21, D("20.29"), D("13.55")), ("RESELLER", 10, 0, D("6.45")),
                    ("CLIENT", None, 0, D("10.00"))]
    assert lines["CALL_MINUTES"][0].quantity == D("120.00")
    assert (c.charges, c.taxes, c.total) == (D("20.29"), D("3.03"), D("23.32"))
    assert c.wholesale == D("30.00")

    # The ledger holds each client charge, promotion and tax, dated on the close day.
    entries = await LedgerEntry.filter(account_id=month.promoted.id).values_list(
        "amount", flat=True)
    assert sum(entries, D(0)) == D("49.68")
    assert await LedgerEntry.filter(account_id=month.promoted.id).exclude(
        entry_date=CLOSE_DAY).count() == 0
    run = await CycleRun.get(starts_on=CYCLE_START)
    assert (run.status, run.accounts_done) == ("DONE", result.written)


async def test_billable_calls_list_only_billed_calls_matching_the_statement(
        billing_gateway: Gateway) -> None:  # noqa: F811
    month = await make_month()
    assert month.promoted
    scope = callcenter.Scope(None, [month.promoted.id], callcenter.zone_of("America/Toronto"))
    first, last = dt.date(2026, 10, 20), dt.date(2026, 11, 19)
    before = await callcenter.billable_report(scope, first, last, 10)
    assert before.total_calls == 0  # not billed yet: the seed lists only billed calls
    await closing.close_cycle(host_of(billing_gateway), BillingConfig(), CYCLE)
    after = await callcenter.billable_report(scope, first, last, 10)
    assert after.total_calls == 3
    _, lines = await _statement(month.promoted.id)
    assert D(str(round(after.total_minutes, 2))) == lines["CALL_MINUTES"][0].quantity
    # The call of Nov 20 belongs to the next cycle, not billed yet.
    nxt = await callcenter.billable_report(scope, dt.date(2026, 11, 20),
                                           dt.date(2026, 12, 19), 10)
    assert nxt.total_calls == 0


async def test_closing_twice_or_after_a_crash_leaves_the_same_ledger(
        billing_gateway: Gateway, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    month = await make_month()
    host = host_of(billing_gateway)
    await closing.close_cycle(host, BillingConfig(), CYCLE)
    reference = await ledger()
    again = await closing.close_cycle(host, BillingConfig(), CYCLE)
    assert again.written == 0
    assert await ledger() == reference

    # Start over: the same month, a crash after the first account's batch.
    for model in (LedgerEntry, StatementLine, Statement, CycleRun):
        await model.all().delete()
    from plugins.callcenter.models import BilledCycle

    await BilledCycle.all().delete()
    real = closing.mark_billed
    calls = 0

    async def crashing(*args: Any, **kwargs: Any) -> None:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise RuntimeError("worker killed")
        await real(*args, **kwargs)

    monkeypatch.setattr(closing, "mark_billed", crashing)
    with pytest.raises(RuntimeError):
        await closing.close_cycle(host, BillingConfig(), CYCLE, batch_size=1)
    partial = await Statement.all().count()
    assert 0 < partial < 3  # the first batch committed, the second rolled back whole
    run = await CycleRun.get(starts_on=CYCLE_START)
    assert run.status == "RUNNING"
    monkeypatch.setattr(closing, "mark_billed", real)
    resumed = await closing.close_cycle(host, BillingConfig(), CYCLE, batch_size=1)
    assert resumed.written == resumed.accounts - partial
    assert await ledger() == reference
    run = await CycleRun.get(starts_on=CYCLE_START)
    assert (run.status, run.attempts) == ("DONE", 2)
    del month


async def test_a_preview_writes_nothing_and_matches_the_close(
        billing_gateway: Gateway) -> None:  # noqa: F811
    month = await make_month()
    assert month.changing
    host = host_of(billing_gateway)
    preview = await closing.close_cycle(host, BillingConfig(), CYCLE, preview=True,
                                        account_ids=[month.changing.id])
    assert await Statement.all().count() == 0 and await CycleRun.all().count() == 0
    [draft] = preview.drafts
    assert draft.total == D("99.52")
    await closing.close_cycle(host, BillingConfig(), CYCLE)
    statement, _ = await _statement(month.changing.id)
    assert statement.total == draft.total


async def test_calls_received_after_their_cycle_closed_are_billed_by_the_next_close(
        billing_gateway: Gateway) -> None:  # noqa: F811
    month = await make_month()
    a = month.promoted
    assert a
    host = host_of(billing_gateway)
    scope = callcenter.Scope(None, [a.id], callcenter.zone_of("America/Toronto"))
    await closing.close_cycle(host, BillingConfig(), CYCLE)
    closed = await callcenter.billable_report(scope, CYCLE_START, dt.date(2026, 11, 19), 10)
    assert (closed.total_calls, round(closed.total_minutes, 2)) == (3, 130.5)

    # Imported after the close: two calls of closed days (30 + 6 minutes), the same call of
    # Oct 21 again (imported twice: still billed once, by the close that had it), and a call
    # of the new cycle (12 minutes).
    [oct_21] = await Call.filter(account_id=a.id, local_date=dt.date(2026, 10, 21)).values(
        "call_id", "started_at")
    await load([
        worked(a, dt.date(2026, 11, 10), 1500, 300), worked(a, dt.date(2026, 11, 18), 360, 0),
        {**call(a, oct_21["started_at"].isoformat(), agent_seconds=3000, wrap_seconds=600),
         "call_id": oct_21["call_id"]},
        worked(a, dt.date(2026, 11, 25), 720, 0),
    ])
    # Not on the closed statement, so not listed under its cycle; not billed yet at all.
    again = await callcenter.billable_report(scope, CYCLE_START, dt.date(2026, 11, 19), 10)
    assert (again.total_calls, round(again.total_minutes, 2)) == (3, 130.5)

    # The next close bills them as late usage, dated by their days: 36 minutes, none of the
    # next plan's included minutes (the closed cycle's are not reopened): 36 x 0.50 = 18.00.
    nxt = CYCLE.next()
    preview = await closing.close_cycle(host, BillingConfig(), nxt, preview=True,
                                        account_ids=[a.id])
    await closing.close_cycle(host, BillingConfig(), nxt)
    statement = await Statement.get(account_id=a.id, starts_on=nxt.starts_on)
    lines = await StatementLine.filter(statement_id=statement.id).order_by("position")
    usage = [(line.code, line.quantity, line.amount) for line in lines if line.kind == "USAGE"]
    # On time: Nov 20 (10 min) and Nov 25 (12 min), within the 100 included.
    assert usage == [("CALL_MINUTES", D("22.00"), 0), ("CALL_MINUTES", D("36.00"), 0),
                     ("PLAN-BASIC", D("36.00"), D("18.00"))]
    late = [line for line in lines if line.kind == "USAGE"][1]
    assert "2026-11-10" in late.description_fr and "2026-11-18" in late.description_fr
    assert "late" in late.description_en and "en retard" in late.description_fr
    assert preview.drafts[0].total == statement.total
    reference = await ledger()

    # "Appels facturables" lists each call under the cycle that billed it, the totals the
    # statement's usage lines: the late calls under the new cycle, with its own calls.
    closed = await callcenter.billable_report(scope, CYCLE_START, dt.date(2026, 11, 19), 10)
    assert (closed.total_calls, round(closed.total_minutes, 2)) == (3, 130.5)
    listed = await callcenter.billable_report(scope, nxt.starts_on, nxt.last_day, 10)
    assert listed.total_calls == 4
    assert D(str(round(listed.total_minutes, 2))) == D("22.00") + D("36.00")
    assert {row["started_at"].date() for row in listed.rows} >= {dt.date(2026, 11, 10)}

    # Idempotent: closing again changes nothing, and a later close bills nothing late again.
    assert (await closing.close_cycle(host, BillingConfig(), nxt)).written == 0
    assert await ledger() == reference
    third = await closing.close_cycle(host, BillingConfig(), nxt.next(), preview=True,
                                      account_ids=[a.id])
    assert all(line.kind != "USAGE" for line in third.drafts[0].lines)
