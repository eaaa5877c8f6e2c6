"""The callcenter plugin's jobs: reports sent by email, retention, and the account-local columns
recomputed after a time zone change (``localisation``)."""

from __future__ import annotations

from typing import Any

from gateway.api import (
    Attachment,
    Job,
    PeriodicJob,
    PluginHost,
    Reseller,
    current_host,
    send_email,
)
from plugins.callcenter import exports, localisation, reports, services
from plugins.callcenter.config import PLUGIN_NAME, CallCenterConfig
from plugins.callcenter.exports import EMAIL_REPORT_JOB
from plugins.callcenter.localisation import RELOCALISE_JOB, RELOCALISE_STALE_JOB

PURGE_JOB = "callcenter.purge"


def _host() -> PluginHost:
    """The gateway whose job runtime runs the job."""
    host = current_host()
    if host is None:
        raise RuntimeError("callcenter jobs run in a started gateway's job runtime")
    return host


async def email_report(payload: dict[str, Any]) -> None:
    """Build the report file and send it as an attachment. The email's dedupe key is this
    job's outbox id, so a retried job sends it once."""
    host = _host()
    config = host.config_for(PLUGIN_NAME, CallCenterConfig)
    scope = exports.scope_from(payload["scope"])
    language = payload["language"]
    name, content_type, body = await exports.report_file(
        payload["report"], payload["format"], scope, payload["filter"], language,
        config.export_max_rows)
    reseller = await Reseller.get_or_none(id=payload.get("reseller_id") or -1)
    title = reports.TITLES[payload["report"]].render(language)
    await send_email(to=payload["to"], template="callcenter_report", language=language,
                     values={"report": title, "file": name,
                             "reseller": reseller.name if reseller else ""},
                     attachments=[Attachment(name, content_type.split(";")[0], body)],
                     dedupe_key=f"callcenter.report:{payload.get('outbox_id')}", gateway=host)


async def purge(payload: dict[str, Any]) -> None:
    """Remove calls, messages and recordings past each reseller's retention window."""
    host = _host()
    await services.purge_expired(host, host.config_for(PLUGIN_NAME, CallCenterConfig))


async def relocalise(payload: dict[str, Any]) -> None:
    """Recompute one account's local columns in its current time zone."""
    await localisation.relocalise(int(payload["account_id"]))


async def relocalise_stale(payload: dict[str, Any]) -> None:
    """Recompute the local columns of every account whose time zone changed without the save
    listener seeing it (a queryset update, SQL)."""
    for account_id in await localisation.stale_accounts():
        await localisation.relocalise(account_id)


def jobs() -> list[Job]:
    return [Job(name=EMAIL_REPORT_JOB, handler=email_report, max_attempts=3,
                backoff_seconds=30.0),
            Job(name=PURGE_JOB, handler=purge, max_attempts=5, backoff_seconds=300.0),
            Job(name=RELOCALISE_JOB, handler=relocalise, max_attempts=5, backoff_seconds=60.0),
            Job(name=RELOCALISE_STALE_JOB, handler=relocalise_stale, max_attempts=3,
                backoff_seconds=60.0)]


def periodic_jobs() -> list[PeriodicJob]:
    return [PeriodicJob(name=PURGE_JOB, job=PURGE_JOB, every_seconds=3600),
            PeriodicJob(name=RELOCALISE_STALE_JOB, job=RELOCALISE_STALE_JOB,
                        every_seconds=900)]
