"""The matrix's table: text for the terminal, Markdown for the README, JSON for machines."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from bench.faults.matrix import FAULTS, Result

HEADER = ("fault", "stack", "result", "requests refused", "max refusal", "time to recover",
          "writes acked / found", "emails queued / sent", "duplicates")


def cells(result: Result) -> list[str]:
    if result.skipped:
        return [result.fault, result.stack, "skipped", "-", "-", "-", "-", "-", "-"]
    refused = f"{result.refused} / {result.requests}"
    if result.bad:
        refused += f" (+{result.bad} bad)"
    sent = f"{result.emails_queued} / {result.emails_sent}"
    if result.emails_pending:
        sent += f" ({result.emails_pending} awaiting retry)"
    return [result.fault, result.stack, "pass" if result.passed else "FAIL", refused,
            f"{result.max_refusal_s:.1f} s", f"{result.recover_s:.1f} s",
            f"{result.writes_acked} / {result.writes_found}", sent, str(result.duplicates)]


def markdown(results: list[Result]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + " --- |" * len(HEADER)]
    lines += ["| " + " | ".join(cells(r)) + " |" for r in results]
    what = {f.name: f.what for f in FAULTS}
    extra = [f"- `{r.fault}` ({what[r.fault]}): " + "; ".join(
        [*(f"**{f}**" for f in r.failures), *r.notes, *([r.skipped] if r.skipped else [])])
        for r in results if r.failures or r.notes or r.skipped]
    return "\n".join(lines + ([""] + extra if extra else []))


def text(results: list[Result]) -> str:
    rows = [list(HEADER)] + [cells(r) for r in results]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER))]
    out = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    out.insert(1, "  ".join("-" * w for w in widths))
    for r in results:
        for line in [*r.failures, *r.samples, *r.notes, *([r.skipped] if r.skipped else [])]:
            out.append(f"{r.fault}: {line}")
    return "\n".join(out)


def as_json(results: list[Result], sizes: Any) -> str:
    return json.dumps({"sizes": dataclasses.asdict(sizes),
                       "results": [{**dataclasses.asdict(r), "passed": r.passed}
                                   for r in results]}, indent=2)
