"""The transcription pipeline and its rules, callable from resolvers, jobs, commands and tests.

A voicemail arrives (the account settings plugin's mailbox calls ``gateway_voicemail_received``
inside the transaction that stores it) → with a provider in effect for the account, a
``VoicemailTranscript`` row (PENDING) and a ``transcription.transcribe`` job are written in
that transaction, and the mailbox leaves the user's email copy to this plugin → the job hands
the file to the provider → text, provider, language and confidence are stored, and the email
copy goes out carrying the transcript (or why there is none). An outage is retried with
back-off (the outbox's); after the last attempt the failure is stored on the voicemail, the
copy goes out saying so, and the job ends ``failed`` (``gateway jobs``). The voicemail itself
was stored before any of this: a provider never loses it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import uuid
from dataclasses import dataclass
from typing import Any

from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from gateway.api import (
    Account,
    Audio,
    Forwarded,
    OutboxJob,
    PluginHost,
    Principal,
    Problem,
    Role,
    Text,
    Transcript,
    TranscriptionFailed,
    User,
    accounts_visible,
    enqueue,
    raise_all,
)
from plugins.account_settings import api as mailbox
from plugins.transcription import errors as e
from plugins.transcription.config import config_of
from plugins.transcription.errors import TranscriptionErrorCode as Code
from plugins.transcription.models import ApprovedProvider, TranscriptStatus, VoicemailTranscript
from plugins.transcription.registry import DECIDED, NONE, Installed, registry_of

log = logging.getLogger("gateway.transcription")

JOB = "transcription.transcribe"
MAX_APPROVED = 50  # names in one approval


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def language_of(user: User) -> str:
    """The voicemail's language: its owner's (fr or en; French by default, as the seeds)."""
    return user.language if user.language in ("fr", "en") else "fr"


# --- Arrival -------------------------------------------------------------------------------


async def voicemail_received(host: PluginHost, message_id: int, account_id: int,
                             user_id: int) -> bool:
    """In the mailbox's transaction: queue the transcription with the provider in effect for
    the account; True when one is queued (this plugin then sends the email copy)."""
    registry = registry_of(host)
    options = await mailbox.get_options(account_id)
    method = mailbox.effective_transcription(options, host)
    if method == NONE or registry.provider(method) is None:
        return False
    user = await User.get(id=user_id)
    await _request(message_id, account_id, user_id, method, language_of(user), copy_sent=False)
    return True


async def _request(message_id: int, account_id: int, user_id: int, provider: str,
                   language: str, *, copy_sent: bool) -> VoicemailTranscript:
    """Write (or reset) the PENDING row and its job, in the caller's transaction."""
    now = _now()
    key = uuid.uuid4().hex
    values: dict[str, Any] = {
        "request_key": key, "account_id": account_id, "user_id": user_id,
        "status": TranscriptStatus.PENDING, "provider": provider, "language": language,
        "text": "", "confidence": None,
        "reason_code": "", "reason_en": "", "reason_fr": "", "attempts": 0,
        "requested_at": now, "completed_at": None}
    row = await VoicemailTranscript.filter(message_id=message_id).select_for_update().first()
    if row is None:
        row = await VoicemailTranscript.create(message_id=message_id, copy_sent=copy_sent,
                                               **values)
    else:
        await VoicemailTranscript.filter(id=row.id).update(**values)
        await row.refresh_from_db()
    await enqueue(JOB, {"message_id": message_id, "request": key})
    return row


# --- The job -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    status: TranscriptStatus
    text: str = ""
    confidence: float | None = None
    code: str = ""
    reason: Text | None = None


async def run_job(host: PluginHost, payload: dict[str, Any]) -> None:
    """``transcription.transcribe``: one attempt at a voicemail (idempotent: a settled row, or
    one asked again since, is left alone; a failed one is tried again by ``gateway jobs
    rerun``)."""
    row = await VoicemailTranscript.filter(message_id=payload["message_id"]).first()
    if row is None or row.request_key != payload["request"]:
        return  # the voicemail is gone, or it was asked again: the newer job does it
    if row.status == TranscriptStatus.FAILED:  # gateway jobs rerun
        await VoicemailTranscript.filter(id=row.id).update(status=TranscriptStatus.PENDING)
        row.status = TranscriptStatus.PENDING
    if row.status != TranscriptStatus.PENDING:
        return
    job = await OutboxJob.filter(id=payload["outbox_id"]).first()
    last_attempt = job is None or job.attempts >= job.max_attempts
    outcome = await _attempt(host, row, last_attempt)
    if outcome is None:  # an outage with attempts left: the outbox retries with back-off
        raise RuntimeError(f"transcription of voicemail {row.message_id} by {row.provider}: "
                           f"{row.reason_en}")
    await _settle(host, row, outcome)
    if outcome.status == TranscriptStatus.FAILED:  # ends failed, listed by gateway jobs
        raise RuntimeError(f"transcription of voicemail {row.message_id} by {row.provider} "
                           f"failed for good: {row.reason_en}")


