"""The one clock: everything that decides by time asks it, nothing else reads the wall.

``Clock`` is the shape (aware UTC ``now()``, unix ``time()``, ``monotonic()`` and an
async ``sleep``). ``SystemClock`` is real time; ``FakeClock`` is moved by tests. The
process holds one installed clock (``install``/``installed``); ``PROCESS_CLOCK`` follows
whichever is installed, so objects built with the default keep following it. Every day
boundary is UTC (``start_of_day``, ``next_midnight``).

This module imports nothing from the rest of the harvester (a leaf): the store, the
guard, the sources, the jobs, the web and the CLI all use it. The engine, which imports
nothing from the harvester, takes the same clock as ``EngineConfig.clock``.
"""

from __future__ import annotations

import asyncio
import time as _time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Protocol, runtime_checkable


@runtime_checkable
class Clock(Protocol):
    def now(self) -> datetime:
        """The current moment, timezone-aware UTC."""
        ...

    def time(self) -> float:
        """The current moment as unix seconds (what the engine and the guard count in)."""
        ...

    def monotonic(self) -> float:
        """Seconds that never go back: for durations and deadlines, not for dates."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` of this clock's time."""
        ...


class SystemClock:
    """Real time."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def time(self) -> float:
        return _time.time()

    def monotonic(self) -> float:
        return _time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


class FakeClock:
    """A clock tests move by hand. ``sleep`` moves it (and yields to the loop) instead
    of waiting, so code that waits for a time finishes at once at that time."""

    def __init__(self, start: datetime | float) -> None:
        self._t = _as_seconds(start)
        self._mono = 1_000.0

    def now(self) -> datetime:
        return datetime.fromtimestamp(self._t, UTC)

    def time(self) -> float:
        return self._t

    def monotonic(self) -> float:
        return self._mono

    async def sleep(self, seconds: float) -> None:
        self.advance(max(0.0, seconds))
        await asyncio.sleep(0)

    def advance(self, seconds: float) -> None:
        """Move forward ``seconds`` (never back: a clock that goes back breaks leases)."""
        if seconds < 0:
            raise ValueError("a FakeClock only moves forward")
        self._t += seconds
        self._mono += seconds

    def set(self, when: datetime | float) -> None:
        """Jump to ``when`` (not earlier than now)."""
        self.advance(_as_seconds(when) - self._t)


class OffsetClock(SystemClock):
    """Real-speed time that starts at a chosen moment: a whole system (engine timers,
    retries, the guard, the store's "today") runs on a fixed day and still moves, so
    a test sees the same world whatever the real date. Sleeps are real."""

    def __init__(self, start: datetime | float) -> None:
        self._offset = _as_seconds(start) - _time.time()

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.time(), UTC)

    def time(self) -> float:
        return _time.time() + self._offset


def _as_seconds(when: datetime | float) -> float:
    if isinstance(when, datetime):
        if when.tzinfo is None:
            raise ValueError("a clock is set with an aware datetime (UTC), not a naive one")
        return when.timestamp()
    return float(when)


_installed: Clock = SystemClock()


def installed() -> Clock:
    """The process's clock (real time unless a test installed another)."""
    return _installed


def install(clock: Clock) -> Clock:
    """Make ``clock`` the process's clock; returns the one it replaces."""
    global _installed
    previous, _installed = _installed, clock
    return previous


@contextmanager
def installed_as(clock: Clock) -> Iterator[Clock]:
    """``with installed_as(FakeClock(...)) as c:`` — the process runs on ``c`` inside."""
    previous = install(clock)
    try:
        yield clock
    finally:
        install(previous)


class _Installed:
    """Follows the installed clock at every call (the default of every ``clock=``)."""

    def now(self) -> datetime:
        return _installed.now()

    def time(self) -> float:
        return _installed.time()

    def monotonic(self) -> float:
        return _installed.monotonic()

    async def sleep(self, seconds: float) -> None:
        await _installed.sleep(seconds)


PROCESS_CLOCK: Clock = _Installed()


def utcnow() -> datetime:
    """Now, aware UTC, from the installed clock."""
    return _installed.now()


def unix_now() -> float:
    """Now as unix seconds, from the installed clock."""
    return _installed.time()


def monotonic() -> float:
    """The installed clock's monotonic seconds (spans and deadlines)."""
    return _installed.monotonic()


def start_of_day(now: datetime | None = None) -> datetime:
    """Midnight UTC that begins ``now``'s day (default: the installed clock's today)."""
    now = (now or _installed.now()).astimezone(UTC)
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def next_midnight(now: datetime | float | None = None) -> datetime:
    """The next 00:00 UTC after ``now`` (default: the installed clock's now)."""
    if now is None:
        now = _installed.now()
    if not isinstance(now, datetime):
        now = datetime.fromtimestamp(now, UTC)
    return start_of_day(now) + timedelta(days=1)


def today(now: datetime | None = None) -> date:
    """Today's UTC date by the installed clock."""
    return start_of_day(now).date()


def from_unix(seconds: float) -> datetime:
    """Unix seconds as an aware UTC datetime (never the machine's time zone)."""
    return datetime.fromtimestamp(seconds, UTC)
