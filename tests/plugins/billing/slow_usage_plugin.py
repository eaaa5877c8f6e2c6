"""A test plugin whose usage hook is slow, so that a test can kill a cycle close mid-way."""

from __future__ import annotations

import os
import time
from typing import Any

from gateway.api import hookimpl


@hookimpl
def gateway_billable_usage(gateway: Any, account_ids: Any, start: Any, end: Any) -> list[Any]:
    time.sleep(float(os.environ.get("SLOW_USAGE_SECONDS", "2")))
    return []
