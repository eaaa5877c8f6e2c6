"""A private SMTP server for the fault matrix: every message it accepts is one JSON line
(Message-ID, Subject, recipients) appended to a file. Run as a child process, so that the
matrix can stop it (the SMTP fault) and start it again on the same port:

    python -m bench.faults.smtp_sink PORT FILE
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any


class Recorder:
    def __init__(self, path: Path) -> None:
        self.path = path

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = message_from_bytes(envelope.content, policy=policy.default)
        line = json.dumps({"message_id": str(message.get("Message-ID", "")),
                           "subject": str(message.get("Subject", "")),
                           "to": list(envelope.rcpt_tos)})
        with self.path.open("a") as out:
            out.write(line + "\n")
        return "250 OK"


async def serve(port: int, path: Path) -> None:
    from aiosmtpd.controller import Controller

    controller = Controller(Recorder(path), hostname="127.0.0.1", port=port)
    controller.start()
    print(f"smtp sink listening on {port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    controller.stop()


if __name__ == "__main__":
    asyncio.run(serve(int(sys.argv[1]), Path(sys.argv[2])))
