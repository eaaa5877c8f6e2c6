"""Demo call-center data: a JSON-lines file of plausible calls and taken messages for the demo
accounts, to load with ``gateway callcenter import`` (the import a platform would do), then read
in GraphiQL (``callStatistics``, ``callRecorder``, ``takenMessages``...)."""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from gateway.api import Account, PluginHost, gateway_command
from plugins.callcenter import services

AGENTS = ("ELD", "DOM", "KAL", "JOH", "VDP", "MKM")


def calls(accounts: list[int], count: int, days: float, rng: random.Random,
          now: dt.datetime | None = None, prefix: str = "D") -> Iterator[dict[str, Any]]:
    """``count`` calls over the last ``days`` days, spread over ``accounts``."""
    now = now or dt.datetime.now(dt.UTC)
    for n in range(count):
        started = now - dt.timedelta(seconds=1 + rng.randrange(int(days * 86400)))
        duration = rng.choice((3, 6, 7, 15, 40, 90, 180, 400))
        queued = None if rng.random() < 0.1 else round(rng.uniform(0, min(duration, 20)), 1)
        assigned = None if queued is None or rng.random() < 0.1 else round(
            queued + rng.uniform(0, 5), 1)
        answered = None if assigned is None or rng.random() < 0.1 else round(
            assigned + rng.uniform(0, 40), 1)
        yield {
            "call_id": f"{prefix}{n:07d}", "account_number": rng.choice(accounts),
            "direction": "inbound" if rng.random() < 0.85 else "outbound",
            "started_at": started.replace(microsecond=0).isoformat(), "duration": duration,
            "caller_id": f"514555{rng.randrange(10000):04d}", "caller_name": "",
            "agent": rng.choice(AGENTS), "station": str(rng.randrange(1, 200)),
            "queued_at": queued, "assigned_at": assigned, "answered_at": answered,
            "agent_seconds": round(rng.uniform(0, duration), 1),
            "wrap_seconds": round(rng.uniform(0, 30), 1),
            "holds": [round(rng.uniform(0, 60), 1)] if rng.random() < 0.1 else [],
            "transfers": [round(rng.uniform(10, 120), 1)] if rng.random() < 0.05 else [],
            "busy": rng.random() < 0.01, "quality": rng.randrange(0, 101),
            "account_group": rng.randrange(0, 4), "distribution_group": rng.randrange(0, 3),
        }


def messages(accounts: list[int], count: int, days: int,
             rng: random.Random) -> Iterator[dict[str, Any]]:
    now = dt.datetime.now(dt.UTC)
    for n in range(count):
        taken = (now - dt.timedelta(seconds=rng.randrange(days * 86400))).replace(microsecond=0)
        sent = (taken + dt.timedelta(minutes=3)).isoformat()
        yield {"message_id": f"DM{n:06d}", "account_number": rng.choice(accounts),
               "call_id": f"D{rng.randrange(100000):07d}", "agent": rng.choice(AGENTS),
               "taken_at": taken.isoformat(),
               "body": "RENDEZ-VOUS\nPrénom : XXXX\nTél : (514) 521-XXXX\nDate : À rappeler",
               "history": [{"at": taken.isoformat(), "event": "Taken"},
                           {"at": sent, "event": "email completed to info@compagnie.ca"},
                           {"at": sent, "event": "Delivered"}]}


DEMO_ACCOUNT = "Cabinet Lavoie Avocats"  # Alpha's company in gateway/identity/demo.py


async def demo_data(host: PluginHost, size: str) -> list[str]:
    """Write ``<var>/demo/callcenter.jsonl``: calls of the last 30 days (and a few of the last
    hours, for the recorder's presets) and taken messages for every demo account, as the
    platform would send them; print how to load it and a query to paste into GraphiQL."""
    ids: list[Any] = await Account.all().values_list("id", flat=True)
    accounts: list[int] = sorted(ids)
    if not accounts:
        return []
    rng = random.Random(24)
    count = 20_000 if size == "large" else 1_000
    recent = count // 20
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    path = Path(host.settings.var_dir) / "demo" / "callcenter.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for record in calls(accounts, count, 30, rng, now):
            out.write(json.dumps(record) + "\n")
        for record in calls(accounts, recent, 0.5, rng, now, prefix="R"):
            out.write(json.dumps(record) + "\n")
        for record in messages(accounts, count // 20, 30, rng):
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    shown = await Account.filter(name=DEMO_ACCOUNT).first() or await Account.get(
        id=accounts[0])
    today = now.astimezone(services.zone_of(shown.time_zone)).date()
    start = today - dt.timedelta(days=29)
    return [
        f"Call-center demo records: {path} ({count + recent} calls and {count // 20} taken "
        f"messages of the last 30 days, for every demo account).",
        f"  Load them:  {gateway_command('callcenter', 'import', str(path))}",
        f"  Then, in GraphiQL signed in as reseller@alpha.example: {{ callStatistics(filter: "
        f"{{accountNumber: {shown.id}, from: \"{start}\", to: \"{today}\"}}) {{ "
        f"totalInbound {{ value percent definition }} answered {{ value percent }} "
        f"averageAnswerWait {{ value }} }} }}",
    ]
