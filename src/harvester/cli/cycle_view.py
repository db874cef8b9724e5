"""How `once` and `up` show a cycle: a rich progress bar on a terminal, a plain line
every few seconds otherwise, and a closing report of what was stored and what failed."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from harvester.cli.cycle import CycleState, failed_count, failure_lines, human_seconds
from harvester.cli.cycle import progress_line as plain_line
from harvester.clock import unix_now, utcnow

PLAIN_EVERY_S = 5.0


def clock() -> str:
    """The wall time (UTC) lines start with."""
    return utcnow().strftime("%H:%M:%S")


class CycleProgress:
    """Shows a running cycle on ``console``: a bar on a TTY, else a line every 5 s."""

    def __init__(self, console: Console, every: float | None = None) -> None:
        self.console = console
        self.every = PLAIN_EVERY_S if every is None else every
        self._last_line = 0.0
        self._bar: Progress | None = None
        self._task: Any = None
        if console.is_terminal:
            self._bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[rest]}"),
                console=console,
                transient=True,
            )
            self._task = self._bar.add_task("discovering videos…", total=None, rest="")
            self._bar.start()

    def update(self, state: CycleState) -> None:
        now = unix_now()
        if self._bar is None:
            if now - self._last_line >= self.every:
                self.console.print(plain_line(state, now), highlight=False, soft_wrap=True)
                self._last_line = now
            return
        done, total = state.harvests
        eta = state.eta(now)
        rest = f"comments +{state.comments} · domains +{state.domains}"
        rest += f" · ETA {human_seconds(eta)}" if eta is not None and done < total else ""
        what = "videos harvested" if total else "discovering videos…"
        self._bar.update(self._task, description=what, completed=done, total=total or None)
        self._bar.update(self._task, rest=rest)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()


def report_lines(
    state: CycleState, seconds: float, new_today: int, timed_out: bool = False
) -> list[str]:
    """The closing report: what the cycle stored, how long it took, what failed."""
    done, total = state.harvests
    failed = failed_count(state)
    head = "cycle stopped unfinished after" if timed_out else "cycle done in"
    lines = [
        f"{head} {human_seconds(seconds)}: videos +{state.videos} · harvested "
        f"{done} / {total} · comments +{state.comments} · domains +{state.domains} "
        f"(new today {new_today}) · failed runs {failed}"
    ]
    if failed:
        lines += ["failed:", *failure_lines(state)]
    return lines