async def _attempt(host: PluginHost, row: VoicemailTranscript,
                   last_attempt: bool) -> Outcome | None:
    """Ask the provider once; None when an outage should be tried again."""
    config = config_of(host)
    row.attempts += 1
    await VoicemailTranscript.filter(id=row.id).update(attempts=row.attempts)
    provider = registry_of(host).provider(row.provider)
    if provider is None:
        return Outcome(TranscriptStatus.UNTRANSCRIBED, code="PROVIDER_GONE",
                       reason=_filled(e.PROVIDER_GONE, name=row.provider))
    audio = await _audio(host, row)
    if isinstance(audio, Outcome):
        return audio
    account = await Account.get(id=row.account_id)
    try:
        result = await asyncio.wait_for(provider.transcribe(audio, row.language, account),
                                        config.timeout_seconds + 5)
    except TranscriptionFailed as failure:
        return await _failed(row, failure.code, failure.reason, failure.retryable,
                             last_attempt)
    except TimeoutError:
        return await _failed(row, "UNAVAILABLE", _filled(e.UNEXPECTED, error="timeout"), True,
                             last_attempt)
    except Exception as error:  # a provider's bug: logged, counted as an outage
        log.exception("transcription provider %s failed", row.provider)
        return await _failed(row, "UNEXPECTED",
                             _filled(e.UNEXPECTED, error=type(error).__name__), True,
                             last_attempt)
    if isinstance(result, Forwarded):
        return Outcome(TranscriptStatus.FORWARDED, code="FORWARDED",
                       reason=_filled(e.COPY_FORWARDED, destination=result.destination))
    if isinstance(result, Transcript):
        return Outcome(TranscriptStatus.DONE, text=result.text.strip(),
                       confidence=result.confidence)
    return await _failed(row, "UNEXPECTED", _filled(e.UNEXPECTED, error=type(result).__name__),
                         True, last_attempt)


async def _failed(row: VoicemailTranscript, code: str, reason: Text, retryable: bool,
                  last_attempt: bool) -> Outcome | None:
    if retryable and not last_attempt:
        await VoicemailTranscript.filter(id=row.id).update(
            reason_code=code, reason_en=reason.en, reason_fr=reason.fr)
        row.reason_en = reason.en
        return None
    if retryable:
        reason = Text(en=e.GAVE_UP.render("en", attempts=row.attempts, reason=reason.en),
                      fr=e.GAVE_UP.render("fr", attempts=row.attempts, reason=reason.fr))
        return Outcome(TranscriptStatus.FAILED, code=code, reason=reason)
    return Outcome(TranscriptStatus.UNTRANSCRIBED, code=code, reason=reason)


async def _audio(host: PluginHost, row: VoicemailTranscript) -> Audio | Outcome:
    message = await mailbox.MailboxMessage.get(id=row.message_id)
    config = config_of(host)
    if message.size > config.max_audio_bytes:
        return Outcome(TranscriptStatus.UNTRANSCRIBED, code="TOO_LARGE", reason=_filled(
            e.AUDIO_TOO_LARGE, size=message.size, max=config.max_audio_bytes))
    path = mailbox.file_of(host, message)
    try:
        content = await asyncio.to_thread(path.read_bytes)
    except OSError:
        return Outcome(TranscriptStatus.UNTRANSCRIBED, code="AUDIO_MISSING",
                       reason=e.AUDIO_MISSING)
    user = await User.get(id=row.user_id)
    options = await mailbox.get_options(row.account_id)
    return Audio(content=content, content_type=message.content_type, filename=path.name,
                 reference=f"vm-{message.storage_key.split('.')[0]}",
                 duration_seconds=message.duration_seconds, user_id=user.id,
                 user_email=user.email, user_name=user.full_name,
                 user_language=language_of(user), recipient=options.transcription_email)


