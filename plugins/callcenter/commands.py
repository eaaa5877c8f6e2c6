"""``gateway callcenter import FILE``: the platform's records from a file, with a progress bar,
through the same :class:`~plugins.callcenter.importer.Importer` as the HTTP upload."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from gateway.api import (
    Command,
    PluginHost,
    PubSubError,
    close_db,
    init_db,
    start_pubsub,
    stop_pubsub,
)
from plugins.callcenter.importer import Importer, ImportReport, guess_format, read_records


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.description = ("Call-center records. `import FILE` loads calls and taken messages "
                          "(JSON lines or CSV); the same call_id again updates the call.")
    actions = parser.add_subparsers(dest="callcenter_action", metavar="ACTION", required=True)
    load = actions.add_parser("import", help="Import calls / taken messages from a file.")
    load.add_argument("file", type=Path)
    load.add_argument("--format", choices=("jsonl", "csv"), default=None,
                      help="default: from the file name or its first character")


class _Progress:
    """Lines read from a text file; tqdm counts bytes (characters, close enough), updated every
    few thousand lines (a per-line update costs as much as parsing the line)."""

    EVERY = 4096

    def __init__(self, handle: Any, bar: Any) -> None:
        self.handle = handle
        self.bar = bar

    def __iter__(self) -> Iterator[str]:
        size = count = 0
        for line in self.handle:
            size += len(line)
            count += 1
            if count == self.EVERY:
                self.bar.update(size)
                size = count = 0
            yield line
        self.bar.update(max(0, self.bar.total - self.bar.n))  # the end of the file: 100%


async def _shared_pubsub(host: PluginHost) -> Any:
    """The servers' pub/sub (Redis), so that their dashboards hear of this import
    (``callsImported``); None when it is in-process (no server would hear) or unreachable (the
    import goes on; dashboards refresh at the next import they hear of)."""
    if host.settings.effective_pubsub_url.startswith("memory"):
        return None
    try:
        return await start_pubsub(host.settings)
    except (PubSubError, OSError):
        print("the pub/sub is unreachable: open dashboards will not refresh for this import",
              file=sys.stderr)
        return None


def _run(host: PluginHost, args: argparse.Namespace) -> int:
    from tqdm import tqdm  # only the command shows a progress bar

    path: Path = args.file
    if not path.is_file():
        print(f"no such file: {path}", file=sys.stderr)
        return 2
    with path.open("rb") as raw:
        fmt = args.format or guess_format(path.name, raw.read(64))

    async def main() -> ImportReport:
        await init_db(host)
        bus = await _shared_pubsub(host)
        try:
            with path.open(encoding="utf-8-sig", newline="") as handle, tqdm(
                total=path.stat().st_size, unit="B", unit_scale=True, desc="importing",
                file=sys.stderr,
            ) as bar:
                return await Importer().run(read_records(_Progress(handle, bar), fmt))
        finally:
            if bus is not None:
                await stop_pubsub(bus)
            await close_db()

    report = asyncio.run(main())
    for error in report.errors:
        print(f"line {error.line}: {error.message}", file=sys.stderr)
    print(f"{report.calls} call(s) and {report.messages} message(s) imported, "
          f"{len(report.errors)} line(s) rejected.")
    return 1 if report.errors else 0


import_command = Command(
    name="callcenter",
    help="Call-center records: `callcenter import FILE`.",
    run=_run,
    configure=_configure,
)
