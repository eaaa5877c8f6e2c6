"""The suite's environment, set before any of the gateway is imported (``tests.conftest``
imports the app, and ``gateway.identity.secrets`` picks its argon2 cost at import)."""

import os

os.environ.setdefault("GATEWAY_LOAD_PLUGINS", "")
os.environ.setdefault("GATEWAY_ARGON2_PROFILE", "test")  # argon2id at a test-sized cost
