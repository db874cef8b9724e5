"""A run's life on one time axis, for the dashboard's waterfall and ``harvester run``:
queued before its first call, the step calls themselves, and the gaps between them
(sleeping after a ``step.sleep``, waiting after a ``step.wait_for_event``, backing off
after an error, queued otherwise). Pure: a run as the run API's JSON in, segments out.

Long idle gaps are *compressed* on the drawn axis (a run that waited 274 s for its
throttle would otherwise show its 1.2 s of work as slivers at the edge); the labels
always give the real durations and offsets."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any


class Phase(enum.StrEnum):
    """What a run was doing during a segment."""

    QUEUED = "queued"
    RUNNING = "running"
    SLEEPING = "sleeping"
    WAITING = "waiting"
    BACKOFF = "retry backoff"


IDLE = frozenset({Phase.QUEUED, Phase.SLEEPING, Phase.WAITING, Phase.BACKOFF})
# After a step of this op, the run's next gap is spent...
GAP_AFTER = {"Sleep": Phase.SLEEPING, "WaitForEvent": Phase.WAITING}
ERROR_OPS = frozenset({"Error", "StepError"})
MAX_IDLE_SHARE = 0.35  # of the drawn axis all compressed idle gaps may take together
LONG_GAP_SHARE = 0.05  # of the run's span: shorter idle gaps are drawn to scale
MIN_GAP = 0.0005  # seconds: shorter gaps are not drawn


def human(seconds: float) -> str:
    """A duration as a person reads it: ``350 ms``, ``1.2 s``, ``4 m 35 s``, ``2 h 5 m``."""
    s = max(0.0, seconds)
    if s < 0.9995:
        return f"{s * 1000:.0f} ms"
    if s < 10:
        return f"{s:.1f} s"
    if s < 60:
        return f"{s:.0f} s"
    whole = round(s)
    if whole < 3600:
        m, sec = divmod(whole, 60)
        return f"{m} m {sec} s" if sec else f"{m} m"
    if whole < 86_400:
        h, rest = divmod(whole, 3600)
        return f"{h} h {rest // 60} m" if rest // 60 else f"{h} h"
    d, rest = divmod(whole, 86_400)
    return f"{d} d {rest // 3600} h" if rest // 3600 else f"{d} d"


@dataclass(frozen=True)
class Segment:
    """One stretch of the run's life; ``step`` indexes the run's steps (work or the gap
    that follows a step), None for the run's own queue time and final call."""

    phase: Phase
    start: float
    end: float
    step: int | None = None

    @property
    def duration(self) -> float:
        return self.end - self.start


def segments(run: dict[str, Any], now: float | None = None) -> list[Segment]:
    """The run's life from creation to its end (or ``now`` while it is unfinished)."""
    steps = sorted(enumerate(run.get("steps") or []), key=lambda p: p[1]["started_at"])
    created = float(run["created_at"])
    first = run.get("started_at") or (steps[0][1]["started_at"] if steps else None)
    end = run.get("ended_at") or now or max([created, first or created, *_ends(steps)])
    out: list[Segment] = []
    cursor = created
    if first is not None and first - created > MIN_GAP:
        out.append(Segment(Phase.QUEUED, created, first))
    cursor = max(cursor, first or created)
    gap, gap_step = Phase.QUEUED, None
    for i, s in steps:
        if s["started_at"] - cursor > MIN_GAP:
            out.append(Segment(gap, cursor, s["started_at"], gap_step))
        out.append(Segment(Phase.RUNNING, s["started_at"], s["ended_at"], i))
        cursor = max(cursor, s["ended_at"])
        gap, gap_step = _gap_after(s), i
    if end - cursor > MIN_GAP:
        # A finished run's last call (the one returning its output) records no step.
        last = Phase.RUNNING if run.get("ended_at") and gap is Phase.QUEUED else gap
        out.append(Segment(last, cursor, end, gap_step if last is not Phase.RUNNING else None))
    return out


def _ends(steps: list[tuple[int, dict[str, Any]]]) -> list[float]:
    return [float(s["ended_at"]) for _, s in steps]


