"""The transcription providers this plugin ships: Mutare, Google Speech, MyScribbit and the
offline engine (pocketsphinx). "NONE" (Aucun) is no provider at all."""
