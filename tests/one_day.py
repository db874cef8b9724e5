"""A block that stores data and then reads "today" back lives on one day.

The pages, the API and the CLI count "new today" by the wall clock. A test that stores
a cycle and reads it seconds later fails when midnight UTC falls in between (a clean
run at 23:56 once did). Inside ``one_day()`` the clock starts at noon UTC of today and
ticks (``time_machine``), so nothing in the block can see two days. ``time.monotonic``,
which the loops wait on, is left alone; only this process's clock moves, so a block
must not share timestamps with another process.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import time_machine


@contextmanager
def one_day() -> Iterator[datetime]:
    noon = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    with time_machine.travel(noon, tick=True):
        yield noon
