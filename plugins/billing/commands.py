"""``gateway billing close-cycle --date 2026-11-20 [--preview]``: close (or preview) the billing
cycle that ends the day before ``--date``, with a progress bar; idempotent, so it resumes a
close that was interrupted and does nothing to a cycle already closed."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
from decimal import Decimal

from gateway.api import Command, PluginHost, close_db, init_db

from .config import PLUGIN_NAME, BillingConfig


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Billing. `close-cycle` closes the billing cycle that ends the day before --date (the "
        "20th closes the 20th-to-19th before it): every account's statement, its lines and "
        "ledger entries, written once. Running it again resumes an interrupted close and "
        "never charges twice.")
    actions = parser.add_subparsers(dest="billing_action", metavar="ACTION", required=True)
    close = actions.add_parser(
        "close-cycle", help="Close (or --preview) the cycle ending the day before --date.",
        description="Close the cycle ending the day before --date (the configured close day, "
                    "the 20th by default); --preview computes it and writes nothing.")
    close.add_argument("--date", type=_date, default=None,
                       help="the close day, YYYY-MM-DD (default: today, UTC)")
    close.add_argument("--preview", action="store_true",
                       help="compute the statements and print their totals; write nothing")
    close.add_argument("--account", type=int, action="append", default=None,
                       help="only this account number (repeatable)")
    close.add_argument("--batch-size", type=int, default=500, metavar="N",
                       help="accounts written per transaction (default 500)")


def _run(host: PluginHost, args: argparse.Namespace) -> int:
    from tqdm import tqdm  # only the command shows a progress bar

    from .closing import close_cycle
    from .cycle import cycle_closing_on

    config = host.config_for(PLUGIN_NAME, BillingConfig)
    if not 1 <= args.batch_size <= 10_000:
        print("--batch-size must be between 1 and 10000", file=sys.stderr)
        return 2
    day = args.date or dt.datetime.now(dt.UTC).date()
    cycle = cycle_closing_on(day, config.close_day)

    async def main() -> int:
        await init_db(host)
        try:
            with tqdm(total=0, unit="account", desc="closing" if not args.preview
                      else "previewing", file=sys.stderr) as bar:
                def progress(done: int, total: int) -> None:
                    bar.total = total
                    bar.update(done - bar.n)

                result = await close_cycle(host, config, cycle, preview=args.preview,
                                           account_ids=args.account, progress=progress,
                                           batch_size=args.batch_size)
        finally:
            await close_db()
        last = cycle.ends_on - dt.timedelta(days=1)
        if args.preview:
            total = sum((d.total for d in result.drafts), Decimal(0))
            for draft in result.drafts:
                print(f"{draft.account.id}\t{draft.account.can}\t{draft.total}\t"
                      f"{draft.currency}")
            print(f"cycle {cycle.starts_on} to {last}: {len(result.drafts)} statement(s) "
                  f"previewed, {total} in new charges; nothing written.")
        else:
            print(f"cycle {cycle.starts_on} to {last}: {result.written} statement(s) written, "
                  f"{result.accounts - result.written} already closed.")
        return 0

    return asyncio.run(main())


billing_command = Command(
    name="billing",
    help="Billing: `billing close-cycle --date YYYY-MM-DD [--preview]`.",
    run=_run,
    configure=_configure,
)
