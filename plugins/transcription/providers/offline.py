"""The offline engine: pocketsphinx (the ``offline-speech`` extra) with the en-US model its
wheel ships. No account, no network; English only, and it says so: a French voicemail is not
transcribed (its reason is stored) rather than turned into English-sounding nonsense.

WAV voicemails are converted to what the model wants (16 kHz mono 16-bit) in pure Python, then
decoded in this process's decoding threads, one decoder per thread (loading the model takes about
a second). There are as many threads as cores: decoding is CPU-bound, so more voicemails at once
would only slow each other down, and a decoder outliving a timed-out attempt is not joined by a new
thread (and a new model) for the retry, which waits its turn instead.
"""

from __future__ import annotations

import asyncio
import importlib.util
import math
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from gateway.api import Account, Audio, Text, Transcript
from plugins.transcription.audio import AudioFormatError, wav_to_pcm16
from plugins.transcription.providers.common import FORMAT, failure, language_refused

NAME = "PocketSphinx"
WAV_TYPES = {"audio/wav", "audio/x-wav", "audio/wave"}
_local = threading.local()
_decoding = ThreadPoolExecutor(max_workers=os.cpu_count() or 1,
                               thread_name_prefix="pocketsphinx")


def installed() -> bool:
    """Whether the offline-speech extra is installed."""
    return importlib.util.find_spec("pocketsphinx") is not None


def _decoder() -> Any:
    decoder = getattr(_local, "decoder", None)
    if decoder is None:
        from pocketsphinx import Decoder

        decoder = Decoder(loglevel="FATAL")
        _local.decoder = decoder
    return decoder


def decode(pcm: bytes) -> Transcript:
    """Decode 16 kHz mono 16-bit PCM with this thread's decoder (blocking)."""
    decoder = _decoder()
    decoder.start_utt()
    decoder.process_raw(pcm, full_utt=True)
    decoder.end_utt()
    hypothesis = decoder.hyp()
    text = hypothesis.hypstr.strip() if hypothesis is not None else ""
    confidence = None
    if text:
        # The mean posterior probability of the recognised words (silences and fillers left
        # out); pocketsphinx 5 gives it already as a probability.
        posteriors = [float(segment.prob) for segment in decoder.seg()
                      if not segment.word.startswith(("<", "[")) and segment.word != "<sil>"]
        if posteriors:
            confidence = min(max(math.fsum(posteriors) / len(posteriors), 0.0), 1.0)
    return Transcript(text=text, confidence=confidence)


def transcribe_wav(content: bytes) -> Transcript:
    """A WAV file's words (blocking): what the provider runs in a thread, and the benchmark
    runs directly."""
    return decode(wav_to_pcm16(content))


class OfflineProvider:
    name = NAME
    label = Text(en="PocketSphinx: offline transcription on the gateway itself, English only.",
                 fr="PocketSphinx : transcription hors ligne sur la passerelle même, anglais "
                 "seulement.")
    languages = frozenset({"en"})

    async def transcribe(self, audio: Audio, language: str, account: Account) -> Transcript:
        if language not in self.languages:
            raise language_refused(NAME, language)
        if audio.content_type not in WAV_TYPES:
            raise failure("FORMAT_NOT_SUPPORTED", FORMAT, retryable=False, provider=NAME,
                          type=audio.content_type)
        try:
            return await asyncio.get_running_loop().run_in_executor(
                _decoding, transcribe_wav, audio.content)
        except AudioFormatError as error:
            raise failure("FORMAT_NOT_SUPPORTED", FORMAT, retryable=False, provider=NAME,
                          type=audio.content_type) from error


