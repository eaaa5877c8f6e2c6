"""Transcription: voicemails transcribed per minute by the offline engine (pocketsphinx, the
en-US model of its wheel) through the whole pipeline: each voicemail stored by the mailbox
(``store``: file, row, transcription job in one transaction), the relay hands the jobs to
Dramatiq, 2 worker threads run ``transcription.transcribe`` (WAV read, resampled to 16 kHz in
pure Python, decoded in a worker thread, transcript stored, email copy queued).

Baseline of the same run: pocketsphinx called directly on the same files (the same resampling
and decoder per thread), 2 at a time in 2 threads, no gateway around it.

    .venv/bin/python -m bench.transcription [--quick] [--database postgres]
        [--set voicemails=N]

Sizes: voicemails (24; quick 6), threads (2). The voicemails are the test suite's English
recordings (tests/plugins/transcription/audio, made with espeak-ng: 6.7 s and 6.0 s).
"""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.support import ROOT, Options, Row, main_for, note, settings_for

BENCHMARK = "Transcription"
AUDIO = ROOT / "tests" / "plugins" / "transcription" / "audio"
FILES = ("order_tomorrow.en.wav", "meeting_friday.en.wav")
TIMEOUT = 1800.0


def _plugins_file(folder: Path) -> Path:
    """plugins.toml with the offline engine approved (the default method then)."""
    text = (ROOT / "plugins.toml").read_text()
    start = text.index("[plugins.transcription]")
    lines = [line for line in text[start:].splitlines() if not line.startswith("config =")]
    path = folder / "plugins.toml"
    folder.mkdir(parents=True, exist_ok=True)
    path.write_text(text[:start] + "\n".join(lines)
                    + '\nconfig = { approved = ["PocketSphinx"] }\n')
    return path


async def through_pipeline(options: Options, voicemails: int, threads: int) -> float:
    """Seconds from the first voicemail stored to the last transcript stored."""
    from bench.support import fresh_database
    from gateway.app import create_app
    from gateway.identity.codes import new_can
    from gateway.identity.models import Account, AccountKind, Reseller, User, UserRole
    from gateway.plugins import PluginHost
    from plugins.account_settings.mailbox import store
    from plugins.account_settings.models import AccountOptions, MailboxKind
    from plugins.transcription.models import TranscriptStatus, VoicemailTranscript

    folder = options.workdir / "transcription"
    settings = settings_for(options.database_url("transcription"), folder,
                            plugins_file=_plugins_file(folder))
    host = PluginHost(settings)
    await fresh_database(host)
    app = create_app(settings, host=host, migrate_on_start=False,
                     job_options={"in_process_workers": True, "worker_threads": threads})
    contents = [(AUDIO / name).read_bytes() for name in FILES]
    async with app.router.lifespan_context(app):
        reseller = await Reseller.create(name="Bench Voix", can=new_can())
        account = await Account.create(reseller=reseller, kind=AccountKind.PROFESSIONAL,
                                       name="Dre Bench", can=new_can(),
                                       email="dre@bench.example")
        # Plenty of room in the mailbox; no email leaves (the address is empty).
        await AccountOptions.create(account_id=account.id, voicemails_on_disk=voicemails + 1)
        user = await User.create(role=UserRole.PROFESSIONAL, reseller=reseller,
                                 account=account, login="dre@bench.example", email="",
                                 first_name="Dre", last_name="Bench", language="en",
                                 password_hash="-")
        started = time.perf_counter()
        for i in range(voicemails):
            await store(host, account_id=account.id, user_id=user.id,
                        kind=MailboxKind.VOICEMAIL, content=contents[i % len(contents)],
                        content_type="audio/wav", caller_number=f"+1514555{i:04d}")
        deadline = time.monotonic() + TIMEOUT
        while (settled := await VoicemailTranscript.filter(
                status__not=TranscriptStatus.PENDING).count()) < voicemails:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{settled} of {voicemails} voicemails transcribed")
            await asyncio.sleep(0.05)
        seconds = time.perf_counter() - started
        done = await VoicemailTranscript.filter(status=TranscriptStatus.DONE).count()
        if done != voicemails:
            raise RuntimeError(f"only {done} of {voicemails} voicemails transcribed")
    note(f"transcription: pipeline: {voicemails} voicemails in {seconds:.1f} s")
    return seconds


def direct(voicemails: int, threads: int) -> float:
    """Seconds for pocketsphinx called directly on the same files, ``threads`` at a time."""
    from plugins.transcription.providers.offline import transcribe_wav

    contents = [(AUDIO / name).read_bytes() for name in FILES]
    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        results = list(pool.map(transcribe_wav,
                                (contents[i % len(contents)] for i in range(voicemails))))
    seconds = time.perf_counter() - started
    assert all(r.text for r in results)
    note(f"transcription: direct: {voicemails} voicemails in {seconds:.1f} s")
    return seconds


def run(options: Options) -> list[Row]:
    voicemails = int(options.size("voicemails", 24, 6))
    threads = int(options.size("threads", 2, 2))
    baseline = direct(voicemails, threads)
    seconds = asyncio.run(through_pipeline(options, voicemails, threads))
    per_minute = voicemails * 60 / seconds
    direct_per_minute = voicemails * 60 / baseline
    return [Row(BENCHMARK, f"voicemails/min transcribed by the offline engine through the "
                f"pipeline ({threads} workers)",
                f"{per_minute:,.1f}/min ({voicemails} voicemails in {seconds:.1f} s)",
                f"pocketsphinx directly, {threads} threads: {direct_per_minute:,.1f}/min",
                baseline / seconds, f"{options.database}, 6–7 s English recordings")]


if __name__ == "__main__":
    main_for("transcription", run, __doc__.splitlines()[0])
