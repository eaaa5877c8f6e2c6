"""Passwords are hashed with argon2id at the library's recommended cost, unless
GATEWAY_ARGON2_PROFILE=test lowers it; this suite runs at the test cost (set before the gateway
is imported: hashing at the full cost made every test that creates people seconds slower)."""

from __future__ import annotations

import os
import subprocess
import sys

from argon2 import extract_parameters

from gateway.identity import secrets
from tests.conftest import ROOT

PROBE = ("from gateway.identity.secrets import hash_secret; "
         "from argon2 import extract_parameters; "
         "p = extract_parameters(hash_secret('x')); print(p.type.name, p.time_cost, p.memory_cost)")


def test_the_suite_hashes_at_the_test_cost() -> None:
    parameters = extract_parameters(secrets.hash_secret("Secret-pass1"))
    assert (parameters.type.name, parameters.time_cost, parameters.memory_cost) == ("ID", 1, 1024)


def test_production_hashes_at_the_recommended_cost() -> None:
    env = {k: v for k, v in os.environ.items() if k != "GATEWAY_ARGON2_PROFILE"}
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60, check=True)
    assert done.stdout.split() == ["ID", "3", "65536"]
