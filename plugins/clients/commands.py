"""``gateway clients purge [--dry-run]``: the purge of unsubscribed accounts from a terminal,
with a progress bar; ``--dry-run`` lists what it would remove and removes nothing."""

from __future__ import annotations

import argparse
import asyncio
import sys

from gateway.api import Command, PluginHost, close_db, init_db
from plugins.clients import services
from plugins.clients.config import PLUGIN_NAME, ClientsConfig


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.description = ("Subscriber accounts. `purge` archives (JSON under "
                          "<var>/archive/accounts/) and deletes the accounts unsubscribed "
                          "longer than purge_after_days.")
    actions = parser.add_subparsers(dest="clients_action", metavar="ACTION", required=True)
    purge = actions.add_parser("purge", help="Archive and delete accounts past retention.")
    purge.add_argument("--dry-run", action="store_true",
                       help="list what the purge would remove; change nothing")


async def _dry_run(config: ClientsConfig) -> list[str]:
    from tqdm import tqdm

    total = await services.due_for_purge(config).count()
    lines = []
    page = 500
    with tqdm(total=total, desc="reading", unit="account", file=sys.stderr) as bar:
        for offset in range(0, total, page):
            rows, _ = await services.purge_preview(config, offset, page)
            for row in rows[:page]:
                lines.append(f"{row['id']}  {row['kind']}  reseller {row['reseller_id']}  "
                             f"unsubscribed {row['unsubscribed_at']:%Y-%m-%d}  "
                             f"{row['user_count']} user(s)  {row['name']}")
            bar.update(len(rows[:page]))
    lines.append(f"{total} account(s) would be archived and purged "
                 f"(unsubscribed more than {config.purge_after_days} days ago).")
    return lines


async def _purge(host: PluginHost, config: ClientsConfig) -> list[str]:
    from tqdm import tqdm

    total = await services.due_for_purge(config).count()
    with tqdm(total=total, desc="purging", unit="account", file=sys.stderr) as bar:
        purged = await services.purge_due(host, config, progress=bar.update)
    return [f"{len(purged)} account(s) archived and purged."]


def _run(host: PluginHost, args: argparse.Namespace) -> int:
    config = host.config_for(PLUGIN_NAME, ClientsConfig)

    async def main() -> list[str]:
        await init_db(host)
        try:
            if args.dry_run:
                return await _dry_run(config)
            return await _purge(host, config)
        finally:
            await close_db()

    for line in asyncio.run(main()):
        print(line)
    return 0


clients_command = Command(
    name="clients",
    help="Subscriber accounts: `clients purge [--dry-run]`.",
    run=_run,
    configure=_configure,
)
