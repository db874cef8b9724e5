"""``harvester run ID`` as text: the run's facts, then the same timeline as the
dashboard's waterfall (queued, running, sleeping, waiting, backing off, in human
units), drawn as lines that fit any terminal width instead of a table column that a
narrow terminal cuts to "…"."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from harvester.clock import unix_now
from harvester.kernel import timeline
from harvester.kernel.timeline import Phase

NAME_WIDTH = 26
MIN_BAR = 20
# (character, colour) per phase: distinct without colour too.
GLYPHS = {
    Phase.QUEUED: ("░", "grey50"),
    Phase.RUNNING: ("█", "green"),
    Phase.SLEEPING: ("▒", "magenta"),
    Phase.WAITING: ("▒", "yellow"),
    Phase.BACKOFF: ("░", "red"),
}
STATUS_COLOURS = {"COMPLETED": "green", "FAILED": "red", "CANCELLED": "dim"}


def print_run(out: Console, d: dict[str, Any]) -> None:
    """The run's header, its timeline, and its steps' results."""
    colour = STATUS_COLOURS.get(d["status"], "yellow")
    ran = f" · ran {timeline.human(d['duration'])}" if d["duration"] is not None else ""
    out.print(f"run [bold]{d['run_id']}[/]", highlight=False)
    out.print(f"[bold]{d['fn_id']}[/] [{colour}]{d['status']}[/]{ran} · attempt {d['attempt']}")
    data = json.dumps((d["event"] or {}).get("data"), ensure_ascii=False)[:100]
    out.print(f"event [cyan]{d['event_name']}[/] {escape(data)}", highlight=False)
    finished = d["status"] in STATUS_COLOURS
    for line in timeline_lines(d, out.width, None if finished else unix_now()):
        out.print(line, highlight=False)
    if d["steps"]:
        out.print(_results(d["steps"]))
    if d["error"]:
        out.print(f"[red]error:[/] {escape(str(d['error'].get('message', d['error'])))}")


def timeline_lines(d: dict[str, Any], width: int, now: float | None = None) -> list[str]:
    """Rich-markup lines: a legend, the run's life, then one line per step attempt."""
    segs = timeline.segments(d, now)
    t0 = float(d["created_at"])
    t1 = max([s.end for s in segs] + [t0])
    axis = timeline.Axis(segs, t0, t1)
    bar = max(MIN_BAR, width - NAME_WIDTH - 24)
    used = sorted({s.phase for s in segs}, key=list(Phase).index)
    legend = "  ".join(f"[{GLYPHS[p][1]}]{GLYPHS[p][0]}[/] {p}" for p in used)
    squeezed = " · ≈ long idle gaps drawn shortened" if axis.squeezed else ""
    lines = [f"timeline · {timeline.human(t1 - t0)} · {legend}{squeezed}"]
    lines.append(_row("run", segs, axis, bar, "+0 ms", timeline.human(t1 - t0)))
    for i, s in enumerate(d["steps"]):
        mine = [g for g in segs if g.step == i and g.phase is not Phase.QUEUED]
        name = s["name"] + (f" (retry {s['attempt']})" if s["attempt"] else "")
        start = "+" + timeline.human(s["started_at"] - t0)
        took = timeline.human(s["duration"])
        lines.append(_row(name, mine, axis, bar, start, took, failed=bool(s["error"])))
    return lines


def _row(
    name: str,
    segs: list[timeline.Segment],
    axis: timeline.Axis,
    width: int,
    start: str,
    took: str,
    failed: bool = False,
) -> str:
    cells = [" "] * width
    colours: list[str | None] = [None] * width
    for seg in segs:
        a = min(width - 1, int(axis.x(seg.start, width)))
        b = max(a + 1, min(width, round(axis.x(seg.end, width))))
        glyph, colour = GLYPHS[seg.phase]
        if failed and seg.phase is Phase.RUNNING:
            colour = "red"
        for c in range(a, b):
            cells[c], colours[c] = glyph, colour
    drawn = "".join(
        f"[{colour}]{cell}[/]" if colour else cell
        for cell, colour in zip(cells, colours, strict=True)
    )
    label = escape(name[:NAME_WIDTH].ljust(NAME_WIDTH))
    return f"{label} {start:>10} │{drawn}│ {took}"


def _results(steps: list[dict[str, Any]]) -> Table:
    table = Table("#", "step", "op", "result", show_lines=False)
    for i, s in enumerate(steps, 1):
        table.add_row(str(i), escape(s["name"]), s["op"], _result(s))
    return table


def _result(step: dict[str, Any]) -> str:
    if step["error"]:
        return "[red]" + escape(str((step["error"] or {}).get("message", ""))[:60]) + "[/]"
    return escape(json.dumps(step["output"], default=str, ensure_ascii=False)[:60])
