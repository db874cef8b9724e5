"""``harvester run``'s timeline: the whole run, in human units, on any terminal width."""

from __future__ import annotations

from typing import Any

import pytest
from rich.console import Console

from harvester.cli.run_view import print_run


def _throttled_run() -> dict[str, Any]:
    """Waited 274 s for its throttle, then 1.2 s of work in two steps."""

    def step(name: str, a: float, b: float) -> dict[str, Any]:
        return {
            "name": name,
            "op": "StepRun",
            "attempt": 0,
            "started_at": a,
            "ended_at": b,
            "duration": b - a,
            "output": {"ok": True},
            "error": None,
        }

    return {
        "run_id": "01JRUNTHROTTLED0000000000",
        "fn_id": "app-harvest-comments",
        "status": "COMPLETED",
        "duration": 1.2,
        "attempt": 0,
        "event_name": "tiktok/x",
        "event": {"data": {"video_id": "7"}},
        "created_at": 0.0,
        "started_at": 274.0,
        "ended_at": 275.2,
        "error": None,
        "steps": [step("fetch comments", 274.0, 274.6), step("store", 274.6, 275.1)],
    }


@pytest.mark.parametrize("width", [80, 120])
def test_the_timeline_fits_the_terminal_and_names_its_phases(width: int) -> None:
    out = Console(width=width, record=True, color_system=None)
    print_run(out, _throttled_run())
    text = out.export_text()
    lines = text.splitlines()
    assert all(len(line) <= width for line in lines), lines
    life = next(line for line in lines if line.startswith("run ") and "│" in line)
    assert "░" in life and "█" in life and life.rstrip().endswith("4 m 35 s")
    fetch = next(line for line in lines if line.startswith("fetch comments"))
    assert "+4 m 34 s" in fetch and "█" in fetch and "600 ms" in fetch
    assert "queued" in text and "drawn shortened" in text
    assert "…" not in "".join(line for line in lines if "│" in line)
