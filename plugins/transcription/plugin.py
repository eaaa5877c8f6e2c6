"""The voicemail transcription plugin (seed: "Transcription de messages vocaux"): providers
Mutare, Google Speech, MyScribbit and the offline engine (pocketsphinx), plus those of
installed packages (entry-point group ``gateway.transcription_providers``) and of other plugins;
the system admin's approved list; the pipeline from the mailbox to the email copy.

Hook implementations only; the rules are in ``services`` and ``registry``, the providers in
``providers/``, the GraphQL in ``schema``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

from gateway.api import Command, Job, ModelApp, PluginHost, hookimpl

log = logging.getLogger("gateway.transcription")
_refreshers: dict[int, asyncio.Task[None]] = {}


@hookimpl
def gateway_models(gateway: PluginHost) -> ModelApp:
    return ModelApp(label="transcription", models=["plugins.transcription.models"],
                    migrations="plugins.transcription.migrations")


@hookimpl
def gateway_query(gateway: PluginHost) -> type:
    from plugins.transcription.schema import TranscriptionQuery

    return TranscriptionQuery


@hookimpl
def gateway_mutation(gateway: PluginHost) -> type:
    from plugins.transcription.schema import TranscriptionMutation

    return TranscriptionMutation


@hookimpl
def gateway_jobs(gateway: PluginHost) -> Job:
    from plugins.transcription import services
    from plugins.transcription.config import config_of

    config = config_of(gateway)

    async def transcribe(payload: dict[str, Any]) -> None:
        await services.run_job(gateway, payload)

    return Job(name=services.JOB, handler=transcribe, max_attempts=config.max_attempts,
               backoff_seconds=config.backoff_seconds)


@hookimpl
def gateway_commands(gateway: PluginHost) -> Command:
    from plugins.transcription.commands import transcription_command

    return transcription_command


@hookimpl
def gateway_email_templates(gateway: PluginHost) -> Path:
    return Path(__file__).resolve().parent / "templates"


@hookimpl
def gateway_provider(gateway: PluginHost, kind: str, name: str) -> object | None:
    """This plugin's providers and the installed packages' (approved or not: a job started
    before a change of the approved list still finds its provider)."""
    from plugins.transcription.registry import KIND, registry_of

    if kind != KIND:
        return None
    registry = registry_of(gateway)
    found = {**registry.packages, **registry.own}
    lowered = {n.lower(): p for n, p in found.items()}
    return lowered.get(name.lower())


@hookimpl
def gateway_provider_names(gateway: PluginHost, kind: str) -> list[str] | None:
    """What users may choose: the approved providers (the account settings add NONE)."""
    from plugins.transcription.registry import KIND, registry_of

    if kind != KIND:
        return None
    return registry_of(gateway).offered()


@hookimpl
def gateway_voicemail_received(gateway: PluginHost, message_id: int, account_id: int,
                               user_id: int) -> Awaitable[bool]:
    from plugins.transcription import services

    return services.voicemail_received(gateway, message_id, account_id, user_id)


@hookimpl
def gateway_startup(gateway: PluginHost) -> Awaitable[None]:
    from plugins.transcription.config import config_of
    from plugins.transcription.registry import registry_of

    config = config_of(gateway)  # parsed once: a bad key or value stops start-up
    registry = registry_of(gateway)

    async def start() -> None:
        await registry.refresh()

        async def refresh_forever() -> None:
            while True:
                await asyncio.sleep(config.approvals_refresh_seconds)
                try:
                    await registry.refresh()
                except Exception:  # the database may be away a moment: next time
                    log.warning("transcription approvals not refreshed", exc_info=True)

        _refreshers[id(gateway)] = asyncio.create_task(refresh_forever())

    return start()


@hookimpl
def gateway_shutdown(gateway: PluginHost) -> Awaitable[None] | None:
    task = _refreshers.pop(id(gateway), None)
    if task is None:
        return None

    async def stop() -> None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    return stop()