def _gap_after(step: dict[str, Any]) -> Phase:
    if step.get("error") or step.get("op") in ERROR_OPS:
        return Phase.BACKOFF
    return GAP_AFTER.get(str(step.get("op")), Phase.QUEUED)


def _long_gap(seg: Segment, span: float) -> bool:
    return seg.phase in IDLE and seg.duration >= LONG_GAP_SHARE * span


class Axis:
    """Maps real time to drawn position: work and short gaps at full scale, each long
    idle gap squeezed so that the long gaps together take at most ``MAX_IDLE_SHARE``."""

    def __init__(self, segs: list[Segment], t0: float, t1: float) -> None:
        self.t0, self.t1 = t0, max(t1, t0 + 0.001)
        span = self.t1 - self.t0
        long = [i for i, s in enumerate(segs) if _long_gap(s, span)]
        idle = sum(segs[i].duration for i in long)
        busy = span - idle
        self.squeezed: set[int] = set()
        self.squeezed_spans: list[tuple[float, float]] = []
        self._scale: list[tuple[float, float, float]] = []  # (start, end, factor)
        if idle / span <= MAX_IDLE_SHARE or busy <= 0:
            return
        # Idle time drawn as if it were this long, in total:
        budget = busy * MAX_IDLE_SHARE / (1 - MAX_IDLE_SHARE)
        factor = budget / idle
        for i in long:
            s = segs[i]
            if s.duration > 0:
                self._scale.append((s.start, s.end, factor))
                self.squeezed.add(i)
                self.squeezed_spans.append((s.start, s.end))

    def _drawn(self, t: float) -> float:
        """Drawn seconds from ``t0`` to ``t``."""
        t = min(max(t, self.t0), self.t1)
        out = t - self.t0
        for a, b, f in self._scale:
            inside = max(0.0, min(t, b) - a)
            out -= inside * (1 - f)
        return out

    def x(self, t: float, width: float) -> float:
        """Position of real time ``t`` on an axis ``width`` wide."""
        return round(self._drawn(t) / self._drawn(self.t1) * width, 1)

    def time_at(self, frac: float) -> float:
        """The real time drawn at ``frac`` (0..1) of the axis (ticks are labelled so)."""
        lo, hi = self.t0, self.t1
        target = frac * self._drawn(self.t1)
        for _ in range(60):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if self._drawn(mid) < target else (lo, mid)
        return (lo + hi) / 2


def ticks(axis: Axis, width: float, n: int = 5, gap_px: float = 70.0) -> list[dict[str, Any]]:
    """Axis ticks in human units; the first is anchored at its start and the last at
    its end, so no label runs off the drawing. Where long gaps are drawn shortened, a
    tick marks each gap's end with its real offset, and the ticks after it count from
    there ("+30 ms"): on a squeezed axis, evenly spaced offsets would all read alike."""
    marks = [(axis.x(end, width), end, "") for _, end in axis.squeezed_spans]
    out = []
    for i in range(n):
        x = round(width * i / (n - 1), 1)
        if i not in (0, n - 1) and any(abs(x - m[0]) < gap_px for m in marks):
            continue
        t = axis.time_at(i / (n - 1))
        if 0 < i < n - 1 and any(a < t < b for a, b in axis.squeezed_spans):
            continue  # inside a shortened gap an offset would mislead
        base = max((end for _, end in axis.squeezed_spans if end <= t + 1e-9), default=None)
        marks.append((x, t, "" if base is None or i == 0 else f"+{human(t - base)}"))
    for x, t, rel in sorted(marks):
        anchor = "start" if x <= 0 else "end" if x >= width else "middle"
        out.append({"x": x, "label": rel or human(t - axis.t0), "anchor": anchor})
    return _spaced(out, gap_px)


def _spaced(ticks: list[dict[str, Any]], gap_px: float) -> list[dict[str, Any]]:
    """Drop ticks too close to the one before (the ends always stay)."""
    kept: list[dict[str, Any]] = []
    for t in ticks:
        if kept and t["x"] - kept[-1]["x"] < gap_px and t is not ticks[-1]:
            continue
        if kept and t is ticks[-1] and t["x"] - kept[-1]["x"] < gap_px and len(kept) > 1:
            kept.pop()
        kept.append(t)
    return kept
