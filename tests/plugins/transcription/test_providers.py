"""The providers offered to users are the system admin's approved list (audited), plus NONE;
an integrator's provider installed with pip is found through its entry point only, approved,
chosen and used like a built-in one. The contract's edges: failures of each kind."""

from __future__ import annotations

import importlib
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from gateway.api import Audio, TranscriptionFailed
from gateway.identity.models import Account, AuditEntry
from plugins.transcription.models import TranscriptStatus
from plugins.transcription.providers.google import GoogleSpeechProvider
from plugins.transcription.providers.mutare import MutareProvider
from plugins.transcription.providers.offline import OfflineProvider
from tests.conftest import ROOT, Gateway
from tests.plugins.transcription.conftest import (
    AUDIO,
    MUTARE_KEY,
    StandIn,
    Voice,
    run_gateway,
    settled,
    transcription_config,
)

PACKAGE_SOURCE = ROOT / "tests" / "fixtures" / "transcription_provider"
PROVIDERS = """{ transcriptionProviders { name label languages approved source sendOnly } }"""
APPROVE = """mutation($names: [String!]!) {
  approveTranscriptionProviders(input: {names: $names}) {
    providers { name approved source } errors { code field message } } }"""
OPTIONS = """query($id: ID!) { accountOptions(accountId: $id) {
  transcription { method choices } } }"""
CHOOSE = """mutation($input: UpdateAccountOptionsInput!) { updateAccountOptions(input: $input) {
  errors { code field message } } }"""


