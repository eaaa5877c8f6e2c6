"""``gateway transcription``: the providers (installed, approved) and asking again for the
transcriptions every attempt of which failed (after a provider's outage), with a progress bar.
A running ``serve`` or ``worker`` does the work."""

from __future__ import annotations

import argparse
import asyncio
import sys

from gateway.api import Command, PluginHost, Problem, close_db, init_db


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.description = ("Voicemail transcription. `providers` lists the installed providers "
                          "and whether users may choose them; `retry` asks again for the "
                          "transcriptions that failed (a running serve or worker does them).")
    actions = parser.add_subparsers(dest="transcription_action", metavar="ACTION",
                                    required=True)
    actions.add_parser("providers", help="List the installed providers and their approval.")
    retry = actions.add_parser("retry", help="Ask again for every FAILED transcription.")
    retry.add_argument("--provider", default=None,
                       help="an approved provider to use instead of each one's own")
    retry.add_argument("--limit", type=int, default=10_000,
                       help="at most this many, oldest first (default 10000)")


def _providers(host: PluginHost) -> int:
    from plugins.transcription.registry import registry_of

    registry = registry_of(host)

    async def read_decision() -> None:
        await init_db(host)
        try:
            await registry.refresh()
        finally:
            await close_db()

    try:
        asyncio.run(read_decision())
    except Exception as error:  # not migrated yet, database away: say so, list anyway
        print(f"the system admin's decision could not be read ({type(error).__name__}: "
              f"{error}); showing plugins.toml's `approved`", file=sys.stderr)
    approved = registry.approved_names()
    for name, found in sorted(registry.installed().items(), key=lambda kv: kv[0].lower()):
        state = "approved" if name.lower() in approved else "not approved"
        languages = ",".join(sorted(found.provider.languages))
        print(f"{name:<20} {state:<13} {languages:<6} {found.source:<10} "
              f"{found.provider.label.render('en')}")
    for point, why in sorted(registry.package_errors.items()):
        print(f"{point:<20} not loaded    {why}", file=sys.stderr)
    return 0


def _retry(host: PluginHost, args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from plugins.transcription import services
    from plugins.transcription.models import TranscriptStatus, VoicemailTranscript

    async def main() -> int:
        from plugins.transcription.registry import registry_of

        await init_db(host)
        try:
            await registry_of(host).refresh()
            total = min(await VoicemailTranscript.filter(
                status=TranscriptStatus.FAILED).count(), args.limit)
            done = 0
            with tqdm(total=total, unit="voicemail", desc="asking again",
                      file=sys.stderr) as bar:
                while done < total:
                    batch = await services.retry_failed(host, args.provider,
                                                        min(500, total - done))
                    if not batch:
                        break
                    done += len(batch)
                    bar.update(len(batch))
            return done
        finally:
            await close_db()

    try:
        count = asyncio.run(main())
    except Problem as problem:
        print(problem.message("en"), file=sys.stderr)
        return 2
    print(f"{count} transcription(s) asked again.")
    return 0


def _run(host: PluginHost, args: argparse.Namespace) -> int:
    if args.transcription_action == "providers":
        return _providers(host)
    return _retry(host, args)


transcription_command = Command(
    name="transcription",
    help="Voicemail transcription: `transcription providers`, `transcription retry`.",
    run=_run, configure=_configure)
