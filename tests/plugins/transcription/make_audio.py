"""Make the offline engine's test recordings again (``.ci/transcription-setup`` installs
espeak-ng): ``.venv/bin/python -m tests.plugins.transcription.make_audio``.

espeak-ng writes 22,050 Hz WAV; each recording is kept as 16 kHz mono 16-bit (what the
engine's model wants, and smaller), converted by the plugin's own resampler. The tests look for
a few distinctive words of each sentence (pocketsphinx's accuracy on synthetic speech is
modest): keep those words if a sentence changes.
"""

from __future__ import annotations

import subprocess
import tempfile
import wave
from pathlib import Path

from plugins.transcription.audio import wav_to_pcm16

AUDIO = Path(__file__).resolve().parent / "audio"
SENTENCES = {
    "order_tomorrow.en.wav": ("en-us", "Hello, this is Marie from the bakery. Please call me "
                              "back about the order tomorrow morning."),
    "meeting_friday.en.wav": ("en-us", "Hi, it is John. The meeting is moved to Friday "
                              "afternoon. Thank you."),
    "boulangerie.fr.wav": ("fr", "Bonjour, c'est Marie de la boulangerie. Rappelez-moi demain "
                           "matin."),
}


def main() -> None:
    for name, (voice, text) in SENTENCES.items():
        with tempfile.NamedTemporaryFile(suffix=".wav") as spoken:
            subprocess.run(["espeak-ng", "-v", voice, "-s", "140", "-w", spoken.name, text],
                           check=True)
            pcm = wav_to_pcm16(Path(spoken.name).read_bytes())
        with wave.open(str(AUDIO / name), "wb") as writer:
            writer.setnchannels(1)
            writer.setsampwidth(2)
            writer.setframerate(16_000)
            writer.writeframes(pcm)
        print(f"{name}: {len(pcm) / 32_000:.1f} s")


if __name__ == "__main__":
    main()