@pytest.fixture(scope="module")
def acme_package(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Install tests/fixtures/transcription_provider with pip (offline, into a folder of this
    session) as an integrator's package would be, and put it on the path."""
    source = tmp_path_factory.mktemp("acme-src") / "transcription_provider"
    shutil.copytree(PACKAGE_SOURCE, source,
                    ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    target = tmp_path_factory.mktemp("acme-site")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "--no-deps", "--no-build-isolation", "--no-index", "--target", str(target),
         str(source)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"installing the provider package failed:\n{result.stderr}"
    sys.path.insert(0, str(target))
    importlib.invalidate_caches()
    try:
        yield target
    finally:
        sys.path.remove(str(target))
        importlib.invalidate_caches()
        for name in [m for m in sys.modules if m.startswith("acme_transcription")]:
            del sys.modules[name]


@pytest.fixture(scope="module")
async def voice_gateway(acme_package: Path, migrated: str, stand_in: StandIn, smtp: Any,
                        tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Gateway]:
    """The gateway, with the package installed; plugins.toml approves Mutare only."""
    mp = pytest.MonkeyPatch()
    mp.setenv("TEST_MUTARE_KEY", MUTARE_KEY)
    try:
        async for running in run_gateway(tmp_path_factory.mktemp("providers"), migrated,
                                         transcription_config(stand_in, ["Mutare"]), smtp):
            yield running
    finally:
        mp.undo()


async def choices(voice: Voice) -> dict[str, Any]:
    account = voice.tenant.professional_account.id
    from tests.plugins.transcription.conftest import gid

    return (await voice.call("professional", OPTIONS, {"id": gid("Account", account)})
            )["accountOptions"]["transcription"]  # type: ignore[no-any-return]


async def test_the_system_admin_approves_and_an_integrators_package_transcribes(
        voice: Voice) -> None:
    from tests.plugins.transcription.conftest import gid

    # Before any decision: the setting of plugins.toml (Mutare), the default method.
    assert await choices(voice) == {"method": "Mutare", "choices": ["Mutare", "NONE"]}
    # The system admin sees every installed provider; the package's, found by its entry point.
    every = (await voice.call("sysadmin", PROVIDERS))["transcriptionProviders"]
    by_name = {p["name"]: p for p in every}
    assert set(by_name) == {"AcmeScribe", "GoogleSpeech", "Mutare", "MyScribbit",
                            "PocketSphinx", "NONE"}
    assert by_name["AcmeScribe"] == {
        "name": "AcmeScribe", "label": "Acme Scribe: transcription by Acme (English and "
        "French).", "languages": ["en", "fr"], "approved": False, "source": "package",
        "sendOnly": False}
    assert by_name["PocketSphinx"]["languages"] == ["en"]
    assert by_name["MyScribbit"]["sendOnly"] is True
    assert (by_name["Mutare"]["approved"], by_name["Mutare"]["source"]) == (True, "built in")
    # Subscribers see the offered ones, labels in their language.
    await voice.choose(None, language="fr")
    offered = (await voice.call("professional", PROVIDERS))["transcriptionProviders"]
    assert [(p["name"], p["label"]) for p in offered] == [
        ("Mutare", "Mutare : transcription vocale bilingue (anglais et français) fournie par "
                   "Mutare."),
        ("NONE", "Aucun : pas de transcription.")]

    # Refused names are reported with their place in the list; nothing changes.
    refused = (await voice.call("sysadmin", APPROVE, {"names": ["Mutare", "Whisper",
                                                                "mutare"]})
               )["approveTranscriptionProviders"]
    assert refused["providers"] is None
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [
        ("UNKNOWN_PROVIDER", ["input", "names", "1"]), ("INVALID", ["input", "names", "2"])]
    too_many = (await voice.call("sysadmin", APPROVE, {"names": ["x"] * 51})
                )["approveTranscriptionProviders"]
    assert too_many["errors"][0]["code"] == "TOO_MANY"
    # Only a system admin decides.
    denied = await voice.gateway.graphql(APPROVE, {"names": ["AcmeScribe"]},
                                         **voice.headers["staff"])
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    approved = (await voice.call("sysadmin", APPROVE, {"names": ["acmescribe",
                                                                 "PocketSphinx"]})
                )["approveTranscriptionProviders"]
    assert approved["errors"] == []
    assert {p["name"] for p in approved["providers"] if p["approved"]} == {
        "AcmeScribe", "PocketSphinx", "NONE"}
    audited = [entry.detail for entry in await AuditEntry.filter(action="MUTATION")]
    assert any(d["field"] == "approveTranscriptionProviders" and d["outcome"] == "OK"
               and d["variables"]["names"] == ["acmescribe", "PocketSphinx"]
               for d in audited), audited
    # Mutare is no longer offered: the default becomes the first offered one.
    assert (await choices(voice))["choices"] == ["AcmeScribe", "PocketSphinx", "NONE"]

    # The reseller chooses the package's provider in the professional's Options page...
    chosen = (await voice.call("staff", CHOOSE, {"input": {
        "accountId": gid("Account", voice.tenant.professional_account.id),
        "transcription": {"method": "acmescribe"}}}))["updateAccountOptions"]
    assert chosen["errors"] == []
    assert (await choices(voice))["method"] == "AcmeScribe"
    # ...and it transcribes the voicemails.
    row = await settled(await voice.voicemail())
    account = await Account.get(id=voice.tenant.professional_account.id)
    assert (row.status, row.provider, row.language, row.confidence) == (
        TranscriptStatus.DONE, "AcmeScribe", "fr", 0.5)
    assert row.text == f"Acme heard 6.7 secondes for {account.name}"
    # Asking again with a provider no longer approved is refused.
    again = (await voice.call("professional", """mutation($input: TranscribeVoicemailInput!) {
      transcribeVoicemail(input: $input) { errors { code field message } } }""", {"input": {
        "voicemailId": gid("MailboxMessage", row.message_id), "provider": "Mutare"}}))
    [error] = again["transcribeVoicemail"]["errors"]
    assert (error["code"], error["field"]) == ("NOT_APPROVED", ["input", "provider"])
    assert "ne fait pas partie des fournisseurs homologués" in error["message"]
    # Approving nothing leaves NONE alone.
    await voice.call("sysadmin", APPROVE, {"names": []})
    assert await choices(voice) == {"method": "NONE", "choices": ["NONE"]}
    await voice.call("sysadmin", APPROVE, {"names": ["Mutare"]})


# --- the providers' own edges (their real code, no gateway around them) ---------------------


def audio(name: str = "order_tomorrow.en.wav", content_type: str = "audio/wav") -> Audio:
    return Audio(content=(AUDIO / name).read_bytes(), content_type=content_type,
                 reference="vm-test")


async def test_failures_say_whether_trying_again_helps(stand_in: StandIn) -> None:
    account = Account(id=1, name="Dre Test")
    base = f"http://127.0.0.1:{stand_in.port}"
    stand_in.reset()

    async def failure(provider: Any, language: str = "en", item: Audio | None = None
                      ) -> TranscriptionFailed:
        with pytest.raises(TranscriptionFailed) as caught:
            await provider.transcribe(item or audio(), language, account)
        return caught.value

    wrong_key = await failure(MutareProvider(f"{base}/mutare", "wrong"))
    assert (wrong_key.code, wrong_key.retryable) == ("KEY_REFUSED", False)
    stand_in.script["mutare"].append((422, {"error": "unreadable"}))
    refused = await failure(MutareProvider(f"{base}/mutare", MUTARE_KEY))
    assert (refused.code, refused.retryable) == ("REFUSED", False)
    nobody = await failure(MutareProvider("http://127.0.0.1:9/none", MUTARE_KEY))
    assert (nobody.code, nobody.retryable) == ("UNAVAILABLE", True)
    stand_in.script["mutare"].append((200, {"words": "not the contract"}))
    garbled = await failure(MutareProvider(f"{base}/mutare", MUTARE_KEY))
    assert (garbled.code, garbled.retryable) == ("UNAVAILABLE", True)

    google = GoogleSpeechProvider(base, "wrong-key")
    assert (await failure(google)).code == "KEY_REFUSED"
    stand_in.script["google"].append((503, {"error": {"code": 503, "message": "down",
                                                      "status": "UNAVAILABLE"}}))
    outage = await failure(GoogleSpeechProvider(base, "google-test-key"))
    assert (outage.code, outage.retryable) == ("UNAVAILABLE", True)
    mp3 = await failure(google, item=audio(content_type="audio/mpeg"))
    assert (mp3.code, mp3.retryable) == ("FORMAT_NOT_SUPPORTED", False)
    assert "does not read audio/mpeg files" in mp3.reason.en

    offline = OfflineProvider()
    french = await failure(offline, "fr")
    assert (french.code, french.retryable) == ("LANGUAGE_NOT_SUPPORTED", False)
    broken = await failure(offline, item=Audio(content=b"RIFF\x00\x00\x00\x00WAVEjunk",
                                               content_type="audio/wav"))
    assert (broken.code, broken.retryable) == ("FORMAT_NOT_SUPPORTED", False)


def test_resampling_keeps_the_length_and_the_signal() -> None:
    import io
    import math
    import wave
    from array import array

    from plugins.transcription.audio import wav_to_pcm16

    # One second of a 440 Hz tone, stereo 44.1 kHz: 16,000 mono samples of the same tone.
    frames = array("h")
    for i in range(44_100):
        value = int(8000 * math.sin(2 * math.pi * 440 * i / 44_100))
        frames.extend((value, value))
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(2)
        writer.setsampwidth(2)
        writer.setframerate(44_100)
        writer.writeframes(frames.tobytes())
    pcm = array("h")
    pcm.frombytes(wav_to_pcm16(buffer.getvalue()))
    assert len(pcm) == 16_000
    crossings = sum(1 for a, b in zip(pcm, pcm[1:], strict=False) if a < 0 <= b)
    assert 435 <= crossings <= 445
    assert 7000 < max(pcm) <= 8000


