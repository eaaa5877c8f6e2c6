"""``python -m bench.faults``: run the fault matrix, print its table, write it as Markdown and
JSON; exit 1 when a fault broke a guarantee (a skipped fault says why and does not fail)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from bench.faults.matrix import FAULTS, FULL, QUICK, default_folder, keep_or_remove, run_matrix
from bench.faults.report import as_json, markdown, text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.faults", description=__doc__)
    parser.add_argument("--quick", action="store_true",
                        help="CI sizes: 3 clients, 4 s outages, 20 s to drain the emails")
    parser.add_argument("--only", action="append", default=[], metavar="NAME",
                        help="run this fault only (repeatable); see --list")
    parser.add_argument("--list", action="store_true", help="list the faults and exit")
    parser.add_argument("--markdown", type=Path, help="write the table there (Markdown)")
    parser.add_argument("--json", type=Path, help="write the results there (JSON)")
    parser.add_argument("--keep", action="store_true", help="keep the logs and data folders")
    args = parser.parse_args(argv)
    if args.list:
        for fault in FAULTS:
            print(f"{fault.name:30} {fault.stack:10} {fault.what}")
        return 0
    known = {f.name for f in FAULTS}
    unknown = set(args.only) - known
    if unknown:
        parser.error(f"unknown fault(s) {', '.join(sorted(unknown))}; see --list")
    sizes = QUICK if args.quick else FULL
    folder = default_folder()
    try:
        results = asyncio.run(run_matrix(args.only or [f.name for f in FAULTS], sizes, folder))
    finally:
        keep_or_remove(folder, args.keep)
    print(text(results))
    if args.markdown:
        args.markdown.write_text(markdown(results) + "\n")
    if args.json:
        args.json.write_text(as_json(results, sizes) + "\n")
    return 0 if all(r.passed or r.skipped for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
