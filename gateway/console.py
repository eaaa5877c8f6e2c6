"""How to spell a ``gateway`` command so that it works as printed, from where it was run."""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import sys
import textwrap
from pathlib import Path


def gateway_command(*args: str) -> str:
    """``gateway <args>`` as the person reading it can paste it: plain ``gateway`` when the
    ``gateway`` on their PATH is this installation's (an activated virtual environment),
    else the path of this installation's script (``.venv/bin/gateway`` from the checkout),
    else ``python -m gateway.cli``."""
    script = Path(sys.executable).parent / "gateway"
    words = [shlex.quote(arg) for arg in args]
    if script.exists():
        on_path = shutil.which("gateway")
        if on_path and Path(on_path).resolve() == script.resolve():
            return " ".join(["gateway", *words])
        absolute = script.absolute()
        try:
            shown = os.path.relpath(absolute)
        except ValueError:  # another drive (Windows)
            shown = str(absolute)
        if shown.startswith(".."):
            shown = str(absolute)
        return " ".join([shlex.quote(shown), *words])
    return " ".join([shlex.quote(sys.executable), "-m", "gateway.cli", *words])


class HelpFormatter(argparse.HelpFormatter):
    """``--help`` text: each line of a description is wrapped to the terminal on its own, and
    indented lines (examples) are kept as written."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        lines = []
        for line in text.splitlines():
            if not line.strip() or line.startswith(" "):
                lines.append(indent + line)
            else:
                lines.append(textwrap.fill(line, width, initial_indent=indent,
                                           subsequent_indent=indent))
        return "\n".join(lines)
