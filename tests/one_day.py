"""The suite's clock: a block that stores data and reads "today" back lives on one day.

The pages, the API and the CLI count "new today" by the one clock, and the simulated
world's ads depend on the day and the hour. A test that stores a cycle and reads it
seconds later fails when midnight UTC falls in between (a clean run at 23:56 once did).
Inside ``one_day()`` the process runs on ``OffsetClock(DAY)`` (``harvester.clock``):
noon UTC of the suite's day, moving at real speed, so the engine's timers, the guard,
the simulator and the store all see the same world and one day, whenever the block
runs. Nothing is patched: services on real time (Redis, Chromium, the OS) are never
handed a date they have not reached; where one must agree (Chromium), it is set to
this clock.

``START`` is the moment the suite's time-dependent tests start from. CI runs those tests
(marked ``timedep``) again with ``HARVESTER_TEST_START`` set just before midnight of 28
February 2028 and of 31 December, and with far-apart ``TZ`` values: a test that holds
only on one date, at one hour or in one zone fails there.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from harvester.clock import OffsetClock, installed_as


def _start() -> datetime:
    raw = os.environ.get("HARVESTER_TEST_START", "2026-11-30T12:00:00+00:00")
    when = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    if when.tzinfo is None:
        raise ValueError(f"HARVESTER_TEST_START must carry a zone (Z or +00:00): {raw!r}")
    return when.astimezone(UTC)


START = _start()
DAY = START.replace(hour=12, minute=0, second=0, microsecond=0)  # noon of START's day
BEFORE_MIDNIGHT = START.replace(hour=23, minute=59, second=0, microsecond=0)
NEXT_MIDNIGHT = BEFORE_MIDNIGHT + timedelta(minutes=1)


@contextmanager
def one_day(noon: datetime = DAY) -> Iterator[datetime]:
    with installed_as(OffsetClock(noon)):
        yield noon


def on_day_command(module: str, *args: str, noon: datetime = DAY) -> list[str]:
    """``python -m module args`` on the clock of ``one_day(noon)``, for a process that
    must see the same world as a test inside ``one_day()`` (it spawns no others)."""
    code = (
        "import datetime, runpy, sys; "
        "from harvester.clock import OffsetClock, install; "
        f"install(OffsetClock(datetime.datetime.fromisoformat({noon.isoformat()!r}))); "
        f"sys.argv = [{module!r}, *sys.argv[1:]]; "
        f"runpy.run_module({module!r}, run_name='__main__', alter_sys=True)"
    )
    return [sys.executable, "-c", code, *args]
