"""A block that stores data and then reads "today" back lives on one day.

The pages, the API and the CLI count "new today" by the wall clock, and the simulated
world's ads depend on the day and the hour. A test that stores a cycle and reads it
seconds later fails when midnight UTC falls in between (a clean run at 23:56 once did),
and a cycle's count of videos differed at 00:35. Inside ``one_day()`` the clock starts
at noon UTC of the suite's day, ``DAY``, and ticks (``time_machine``): the same world
and one day, whenever the block runs. ``time.monotonic``, which the loops wait on, is
left alone; only this process's clock moves, so a block must not share timestamps
with another process.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import time_machine

DAY = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)  # the day the jobs' tests pin too


@contextmanager
def one_day(noon: datetime = DAY) -> Iterator[datetime]:
    with time_machine.travel(noon, tick=True):
        yield noon


def on_day_command(module: str, *args: str, noon: datetime = DAY) -> list[str]:
    """``python -m module args`` with its clock at ``noon`` and ticking, for a process
    that must see the same world as a test inside ``one_day()`` (it spawns no others)."""
    code = (
        "import runpy, sys, time_machine, datetime; "
        f"time_machine.travel(datetime.datetime.fromisoformat({noon.isoformat()!r}), "
        "tick=True).start(); "
        f"sys.argv = [{module!r}, *sys.argv[1:]]; "
        f"runpy.run_module({module!r}, run_name='__main__', alter_sys=True)"
    )
    return [sys.executable, "-c", code, *args]
