"""An account's time zone changes after its calls were imported: the stored account-local
columns are recomputed by a job (queued when the account is saved, or found by the periodic
check), and an import that used the old zone leaves a mismatch the check repairs."""

from __future__ import annotations

from typing import Any

from gateway.identity.models import Account
from gateway.models import OutboxJob, OutboxStatus
from plugins.callcenter import actors, localisation
from plugins.callcenter.importer import Importer, read_records
from plugins.callcenter.models import Call, LocalisedAccount, TakenMessage
from tests.conftest import Gateway
from tests.gateway.test_jobs import wait_for
from tests.plugins.callcenter.factory import call, jsonl, load
from tests.plugins.callcenter.test_statistics import DAY, MONDAY, WED, total
from tests.support.identity_factory import bearer_for, make_tenant

# 20:00 UTC on Tuesday: 15:00 or 16:00 on Tuesday in Toronto, 05:00 on Wednesday in Tokyo.
LATE = f"{DAY}T20:00:00+00:00"


async def _columns(call_id: str) -> tuple[Any, ...]:
    row = await Call.get(call_id=call_id)
    return (row.local_date.isoformat(), row.local_week.isoformat(), row.local_minute,
            row.local_weekday)


async def test_saving_an_account_with_another_zone_recomputes_its_calls(
        gateway: Gateway) -> None:
    tenant = await make_tenant()
    account = tenant.company  # America/Toronto
    await load([call(account, LATE, call_id="Z1"),
                {"message_id": "ZM1", "account_number": account.id, "taken_at": LATE,
                 "body": "Rappeler"}])
    assert (await _columns("Z1"))[0] == DAY
    assert await LocalisedAccount.get(account_id=account.id).values_list(
        "time_zone", flat=True) == "America/Toronto"
    headers = await bearer_for(tenant.company_admin)
    assert await total(gateway, headers, **{"from": DAY, "to": DAY}) == 1

    fresh = await Account.get(id=account.id)
    fresh.time_zone = "Asia/Tokyo"
    await fresh.save()
    job = await OutboxJob.filter(job=localisation.RELOCALISE_JOB).first()
    assert job is not None and job.payload == {"account_id": account.id}

    async def recomputed() -> bool:
        return (await OutboxJob.get(id=job.id)).status == OutboxStatus.DONE

    await wait_for(recomputed)
    assert await _columns("Z1") == (WED, MONDAY, 5 * 60, 2)  # Wednesday 05:00 in Tokyo
    assert (await TakenMessage.get(message_id="ZM1")).local_date.isoformat() == WED
    assert await total(gateway, headers, **{"from": DAY, "to": DAY}) == 0
    assert await total(gateway, headers, **{"from": WED, "to": WED}, after="05:00",
                       before="05:00", weekdays=["WEDNESDAY"]) == 1
    assert await localisation.stale_accounts() == []
    # Saving the account again, its zone unchanged, queues nothing more.
    await fresh.save()
    assert await OutboxJob.filter(job=localisation.RELOCALISE_JOB).count() == 1


async def _scheduled_check_done() -> None:
    """The gateway's scheduler enqueues the periodic check's current slot as it starts, and a
    worker runs it beside the test: wait until it is over, or its relocalisation (zones
    recorded first, then the rows rewritten) could be half done when the test reads a row."""

    async def over() -> bool:
        statuses = await OutboxJob.filter(job=localisation.RELOCALISE_STALE_JOB).values_list(
            "status", flat=True)
        return bool(statuses) and all(
            status in (OutboxStatus.DONE, OutboxStatus.FAILED) for status in statuses)

    await wait_for(over)


async def test_the_periodic_check_catches_a_zone_changed_without_a_save(
        gateway: Gateway) -> None:
    await _scheduled_check_done()
    tenant = await make_tenant()
    other = await make_tenant("Autre")
    await load([call(tenant.company, LATE, call_id="Z2"), call(other.company, LATE)])
    await Account.filter(id=tenant.company.id).update(time_zone="Asia/Tokyo")
    assert await localisation.stale_accounts() == [tenant.company.id]
    await actors.relocalise_stale({})
    assert await _columns("Z2") == (WED, MONDAY, 5 * 60, 2)
    assert await localisation.stale_accounts() == []
    assert any(p.job == localisation.RELOCALISE_STALE_JOB for p in actors.periodic_jobs())


async def test_an_import_that_used_the_old_zone_is_repaired(gateway: Gateway) -> None:
    await _scheduled_check_done()
    tenant = await make_tenant()
    account = tenant.company
    importer = Importer()  # remembers each account's zone from its first batch
    await importer.feed(list(read_records(jsonl([call(account, LATE, call_id="Z3")])
                                          .splitlines(), "jsonl")))
    await Account.filter(id=account.id).update(time_zone="Asia/Tokyo")
    await localisation.relocalise(account.id)  # the job, run while the import goes on
    assert (await _columns("Z3"))[0] == WED
    await importer.feed(list(read_records(jsonl([call(account, LATE, call_id="Z4")])
                                          .splitlines(), "jsonl")))
    assert (await _columns("Z4"))[0] == DAY  # written in Toronto's zone, too late
    assert await localisation.stale_accounts() == [account.id]
    await actors.relocalise_stale({})
    assert (await _columns("Z4"))[0] == WED
    assert await localisation.stale_accounts() == []
