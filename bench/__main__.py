"""Every benchmark, one table: ``.venv/bin/python -m bench``.

    .venv/bin/python -m bench [--quick] [--only NAME[,NAME]] [--database sqlite|postgres]
        [--set NAME=VALUE] [--keep] [--output bench/last-run.md]

Benchmarks (``--only``): api_overhead, reports (the call-center reports, bench/callcenter.py),
decisions (bench/restrictions.py), exports, jobs, dashboards (bench/dashboards.py), scale_out
(bench/scale_out.py: PostgreSQL and Redis only). Each
runs in a child process of its own
(``python -m bench.<module> --json``), so one's memory, threads and database connections do
not weigh on the next, and prints one or more rows: a figure, the baseline measured in the
same run on the same machine, and their ratio. The table goes to the terminal and, as
Markdown, to ``--output`` (not committed) for the README.

``--database postgres`` uses ``--postgres-url`` (default ``BENCH_DATABASE_URL`` or
postgres://postgres@127.0.0.1:5432/bench), which each benchmark EMPTIES: never point it at a
database you care about.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bench.support import (
    PYTHON,
    ROOT,
    Options,
    Row,
    add_common_arguments,
    child_env,
    markdown_table,
    options_from,
    text_table,
)

# name on the command line -> module under bench/, in the table's order.
BENCHMARKS = {
    "api_overhead": "api_overhead",
    "reports": "callcenter",
    "decisions": "restrictions",
    "exports": "exports",
    "jobs": "jobs",
    "chat": "chat",  # live chat fan-out through Redis (bench/chat.py)
    "chat_hours": "chat_hours",  # is chat open: the rules vs a minute-of-week table
    "billing": "billing",  # closing a billing cycle vs one SQL aggregation (bench/billing.py)
    "transcription": "transcription",  # the offline engine through the pipeline
    "twilio": "twilio_voip",  # incoming-call webhooks vs a hand-written handler
    "dashboards": "dashboards",  # a 90-day series vs hand-written SQL; a 304 vs /healthz
    "scale_out": "scale_out",  # two serve + two workers vs one of each (PostgreSQL + Redis)
}
DEFAULT_OUTPUT = ROOT / "bench" / "last-run.md"


def _common_args(options: Options, args: argparse.Namespace) -> list[str]:
    out = ["--database", options.database, "--postgres-url", options.postgres_url,
           "--redis-url", options.redis_url]
    if options.quick:
        out.append("--quick")
    if args.keep:
        out.append("--keep")
    for item in args.set:
        out += ["--set", item]
    return out


def run_module(module: str, options: Options, args: argparse.Namespace) -> list[Row]:
    """``python -m bench.<module> --json``; its progress goes to our stderr as it comes."""
    command = [PYTHON, "-m", f"bench.{module}", "--json", *_common_args(options, args)]
    done = subprocess.run(command, cwd=ROOT, env=child_env(), stdout=subprocess.PIPE,
                          text=True)
    if done.returncode != 0:
        raise RuntimeError(f"exited with {done.returncode} (its error is above)")
    lines = done.stdout.strip().splitlines()
    return [Row(**row) for row in json.loads(lines[-1])]


# --- The call-center reports (bench/callcenter.py, whose rows have a shape of their own) ------

def run_reports(options: Options, args: argparse.Namespace) -> list[Row]:
    """``python -m bench.callcenter --json`` on this run's database, its rows made ours: its
    figures are milliseconds (lower is better), so the ratio here is hand-written ÷ ours, a
    speed like every other ratio of the table."""
    calls = int(options.overrides.get("calls", 20_000 if options.quick else 1_000_000))
    command = [PYTHON, "-m", "bench.callcenter", "--json", "--calls", str(calls)]
    if options.quick:
        command += ["--repeat", "10"]
    env = child_env()
    env.pop("DATABASE_URL", None)
    if options.database == "postgres":
        command += ["--database-url", options.postgres_url]
    done = subprocess.run(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    lines = done.stdout.strip().splitlines()
    sys.stderr.write("\n".join(lines[:-1]) + "\n")  # its progress
    if done.returncode != 0:
        raise RuntimeError(f"exited with {done.returncode} (its error is above)")
    where = f"{calls:,} calls, {options.database}"
    rows = []
    for result in json.loads(lines[-1]):
        name, figure, baseline = result["name"], result["figure"], result["baseline"]
        if name.endswith("(ms)") and baseline:
            # A GraphQL row's baseline is a hand-written endpoint serving the same answer.
            against = "endpoint (SQL + JSON)" if "GraphQL" in name else "SQL"
            rows.append(Row("Reports", name.removesuffix(" (ms)"), f"{figure:.2f} ms",
                            f"hand-written {against} {baseline:.2f} ms", baseline / figure,
                            where))
        elif name.startswith("import") and baseline:
            rows.append(Row("Reports", "import (goal ≥ 0.5× of the bulk load)",
                            f"{figure:,.0f} lines/s",
                            f"the database's own bulk load {baseline:,.0f} rows/s",
                            figure / baseline, where))
        else:
            unit = name[name.rfind("(") + 1:-1] if name.endswith(")") else ""
            rows.append(Row("Reports", name.split(" (")[0], f"{figure:,.0f} {unit}".strip(),
                            "-" if baseline is None else f"{baseline:,.2f}", None, where))
    return rows


# --- The entry point -------------------------------------------------------------------------

def _selected(only: list[str]) -> list[str]:
    if not only:
        return list(BENCHMARKS)
    names = [n.strip() for item in only for n in item.split(",") if n.strip()]
    aliases = {module: name for name, module in BENCHMARKS.items()}
    chosen = []
    for name in names:
        name = aliases.get(name, name)
        if name not in BENCHMARKS:
            raise SystemExit(f"--only {name!r}: choose among {', '.join(BENCHMARKS)}")
        chosen.append(name)
    return [n for n in BENCHMARKS if n in chosen]


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench",
                                     description=__doc__.splitlines()[0])
    add_common_arguments(parser)
    parser.add_argument("--only", action="append", default=[],
                        help=f"run only these ({', '.join(BENCHMARKS)}), comma-separated")
    parser.add_argument("--keep", action="store_true",
                        help="keep each benchmark's generated files (they say where)")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT,
                        help="where to write the Markdown table (default bench/last-run.md)")
    args = parser.parse_args(argv)
    options = options_from(args)
    names = _selected(args.only)
    started = time.perf_counter()
    rows: list[Row] = []
    failed = []
    for name in names:
        print(f"== {name}", file=sys.stderr, flush=True)
        began = time.perf_counter()
        try:
            if name == "reports":
                rows += run_reports(options, args)
            else:
                rows += run_module(BENCHMARKS[name], options, args)
        except Exception as exc:  # one broken benchmark does not hide the others' figures
            failed.append(name)
            rows.append(Row(name, "FAILED", str(exc).splitlines()[0], "-", None))
        print(f"== {name}: {time.perf_counter() - began:.0f} s", file=sys.stderr, flush=True)
    elapsed = time.perf_counter() - started
    header = (f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC · {options.database} · "
              f"{'quick' if options.quick else 'full'} sizes · {_machine()} · "
              f"load generator: {'wrk' if shutil.which('wrk') else 'Python (no wrk)'} · "
              f"{elapsed:.0f} s")
    print()
    print(header)
    print(text_table(rows))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(f"{header}\n\n{markdown_table(rows)}\n")
    print(f"\nMarkdown table written to {args.output}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
