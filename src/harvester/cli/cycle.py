"""A discovery cycle as a person watches it: how far it is (videos harvested n / N,
comments, domains, ETA) and what failed in it, from the engine's runs created since the
cycle began."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from harvester.clock import unix_now
from harvester.engine import TERMINAL, Engine, RunStatus
from harvester.runtime import Summary

HARVEST_FN = "harvest-comments"
DISCOVERY_FN = "discover-videos"
PIPELINE_FNS = (DISCOVERY_FN, HARVEST_FN, "extract-domains")
MAX_FAILURES_SHOWN = 5


@dataclass(frozen=True)
class CycleState:
    """Runs of the cycle by function tail and status, and what was stored since."""

    started: float  # epoch seconds
    runs: Mapping[str, Mapping[str, int]]
    videos: int
    comments: int
    domains: int
    failed: list[dict[str, Any]] = field(default_factory=list)

    def count(self, fn: str, *statuses: str) -> int:
        by_status = self.runs.get(fn, {})
        return sum(n for s, n in by_status.items() if not statuses or s in statuses)

    @property
    def harvests(self) -> tuple[int, int]:
        """(harvest runs finished, harvest runs started) in this cycle."""
        return self.count(HARVEST_FN, *TERMINAL), self.count(HARVEST_FN)

    @property
    def busy(self) -> bool:
        """Does any pipeline run of the cycle still wait or run?"""
        waiting = (RunStatus.QUEUED, RunStatus.RUNNING)
        return any(self.count(fn, *waiting) for fn in PIPELINE_FNS)

    def eta(self, now: float) -> float | None:
        """Seconds left at the harvest rate seen so far (None until one finished)."""
        done, total = self.harvests
        if done == 0 or total == 0:
            return None
        return (now - self.started) / done * (total - done)


def _tail(fn_id: str) -> str:
    for name in PIPELINE_FNS:
        if fn_id.endswith(name):
            return name
    return fn_id


def read_cycle(engine: Engine, since: float, base: Summary, now: Summary) -> CycleState:
    """The cycle begun at ``since``: its runs, and the rows stored since ``base``."""
    by_fn: dict[str, dict[str, int]] = {}
    for fn_id, by_status in engine.run_counts(since).items():
        tail = by_fn.setdefault(_tail(fn_id), {})
        for status, n in by_status.items():
            tail[status] = tail.get(status, 0) + n
    failed = engine.list_runs(status=RunStatus.FAILED, since=since, limit=MAX_FAILURES_SHOWN + 1)
    failures = []
    for summary in reversed(failed.data):  # oldest first
        run = engine.get_run(summary.run_id)
        error = run.error if run is not None else None
        failures.append({"run_id": summary.run_id, "fn_id": summary.fn_id, "error": error})
    return CycleState(
        started=since,
        runs=by_fn,
        videos=now.videos - base.videos,
        comments=now.comments - base.comments,
        domains=now.domains - base.domains,
        failed=failures,
    )


def failed_count(state: CycleState) -> int:
    """Runs of any function that failed in the cycle."""
    return sum(by.get(RunStatus.FAILED, 0) for by in state.runs.values())


def human_seconds(seconds: float) -> str:
    """``42 s``, ``4 m 35 s``, ``1 h 02 m``."""
    s = round(seconds)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} m {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} m"


def progress_line(state: CycleState, now: float | None = None) -> str:
    """One plain line: where the cycle is, for logs and pipes."""
    now = unix_now() if now is None else now
    done, total = state.harvests
    videos = "discovering videos…" if total == 0 else f"videos harvested {done} / {total}"
    eta = state.eta(now)
    tail = f" · ETA {human_seconds(eta)}" if eta is not None and done < total else ""
    return (
        f"[{human_seconds(now - state.started)}] {videos} · comments +{state.comments} · "
        f"domains +{state.domains}{tail}"
    )


def failure_lines(state: CycleState) -> list[str]:
    """What failed in the cycle, one line a run (the first few)."""
    lines = []
    for f in state.failed[:MAX_FAILURES_SHOWN]:
        error = f["error"] or {}
        why = f"{error.get('name', 'Error')}: {error.get('message', '')}".strip()
        lines.append(f"  {f['fn_id']} run {f['run_id']} — {why[:160]}")
    more = failed_count(state) - len(lines)
    if more > 0:
        lines.append(f"  …and {more} more: harvester runs --status FAILED")
    return lines


def discovery_started(engine: Engine, since: float) -> tuple[str, float] | None:
    """The first discovery run created at or after ``since``: (run id, created at)."""
    ids = [f.id for f in engine.list_functions() if f.id.endswith(DISCOVERY_FN)]
    runs = [r for fn in ids for r in engine.list_runs(fn=fn, since=since, limit=100).data]
    first = min(runs, key=lambda r: r.created_at, default=None)
    return (first.run_id, first.created_at) if first else None