def _filled(text: Text, **values: Any) -> Text:
    return Text(en=text.render("en", **values), fr=text.render("fr", **values))


async def _settle(host: PluginHost, row: VoicemailTranscript, outcome: Outcome) -> None:
    """Store the outcome and send the email copy once, in one transaction."""
    reason = outcome.reason or Text(en="", fr="")
    async with in_transaction():
        current = await VoicemailTranscript.filter(id=row.id).select_for_update().first()
        if (current is None or current.status != TranscriptStatus.PENDING
                or current.request_key != row.request_key):
            return  # settled already, or asked again meanwhile (the newer job settles it)
        await VoicemailTranscript.filter(id=row.id).update(
            status=outcome.status, text=outcome.text, confidence=outcome.confidence,
            reason_code=outcome.code, reason_en=reason.en, reason_fr=reason.fr,
            completed_at=_now(), copy_sent=True)
        if not current.copy_sent:
            user = await User.get(id=row.user_id)
            language = language_of(user)
            await mailbox.send_voicemail_copy(host, row.message_id,
                                              copy_note(outcome, row.provider, language))


def copy_note(outcome: Outcome, provider: str, language: str) -> str:
    """What the email copy says about the transcript, in the user's language."""
    if outcome.status == TranscriptStatus.DONE:
        if not outcome.text:
            return e.COPY_EMPTY.render(language, provider=provider)
        return e.COPY_TRANSCRIPT.render(language, provider=provider, text=outcome.text)
    reason = outcome.reason.render(language) if outcome.reason else ""
    if outcome.status == TranscriptStatus.FORWARDED:
        return reason
    return e.COPY_FAILED.render(language, provider=provider, reason=reason)


# --- Reading and asking again ----------------------------------------------------------------


async def voicemails(principal: Principal, account: Account, user_id: int | None,
                     search: str | None) -> QuerySet[Any]:
    """The voicemails the caller reads in the account (newest first), those whose transcript,
    caller name or number contain ``search`` (case-insensitive) when given."""
    query = mailbox.MailboxMessage.filter(account_id=account.id,
                                          kind=mailbox.MailboxKind.VOICEMAIL)
    owner = mailbox.owner_of(principal, user_id)
    if owner is not None:
        query = query.filter(user_id=owner)
    words = (search or "").strip()
    if words:
        matching = VoicemailTranscript.filter(account_id=account.id,
                                              text__icontains=words).values("message_id")
        query = query.filter(Q(id__in=Subquery(matching)) | Q(caller_name__icontains=words)
                             | Q(caller_number__icontains=words))
    return query.order_by("-received_at", "-id")


async def transcripts_of(message_ids: list[int]) -> dict[int, VoicemailTranscript]:
    rows = await VoicemailTranscript.filter(message_id__in=message_ids)
    return {row.message_id: row for row in rows}


async def visible_voicemail(principal: Principal, message_id: int,
                            field: list[str | int]) -> Any:
    """A voicemail the caller reads (the own; staff: any of the accounts they see)."""
    message = await mailbox.MailboxMessage.filter(
        id=message_id, kind=mailbox.MailboxKind.VOICEMAIL).first()
    if message is None or not await accounts_visible(principal).filter(
            id=message.account_id).exists():
        raise Problem(Code.NOT_FOUND, e.NOT_FOUND, field)
    owner = mailbox.owner_of(principal, None)
    if owner is not None and owner != message.user_id:
        raise Problem(Code.NOT_FOUND, e.NOT_FOUND, field)
    return message


