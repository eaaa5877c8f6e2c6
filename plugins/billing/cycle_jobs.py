"""The cycle's jobs: the periodic close (every hour, it closes the cycle due on the configured
day, the 20th by default, and catches up for a week after an outage; closing is idempotent, so
running it again is free) and the statement emails."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from gateway.api import Job, PeriodicJob, current_host

from .config import PLUGIN_NAME, BillingConfig

log = logging.getLogger(__name__)

CLOSE_JOB = "billing.close_due_cycle"
CATCH_UP_DAYS = 7


async def close_due_cycle(payload: dict[str, Any]) -> None:
    from .closing import close_cycle
    from .cycle import cycle_closing_on
    from .ledger_models import CycleRun, CycleRunStatus
    from .models import OfferItem

    host = current_host()
    if host is None:
        return
    config = host.config_for(PLUGIN_NAME, BillingConfig)
    if not payload.get("today") and not config.close_automatically:
        return  # the scheduler's run: closing is done by hand on this platform
    today = dt.date.fromisoformat(payload["today"]) if payload.get("today") else \
        dt.datetime.now(dt.UTC).date()
    cycle = cycle_closing_on(today, config.close_day)
    if not payload.get("force") and (today - cycle.ends_on).days >= CATCH_UP_DAYS:
        return  # long over: closed then, or to be closed by hand (gateway billing close-cycle)
    if await CycleRun.filter(starts_on=cycle.starts_on, status=CycleRunStatus.DONE).exists():
        return
    if not payload.get("today") and not await OfferItem.all().exists():
        return  # billing not set up on this platform (no reseller has an offer): nothing to bill
    result = await close_cycle(host, config, cycle)
    log.info("billing cycle %s to %s closed: %d statement(s) written", cycle.starts_on,
             cycle.ends_on, result.written)


def jobs() -> list[Job]:
    from .statements import SEND_JOB, send_statement_job

    return [Job(name=CLOSE_JOB, handler=close_due_cycle, max_attempts=5, backoff_seconds=60.0),
            Job(name=SEND_JOB, handler=send_statement_job, max_attempts=5,
                backoff_seconds=30.0)]


def periodic_jobs() -> list[PeriodicJob]:
    return [PeriodicJob(name=CLOSE_JOB, job=CLOSE_JOB, every_seconds=3600)]
