"""One clock: nothing in src/ reads the wall clock but the clock modules, and the clock
keeps its promises (UTC days, a fake that only moves forward, an offset that moves)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from harvester.clock import (
    FakeClock,
    OffsetClock,
    installed,
    installed_as,
    next_midnight,
    start_of_day,
    today,
    unix_now,
    utcnow,
)

SRC = Path(__file__).resolve().parents[3] / "src" / "harvester"
# The clock itself, and the engine's own default (the engine imports nothing from the
# harvester, so it cannot use harvester.clock; the harvester passes its clock in).
ALLOWED = {SRC / "clock.py", SRC / "engine" / "clock.py"}
WALL_READS = re.compile(
    r"(?<![\w.])(?:time\.(?:time|monotonic|perf_counter|time_ns|monotonic_ns)\b"
    r"|datetime\.(?:now|utcnow|today)\b|date\.today\b"
    r"|(?:date|datetime)\.fromtimestamp\([^,()]*\))"  # without a zone: the machine's
)


def test_nothing_in_src_reads_the_wall_clock_but_the_clock_modules() -> None:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        if path in ALLOWED:
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#", 1)[0]
            if WALL_READS.search(code):
                found.append(f"{path.relative_to(SRC.parent)}:{n}: {line.strip()}")
    assert not found, "read the time from harvester.clock instead:\n" + "\n".join(found)


def test_the_grep_sees_each_kind_of_wall_read() -> None:
    for line in (
        "t = time.time()",
        "default=time.time)",
        "time.monotonic()",
        "time.perf_counter()",
        "datetime.now(UTC)",
        "datetime.utcnow()",
        "date.today()",
        "date.fromtimestamp(x)",
    ):
        assert WALL_READS.search(line), line
    for line in ("datetime.fromtimestamp(x, UTC)", "self.clock.time()", "unix_now()"):
        assert not WALL_READS.search(line), line


def test_a_fake_clock_moves_only_forward_and_sets_the_process_clock() -> None:
    start = datetime(2028, 2, 28, 23, 59, 50, tzinfo=UTC)
    fake = FakeClock(start)
    with installed_as(fake):
        assert installed() is fake and utcnow() == start
        assert today().isoformat() == "2028-02-28"
        assert next_midnight() == datetime(2028, 2, 29, tzinfo=UTC)  # a leap day
        fake.advance(11)
        assert today().isoformat() == "2028-02-29" and unix_now() == start.timestamp() + 11
        with pytest.raises(ValueError, match="forward"):
            fake.set(start)
    assert installed() is not fake


def test_day_boundaries_are_utc_whatever_the_zone_of_the_value() -> None:
    kiritimati = datetime(2026, 12, 31, 23, 59, 50, tzinfo=UTC).astimezone(
        __import__("zoneinfo").ZoneInfo("Pacific/Kiritimati")
    )
    assert kiritimati.day == 1  # already 1 January there
    assert start_of_day(kiritimati) == datetime(2026, 12, 31, tzinfo=UTC)
    assert next_midnight(kiritimati) == datetime(2027, 1, 1, tzinfo=UTC)
    with pytest.raises(ValueError, match="aware"):
        FakeClock(datetime(2026, 1, 1))


def test_an_offset_clock_starts_where_asked_and_moves() -> None:
    start = datetime(2026, 12, 31, 23, 59, 50, tzinfo=UTC)
    clock = OffsetClock(start)
    first = clock.now()
    assert abs(first - start) < timedelta(seconds=5)
    assert clock.time() >= first.timestamp()
