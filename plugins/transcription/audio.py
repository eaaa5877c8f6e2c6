"""Voicemail audio for engines that want raw samples: WAV (PCM 8/16/24/32-bit, any rate, mono
or stereo) to 16 kHz mono 16-bit little-endian PCM, in pure Python (``audioop`` is gone from
Python 3.13): channels averaged, then a low-pass by averaging over the source samples each
output sample covers (down-sampling), or linear interpolation (up-sampling)."""

from __future__ import annotations

import io
import struct
import sys
import wave
from array import array

TARGET_RATE = 16_000


class AudioFormatError(ValueError):
    """Not a WAV file this module reads (another format, or a damaged file)."""


def wav_to_pcm16(content: bytes, rate: int = TARGET_RATE) -> bytes:
    """The WAV file ``content`` as mono 16-bit PCM at ``rate`` Hz (little-endian bytes)."""
    try:
        with wave.open(io.BytesIO(content)) as reader:
            channels = reader.getnchannels()
            width = reader.getsampwidth()
            source_rate = reader.getframerate()
            frames = reader.readframes(reader.getnframes())
    except (wave.Error, EOFError, struct.error) as error:
        raise AudioFormatError(str(error)) from error
    if channels < 1 or source_rate < 1 or width not in (1, 2, 3, 4):
        raise AudioFormatError(f"{channels} channels, {width}-byte samples at {source_rate} Hz")
    samples = _mono(_samples(frames, width), channels)
    out = _resample(samples, source_rate, rate)
    pcm = array("h", (max(-32768, min(32767, int(round(v)))) for v in out))
    if sys.byteorder == "big":
        pcm.byteswap()
    return pcm.tobytes()


def _samples(frames: bytes, width: int) -> list[float]:
    """Every sample as a float on the 16-bit scale."""
    if width == 1:  # unsigned 8-bit
        return [(b - 128) * 256.0 for b in frames]
    if width == 2:
        values = array("h")
        values.frombytes(frames[: len(frames) // 2 * 2])
        if sys.byteorder == "big":
            values.byteswap()
        return [float(v) for v in values]
    if width == 4:
        values = array("i")
        values.frombytes(frames[: len(frames) // 4 * 4])
        if sys.byteorder == "big":
            values.byteswap()
        return [v / 65536.0 for v in values]
    return [int.from_bytes(frames[i:i + 3], "little", signed=True) / 256.0
            for i in range(0, len(frames) - 2, 3)]


def _mono(samples: list[float], channels: int) -> list[float]:
    if channels == 1:
        return samples
    count = len(samples) // channels
    return [sum(samples[i * channels:(i + 1) * channels]) / channels for i in range(count)]


def _resample(samples: list[float], source: int, target: int) -> list[float]:
    if source == target or not samples:
        return samples
    count = int(len(samples) * target / source)
    step = source / target
    last = len(samples) - 1
    if step <= 1:  # up-sampling: linear interpolation
        out = []
        for i in range(count):
            position = i * step
            left = int(position)
            right = min(left + 1, last)
            fraction = position - left
            out.append(samples[left] * (1 - fraction) + samples[right] * fraction)
        return out
    # Down-sampling: the mean of the source samples each output sample covers (a box filter,
    # enough against aliasing for speech recognition at 16 kHz).
    prefix = [0.0]
    total = 0.0
    for value in samples:
        total += value
        prefix.append(total)
    out = []
    for i in range(count):
        start = int(i * step)
        end = min(max(int((i + 1) * step), start + 1), len(samples))
        out.append((prefix[end] - prefix[start]) / (end - start))
    return out
