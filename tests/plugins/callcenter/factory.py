"""Call records for the callcenter tests, as the answering platform sends them."""

from __future__ import annotations

import itertools
import json
from typing import Any

from plugins.callcenter.importer import ImportReport, import_text

_numbers = itertools.count(1)


def call(account: Any, started_at: str, **fields: Any) -> dict[str, Any]:
    """An answered inbound call of ``account`` unless ``fields`` say otherwise."""
    record: dict[str, Any] = {
        "call_id": f"C{next(_numbers):07d}", "account_number": account.id,
        "billing_number": account.can, "account_name": account.name, "account_group": None,
        "distribution_group": None, "direction": "inbound", "started_at": started_at,
        "duration": 100, "caller_id": "5145550100", "caller_name": "Appelant", "agent": "ELD",
        "station": "10", "queued_at": 5, "assigned_at": 6, "answered_at": 10,
        "agent_seconds": 60, "wrap_seconds": 10, "holds": [], "transfers": [], "busy": False,
        "quality": 80, "recording": None,
    }
    record.update(fields)
    return record


def jsonl(records: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(r) + "\n" for r in records)


async def load(records: list[dict[str, Any]], reseller_id: int | None = None) -> ImportReport:
    report = await import_text(jsonl(records), "jsonl", reseller_id=reseller_id)
    assert not report.errors, report.errors
    return report
