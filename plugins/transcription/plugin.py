"""The voicemail transcription plugin's hook implementations (providers: Mutare, Google,
MyScribbit, none, the offline engine). Being built: see issue #19."""