async def transcribe_again(host: PluginHost, principal: Principal, message_id: int,
                           provider_name: str) -> Any:
    """Transcribe a voicemail again with an offered provider; its previous transcript is
    replaced when the new one is in (the email copy is not sent again)."""
    message = await visible_voicemail(principal, message_id, ["input", "voicemailId"])
    registry = registry_of(host)
    field = ["input", "provider"]
    name = provider_name.strip()
    if not name or name.upper() == NONE:
        raise Problem(Code.REQUIRED, e.CHOOSE_A_PROVIDER, field)
    spelled = registry.spelled(name)
    offered = registry.offered()
    if spelled is None:
        raise Problem(Code.UNKNOWN_PROVIDER, e.UNKNOWN_PROVIDER, field, name=name[:64],
                      names=", ".join(offered) or NONE)
    if spelled not in offered:
        raise Problem(Code.NOT_APPROVED, e.NOT_APPROVED, field, name=spelled,
                      names=", ".join(offered) or NONE)
    provider = registry.installed()[spelled].provider
    options = await mailbox.get_options(message.account_id)
    if getattr(provider, "needs_email", False) and not options.transcription_email:
        raise Problem(Code.EMAIL_REQUIRED, e.MYSCRIBBIT_EMAIL, field)
    user = await User.get(id=message.user_id)
    async with in_transaction():
        await _request(message.id, message.account_id, message.user_id, spelled,
                       language_of(user), copy_sent=True)
    return message


# --- What the system admin approves ------------------------------------------------------------


@dataclass(frozen=True)
class ProviderInfo:
    name: str
    label: Text
    languages: list[str]
    approved: bool
    source: str
    send_only: bool


def provider_infos(host: PluginHost, principal: Principal) -> list[ProviderInfo]:
    """The installed providers (system admin) or the offered ones (everyone else), then NONE."""
    registry = registry_of(host)
    approved = registry.approved_names()
    rows: list[ProviderInfo] = []
    for name, found in sorted(registry.installed().items(), key=lambda kv: kv[0].lower()):
        offered = name.lower() in approved
        if offered or principal.role == Role.SYSTEM_ADMIN:
            rows.append(_info(name, found, offered))
    rows.append(ProviderInfo(NONE, Text(en="None: no transcription.",
                                        fr="Aucun : pas de transcription."), [], True,
                             "built in", False))
    return rows


def _info(name: str, found: Installed, approved: bool) -> ProviderInfo:
    provider = found.provider
    return ProviderInfo(name=name, label=provider.label,
                        languages=sorted(provider.languages), approved=approved,
                        source=found.source,
                        send_only=bool(getattr(provider, "needs_email", False)))


async def approve(host: PluginHost, principal: Principal, names: list[str]) -> list[str]:
    """The system admin's list of providers offered to users (replacing the previous one);
    the names as installed. NONE is always offered."""
    if len(names) > MAX_APPROVED:
        raise Problem(Code.TOO_MANY, e.TOO_MANY, ["input", "names"], max=MAX_APPROVED)
    registry = registry_of(host)
    chosen: list[str] = []
    problems: list[Problem] = []
    for index, raw in enumerate(names):
        name = raw.strip()
        if name.upper() == NONE:
            continue
        spelled = registry.spelled(name)
        if spelled is None:
            problems.append(Problem(Code.UNKNOWN_PROVIDER, e.UNKNOWN_PROVIDER,
                                    ["input", "names", index], name=name[:64],
                                    names=", ".join(sorted(registry.installed())) or NONE))
        elif spelled in chosen:
            problems.append(Problem(Code.INVALID, e.DUPLICATE, ["input", "names", index],
                                    name=spelled))
        else:
            chosen.append(spelled)
    raise_all(problems)
    async with in_transaction():
        await ApprovedProvider.all().delete()
        for name in [DECIDED, *chosen]:
            await ApprovedProvider.create(name=name, approved_by_id=principal.real_user_id
                                          or principal.user_id)
    await registry.refresh()
    return chosen


async def retry_failed(host: PluginHost, provider: str | None = None,
                       limit: int = 10_000) -> list[int]:
    """Ask again for every FAILED transcription (oldest first, at most ``limit``), with its
    provider or ``provider``; the voicemails' ids. The email copy is not sent again."""
    registry = registry_of(host)
    spelled = None
    if provider is not None:
        spelled = registry.spelled(provider)
        if spelled is None or spelled not in registry.offered():
            raise Problem(Code.NOT_APPROVED, e.NOT_APPROVED, ["provider"], name=provider[:64],
                          names=", ".join(registry.offered()) or NONE)
    rows = await VoicemailTranscript.filter(status=TranscriptStatus.FAILED).order_by(
        "requested_at", "id").limit(limit)
    for row in rows:
        async with in_transaction():
            await _request(row.message_id, row.account_id, row.user_id,
                           spelled or row.provider, row.language, copy_sent=True)
    return [row.message_id for row in rows]
