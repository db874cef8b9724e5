"""Where the CLI's tables go: the terminal at its own width, or a pipe, uncut."""

from __future__ import annotations

import os
import sys

from rich.console import Console

# Wide enough for any row we print: a pipe (``| less -S``, ``| grep``) has no width, and
# Rich would otherwise fold and cut every table at 80 columns.
PIPED_WIDTH = 10_000


def stdout_console() -> Console:
    """A console on stdout: a terminal's (or ``COLUMNS``') width, else no cut at all."""
    if sys.stdout.isatty() or os.environ.get("COLUMNS"):
        return Console()
    return Console(width=PIPED_WIDTH)


def stderr_console() -> Console:
    """A console on stderr (reports beside JSON on stdout), uncut the same way."""
    if sys.stderr.isatty() or os.environ.get("COLUMNS"):
        return Console(stderr=True)
    return Console(stderr=True, width=PIPED_WIDTH)
