"""The pipeline end to end: a voicemail handed over by the platform is transcribed by a job
with the account's provider (Mutare and Google against stand-ins of their APIs, through the
real clients; the offline engine on real speech), the transcript is stored and searchable
through GraphQL, and the user's email copy carries it; outages are retried then reported."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from gateway.jobs.outbox import rerun
from gateway.models import OutboxJob
from plugins.account_settings.models import MailboxMessage
from plugins.clients.services import set_test_mode
from plugins.transcription.models import TranscriptStatus, VoicemailTranscript
from tests.conftest import ROOT
from tests.plugins.transcription.conftest import (
    AUDIO,
    GOOGLE_KEY,
    MUTARE_KEY,
    StandIn,
    Voice,
    body_of,
    emails,
    gid,
    settled,
)

VOICEMAILS = """query($accountId: ID!, $search: String, $first: Int, $userId: ID) {
  voicemails(accountId: $accountId, search: $search, first: $first, userId: $userId) {
    totalCount nodes { id callerName callerNumber downloadUrl
      transcription { status provider language text confidence reason reasonCode attempts
        completedAt } } } }"""
AGAIN = """mutation($input: TranscribeVoicemailInput!) { transcribeVoicemail(input: $input) {
  voicemail { id transcription { status provider } } errors { code field message } } }"""


async def listed(voice: Voice, who: str = "professional", **variables: Any) -> dict[str, Any]:
    variables.setdefault("accountId", gid("Account", voice.tenant.professional_account.id))
    return (await voice.call(who, VOICEMAILS, variables))["voicemails"]


async def test_mutare_is_the_default_and_the_copy_carries_the_transcript(
        voice: Voice, stand_in: StandIn, smtp: Any) -> None:
    await voice.choose(None)  # never chosen: the system default, Mutare
    message_id = await voice.voicemail()
    row = await settled(message_id)
    assert (row.status, row.provider, row.language) == (TranscriptStatus.DONE, "Mutare", "en")
    wav = (AUDIO / "order_tomorrow.en.wav").read_bytes()
    assert row.text == f"Mutare heard {len(wav)} bytes in en-US"
    assert row.confidence == 0.91
    [sent] = stand_in.mutare  # the real client: key, language, type and the file itself
    assert sent["headers"]["Authorization"] == f"Bearer {MUTARE_KEY}"
    assert sent["params"]["language"] == "en-US" and sent["params"]["reference"]
    assert sent["headers"]["Content-Type"] == "audio/wav" and sent["body"] == wav
    # One email copy, sent once the transcript is in, with the file attached.
    [copy] = await emails(smtp, 1)
    assert copy["To"] == voice.tenant.professional.email
    assert f"Transcript (Mutare): Mutare heard {len(wav)} bytes in en-US" in body_of(copy)
    [attachment] = list(copy.iter_attachments())
    assert attachment.get_content() == wav
    # Visible with the voicemail, and searchable, through GraphQL.
    page = await listed(voice)
    assert page["totalCount"] == 1
    [node] = page["nodes"]
    assert node["id"] == gid("MailboxMessage", message_id)
    assert node["transcription"]["text"].startswith("Mutare heard")
    assert (node["transcription"]["status"], node["transcription"]["confidence"]) == ("DONE",
                                                                                    0.91)
    assert node["downloadUrl"].startswith("http://testserver/mailbox/files/")
    assert (await listed(voice, search="HEARD"))["totalCount"] == 1
    assert (await listed(voice, search="boulangerie"))["totalCount"] == 1  # the caller's name
    assert (await listed(voice, search="nothing like it"))["totalCount"] == 0
    # Another reseller's staff, or an account id of another tenant: nothing.
    assert (await listed(voice, "other staff"))["totalCount"] == 0
    assert (await listed(voice, accountId=gid("Account", voice.other.company.id)))[
        "totalCount"] == 0
    # A colleague of another account of the reseller sees no one else's mailbox.
    assert (await listed(voice, "employee"))["totalCount"] == 0


async def test_google_speech_in_french_through_the_official_client(
        voice: Voice, stand_in: StandIn, smtp: Any) -> None:
    await voice.choose("GoogleSpeech", language="fr")
    message_id = await voice.voicemail("boulangerie.fr.wav")
    row = await settled(message_id)
    assert (row.status, row.provider, row.language) == (TranscriptStatus.DONE, "GoogleSpeech",
                                                        "fr")
    assert row.text == "Google a entendu fr-CA merci"
    assert abs((row.confidence or 0) - 0.81) < 1e-6  # the mean of the results' confidences
    [sent] = stand_in.google
    assert sent["headers"]["x-goog-api-key"] == GOOGLE_KEY
    assert sent["request"]["config"]["languageCode"] == "fr-CA"
    assert sent["audio"] == (AUDIO / "boulangerie.fr.wav").read_bytes()
    [copy] = await emails(smtp, 1)
    assert "Transcription (GoogleSpeech) : Google a entendu fr-CA merci" in body_of(copy)


async def test_an_outage_is_retried_with_backoff_then_transcribed(
        voice: Voice, stand_in: StandIn, smtp: Any) -> None:
    await voice.choose("Mutare")
    stand_in.script["mutare"] += [(503, {"error": "down"}), (429, {"error": "slow down"})]
    message_id = await voice.voicemail()
    row = await settled(message_id)
    assert (row.status, row.attempts) == (TranscriptStatus.DONE, 3)
    assert len(stand_in.mutare) == 3
    assert len(await emails(smtp, 1)) == 1  # one copy, after the transcript


async def test_a_long_outage_is_reported_on_the_voicemail_and_in_the_jobs(
        voice: Voice, stand_in: StandIn, smtp: Any) -> None:
    await voice.choose("Mutare", language="fr")
    stand_in.script["mutare"] += [(503, {"error": "down"})] * 3
    message_id = await voice.voicemail()
    row = await settled(message_id)
    assert (row.status, row.reason_code, row.attempts) == (TranscriptStatus.FAILED,
                                                           "UNAVAILABLE", 3)
    assert "failed 3 times" in row.reason_en and "HTTP 503" in row.reason_en
    assert "a échoué 3 fois" in row.reason_fr
    job = await OutboxJob.filter(job="transcription.transcribe").order_by("-id").first()
    assert job is not None and job.status == "failed" and "HTTP 503" in (job.last_error or "")
    # The voicemail is kept, listed with the reason in the reader's language, and emailed.
    assert await MailboxMessage.filter(id=message_id).exists()
    [copy] = await emails(smtp, 1)
    assert "n'a pas pu être transcrit (Mutare)" in body_of(copy)
    [node] = (await listed(voice))["nodes"]  # in the reader's language
    assert node["transcription"]["status"] == "FAILED"
    assert "Mutare n'a pas répondu" in node["transcription"]["reason"]
    # `gateway jobs rerun` once Mutare is back: transcribed, and no second copy.
    assert await rerun(job.id) is not None
    row = await settled(message_id, status=TranscriptStatus.DONE)
    assert (row.status, row.reason_code) == (TranscriptStatus.DONE, "")
    assert row.text.startswith("Mutare heard")
    assert len(smtp.messages) == 1


async def test_the_offline_engine_transcribes_english_speech(voice: Voice, smtp: Any) -> None:
    await voice.choose("PocketSphinx")
    message_id = await voice.voicemail("order_tomorrow.en.wav")
    row = await settled(message_id)
    assert (row.status, row.provider) == (TranscriptStatus.DONE, "PocketSphinx")
    words = set(row.text.split())
    assert {"order", "tomorrow", "morning"} <= words, row.text
    assert row.confidence is not None and 0 < row.confidence <= 1
    [copy] = await emails(smtp, 1)
    assert "tomorrow morning" in body_of(copy)
    # And the second recording: its distinctive words come out.
    second = await settled(await voice.voicemail("meeting_friday.en.wav"))
    assert {"friday", "afternoon"} <= set(second.text.split()), second.text


async def test_the_offline_engine_says_it_does_not_do_french(voice: Voice, smtp: Any) -> None:
    await voice.choose("PocketSphinx", language="fr")
    message_id = await voice.voicemail("boulangerie.fr.wav")
    row = await settled(message_id)
    assert (row.status, row.reason_code, row.text) == (TranscriptStatus.UNTRANSCRIBED,
                                                       "LANGUAGE_NOT_SUPPORTED", "")
    assert row.reason_fr == ("PocketSphinx ne transcrit pas les messages vocaux en français.")
    assert row.reason_en == "PocketSphinx does not transcribe French voicemails."
    [copy] = await emails(smtp, 1)
    assert "n'a pas pu être transcrit (PocketSphinx)" in body_of(copy)
    job = await OutboxJob.filter(job="transcription.transcribe").order_by("-id").first()
    assert job is not None and job.status == "done"  # not retried: it would not help


async def test_myscribbit_gets_the_voicemail_by_email(voice: Voice, smtp: Any) -> None:
    await voice.choose("MyScribbit", email="dre.tremblay@myscribbit.example")
    message_id = await voice.voicemail()
    row = await settled(message_id)
    assert (row.status, row.text) == (TranscriptStatus.FORWARDED, "")
    sent = await emails(smtp, 2)
    to_scribbit = next(m for m in sent if m["To"] == "dre.tremblay@myscribbit.example")
    assert to_scribbit["Reply-To"] == voice.tenant.professional.email
    [attachment] = list(to_scribbit.iter_attachments())
    assert attachment.get_content() == (AUDIO / "order_tomorrow.en.wav").read_bytes()
    copy = next(m for m in sent if m["To"] == voice.tenant.professional.email)
    assert "sent to MyScribbit (dre.tremblay@myscribbit.example)" in body_of(copy)


async def test_choosing_myscribbit_needs_the_users_address(voice: Voice, smtp: Any) -> None:
    await voice.choose("Mutare", language="fr")
    message_id = await voice.voicemail()
    await settled(message_id)
    refused = (await voice.call("professional", AGAIN, {"input": {
        "voicemailId": gid("MailboxMessage", message_id), "provider": "MyScribbit"}}
    ))["transcribeVoicemail"]
    assert refused["voicemail"] is None
    [error] = refused["errors"]
    assert (error["code"], error["field"]) == ("EMAIL_REQUIRED", ["input", "provider"])
    assert "adresse courriel du compte MyScribbit" in error["message"]
    # The Options page refuses the choice too (the account settings plugin's rule).
    options = await voice.call("staff", """mutation($input: UpdateAccountOptionsInput!) {
      updateAccountOptions(input: $input) { errors { code field } } }""", {"input": {
        "accountId": gid("Account", voice.tenant.professional_account.id),
        "transcription": {"method": "MyScribbit"}}})
    assert options["updateAccountOptions"]["errors"] == [
        {"code": "REQUIRED", "field": ["input", "transcription", "email"]}]


async def test_test_mode_emails_nothing_but_transcribes(voice: Voice, smtp: Any) -> None:
    before = await OutboxJob.all().order_by("-id").first()
    await set_test_mode(voice.tenant.professional_account.id, True)
    await voice.choose("MyScribbit", email="dre@myscribbit.example")
    scribbit = await settled(await voice.voicemail())
    assert (scribbit.status, scribbit.reason_code) == (TranscriptStatus.UNTRANSCRIBED,
                                                       "TEST_MODE")
    await voice.choose("Mutare")
    mutare = await settled(await voice.voicemail())
    assert mutare.status == TranscriptStatus.DONE and mutare.copy_sent
    email_jobs = await OutboxJob.filter(job="email.send", id__gt=before.id if before else 0
                                        ).count()
    assert email_jobs == 0 and smtp.messages == []


async def test_none_leaves_the_copy_to_the_mailbox(voice: Voice, smtp: Any) -> None:
    await voice.choose("NONE")
    message_id = await voice.voicemail()
    [copy] = await emails(smtp, 1)
    assert "Transcript" not in body_of(copy)
    assert not await VoicemailTranscript.filter(message_id=message_id).exists()
    [node] = (await listed(voice))["nodes"]
    assert node["transcription"] is None


async def test_asking_again_with_another_provider(voice: Voice, stand_in: StandIn,
                                                  smtp: Any) -> None:
    await voice.choose("Mutare")
    message_id = await voice.voicemail()
    await settled(message_id)
    voicemail_id = gid("MailboxMessage", message_id)
    again = (await voice.call("staff", AGAIN, {"input": {
        "voicemailId": voicemail_id, "provider": "googlespeech"}}))["transcribeVoicemail"]
    assert again["errors"] == []
    assert again["voicemail"]["transcription"] == {"status": "PENDING",
                                                   "provider": "GoogleSpeech"}
    row = await settled(message_id)
    assert (row.provider, row.text) == ("GoogleSpeech", "Google a entendu en-US merci")
    assert len(smtp.messages) == 1  # the copy is not sent again

    async def refused(who: str, provider: str, target: str = voicemail_id) -> dict[str, Any]:
        payload = (await voice.call(who, AGAIN, {"input": {
            "voicemailId": target, "provider": provider}}))["transcribeVoicemail"]
        assert payload["voicemail"] is None
        [error] = payload["errors"]
        return error  # type: ignore[no-any-return]

    unknown = await refused("professional", "Whisper")
    assert (unknown["code"], unknown["field"]) == ("UNKNOWN_PROVIDER", ["input", "provider"])
    assert "Mutare" in unknown["message"]
    assert (await refused("professional", "NONE"))["code"] == "REQUIRED"
    # Another tenant's voicemail, or a colleague's: not found, never forbidden.
    assert (await refused("other staff", "Mutare"))["code"] == "NOT_FOUND"
    assert (await refused("employee", "Mutare"))["code"] == "NOT_FOUND"
    fax_or_missing = await refused("staff", "Mutare", gid("MailboxMessage", 10**9))
    assert (fax_or_missing["code"], fax_or_missing["field"]) == ("NOT_FOUND",
                                                                 ["input", "voicemailId"])


async def test_a_voicemail_page_costs_the_same_sql_whatever_its_size(
        voice: Voice, count_queries: Any) -> None:
    await voice.choose("Mutare")
    for _ in range(4):
        await settled(await voice.voicemail())
    counts = {}
    for first in (1, 4):
        with count_queries() as statements:
            page = await listed(voice, first=first)
        assert len(page["nodes"]) == first
        assert all(n["transcription"]["status"] == "DONE" for n in page["nodes"])
        counts[first] = len(statements)
    assert counts[1] == counts[4]


async def test_gateway_transcription_retry_asks_again_for_the_failed_ones(
        voice: Voice, stand_in: StandIn, smtp: Any) -> None:
    await voice.choose("Mutare")
    stand_in.script["mutare"] += [(503, {"error": "down"})] * 3
    message_id = await voice.voicemail()
    assert (await settled(message_id)).status == TranscriptStatus.FAILED
    # The command, as an operator runs it, while this gateway serves (and does the work).
    settings = voice.gateway.app.state.host.settings
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("GATEWAY_", "DATABASE_URL", "BROKER_URL"))}
    env.update(GATEWAY_PLUGINS_FILE=str(settings.plugins_file), GATEWAY_LOAD_PLUGINS="",
               GATEWAY_VAR_DIR=str(settings.var_dir), DATABASE_URL=settings.database_url,
               BROKER_URL="memory://", TEST_MUTARE_KEY=MUTARE_KEY, PYTHONPATH=str(ROOT))
    gateway_cli = str(Path(sys.executable).with_name("gateway"))
    listed = await asyncio.to_thread(subprocess.run, [gateway_cli, "transcription", "providers"],
                                     env=env, capture_output=True, text=True, timeout=120)
    assert listed.returncode == 0, listed.stderr
    assert any(line.split()[:2] == ["Mutare", "approved"] for line in listed.stdout.splitlines())
    unknown = await asyncio.to_thread(
        subprocess.run, [gateway_cli, "transcription", "retry", "--provider", "Whisper"],
        env=env, capture_output=True, text=True, timeout=120)
    assert unknown.returncode == 2 and "Whisper is not among" in unknown.stderr
    done = await asyncio.to_thread(
        subprocess.run, [gateway_cli, "transcription", "retry", "--provider", "GoogleSpeech"],
        env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "1 transcription(s) asked again." in done.stdout
    row = await settled(message_id, status=TranscriptStatus.DONE)
    assert (row.provider, row.text) == ("GoogleSpeech", "Google a entendu en-US merci")
    assert len(await emails(smtp, 1)) == 1 and len(smtp.messages) == 1  # no second copy
